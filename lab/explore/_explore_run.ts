/**
 * One run of systematic exploration: a fresh simulator whose chooser (`_path_chooser.ts`)
 * follows a prefix of choices and then, when asked to extend, opens a new choice point at every
 * decision, until a state was already seen, the depth bound is hit or the invariant fails.
 * @module
 */
import { Simulator } from "../../core/simulator/simulator.ts";
import type { SimulatorOptions } from "../../core/simulator/simulator_options.ts";
import { PathChooser, type PathOptions } from "./_path_chooser.ts";

/** A choice point on the current path. */
export interface ChoiceNode {
  /** `event`: which pending event or crash next; `frame`: keep/drop or once/dup a frame. */
  readonly kind: "event" | "frame";
  /** Every option, in the seeded order (index 0 is what the seeded run would do). */
  readonly options: readonly string[];
  /** The machine each option happens on (event points). */
  readonly machines: ReadonlyMap<string, string>;
  /** Options that need not be tried here (partial-order reduction). */
  readonly sleep: ReadonlySet<string>;
  /** Options tried here so far, `chosen` included. */
  readonly done: Set<string>;
  /** The option taken on the current path. */
  chosen: string;
}

/** What the exploration is bounded by and may inject. */
export interface RunBounds {
  /** Simulator settings of every run. */
  readonly simulator: SimulatorOptions;
  /** Event choice points per path. */
  readonly depth: number;
  /** Candidates: events due within this many ms of the earliest. */
  readonly horizon: number;
  /** Frames lost per path. */
  readonly drops: number;
  /** Frames duplicated per path. */
  readonly duplicates: number;
  /** Machines that may crash, and how many crashes per path. */
  readonly crash: { readonly machines: readonly string[]; readonly max: number };
  /** Ms after a crash that the machine restarts; `undefined`: it stays down. */
  readonly restartAfter: number | undefined;
  /** Events per run at most (a run that never settles ends there). */
  readonly maxEvents: number;
}

/** The invariant as a run sees it: a violation's description, or undefined. */
export type RunCheck = (sim: Simulator, quiescent: boolean) => string | undefined;

/** Whether the run is over although events are still pending (periodic timers). */
export type RunDone = (sim: Simulator) => boolean;

/** How one run ended. */
export interface RunOutcome {
  /** The invariant's or a process's failure, when one happened. */
  readonly violation?: string;
  /** Steps on the path: events chosen, frames lost or duplicated. */
  readonly depth: number;
  /** Whether the path was cut by the depth bound. */
  readonly cut: boolean;
  /** The simulator, for its trace. */
  readonly sim: Simulator;
}

/** Shared across the runs of one exploration: states seen and counters. */
export interface Seen {
  /** State hash to the depth it was first reached at and the sleep set it was explored with. */
  readonly states: Map<string, { readonly depth: number; readonly sleep: ReadonlySet<string> }>;
  /** Choice points visited (revisits included). */
  visits: number;
}

/**
 * Runs `setup` once under a chooser that follows `stack` and, with `extend`, pushes new choice
 * points onto it until the run ends.
 */
export async function runPath(
  setup: (sim: Simulator) => unknown,
  check: RunCheck,
  stack: ChoiceNode[],
  bounds: RunBounds,
  options: PathOptions,
): Promise<RunOutcome> {
  const chooser = new PathChooser(check, stack, bounds, options);
  const sim = new Simulator({ ...bounds.simulator, trace: options.trace ?? false, chooser });
  chooser.sim = sim;
  await setup(sim);
  try {
    const result = await sim.run({ maxEvents: bounds.maxEvents });
    chooser.violation ??= check(sim, result.quiescent || chooser.over);
  } catch (error) {
    chooser.violation ??= error instanceof Error ? error.message : String(error);
  }
  return { violation: chooser.violation, depth: chooser.depth, cut: chooser.cut, sim };
}
