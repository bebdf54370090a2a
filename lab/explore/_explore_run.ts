/**
 * One run of systematic exploration: a fresh simulator whose chooser follows a prefix of choices
 * and then, when asked to extend, opens a new choice point at every decision (the next event,
 * a crash, a frame lost or duplicated while the budgets last), keeping the sleep sets of the
 * partial-order reduction and stopping where a state was already seen, the depth bound is hit
 * or the invariant fails.
 * @module
 */
import {
  CHOOSE_AGAIN,
  CHOOSE_STOP,
  type Chooser,
  type FrameChoice,
  type PendingEvent,
  Simulator,
} from "../../core/simulator/simulator.ts";
import type { Machine } from "../../core/machine.ts";
import type { SimulatorOptions } from "../../core/simulator/simulator_options.ts";
import { hashText } from "./_hash.ts";

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

const independent = (a: string | undefined, b: string | undefined): boolean =>
  a !== undefined && b !== undefined && a !== b && a !== "network" && b !== "network";

/** The sleep set a new event point inherits from the previous one on the path. */
function inherited(stack: readonly ChoiceNode[], options: readonly string[]): Set<string> {
  let prev: ChoiceNode | undefined;
  for (let i = stack.length - 1; i >= 0 && prev === undefined; i--) {
    if (stack[i].kind === "event") prev = stack[i];
  }
  const sleep = new Set<string>();
  if (prev === undefined) return sleep;
  const at = prev.machines.get(prev.chosen);
  for (const s of [...prev.sleep, ...prev.done]) {
    if (s !== prev.chosen && options.includes(s) && independent(prev.machines.get(s), at)) {
      sleep.add(s);
    }
  }
  return sleep;
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
  options: {
    readonly extend: boolean;
    readonly seen?: Seen;
    readonly trace?: boolean;
    readonly done?: RunDone;
  },
): Promise<RunOutcome> {
  let i = 0, depth = 0, drops = 0, dups = 0, crashes = 0, cut = false, over = false;
  let violation: string | undefined;
  const histories = new Map<string, string>();
  let crashable: Machine[] | undefined;
  const follow = (kind: ChoiceNode["kind"]): ChoiceNode | undefined => {
    if (i >= stack.length) return undefined;
    if (stack[i].kind !== kind) {
      throw new Error(
        `Cannot replay the choices: choice ${i + 1} is a ${stack[i].kind} choice but the run ` +
          `asks for a ${kind} choice; the system is not deterministic, or the bounds differ`,
      );
    }
    return stack[i++];
  };
  const open = (node: ChoiceNode): void => {
    stack.push(node);
    i++;
  };
  const chooser: Chooser = {
    horizon: bounds.horizon,
    next(pending: readonly PendingEvent[]): number {
      violation ??= check(sim, false);
      if (violation !== undefined) return CHOOSE_STOP;
      if (options.done?.(sim)) {
        over = true;
        return CHOOSE_STOP;
      }
      const labels = pending.map((p) => p.label);
      const machines = new Map(pending.map((p) => [p.label, p.machine]));
      if (crashes < bounds.crash.max) {
        crashable ??= bounds.crash.machines.map((m) => sim.machine(m));
        for (const m of crashable) {
          if (m.alive) {
            labels.push(`crash ${m.name}`);
            machines.set(`crash ${m.name}`, m.name);
          }
        }
      }
      if (cut) return take(pending[0].label, pending);
      let node = follow("event");
      if (node === undefined) {
        if (!options.extend) {
          if (i >= stack.length && labels.length > 0) return take(labels[0], pending);
          return CHOOSE_STOP;
        }
        if (depth >= bounds.depth) {
          // Past the bound the run goes on in the seeded order, so that its end is checked too.
          cut = true;
          return take(pending[0].label, pending);
        }
        const sleep = inherited(stack, labels);
        if (
          options.seen &&
          !fresh(options.seen, stateOf(histories, labels, drops, dups, crashes), depth, sleep)
        ) {
          return CHOOSE_STOP;
        }
        const first = labels.find((l) => !sleep.has(l));
        if (first === undefined) return CHOOSE_STOP;
        node = {
          kind: "event",
          options: labels,
          machines,
          sleep,
          done: new Set([first]),
          chosen: first,
        };
        open(node);
      }
      depth++;
      return take(node.chosen, pending);
    },
    drop: (frame, _drawn) => decide("drop", frame, () => drops < bounds.drops, () => drops++),
    duplicate: (frame, _drawn) =>
      decide("dup", frame, () => dups < bounds.duplicates, () => dups++),
  };
  const decide = (
    verb: "drop" | "dup",
    frame: FrameChoice,
    allowed: () => boolean,
    count: () => void,
  ): boolean => {
    if (!allowed() || violation !== undefined || cut) return false;
    const yes = `${verb} ${frame.label}`,
      no = `${verb === "drop" ? "keep" : "once"} ${frame.label}`;
    if (!options.extend) {
      // A replay lists only the frames lost or duplicated; every other frame is kept once.
      if (stack[i]?.kind !== "frame" || stack[i].chosen !== yes) return false;
      i++;
      count();
      depth++;
      return true;
    }
    let node = follow("frame");
    if (node === undefined) {
      node = {
        kind: "frame",
        options: [no, yes],
        machines: new Map(),
        sleep: new Set(),
        done: new Set([no]),
        chosen: no,
      };
      open(node);
    }
    if (node.chosen !== yes) return false;
    count();
    // A fault injected is a step of the path, as an event is: shortest counts both.
    depth++;
    return true;
  };
  const take = (label: string, pending: readonly PendingEvent[]): number => {
    if (label.startsWith("crash ")) {
      const machine = label.slice("crash ".length);
      crashes++;
      const restartAt = bounds.restartAfter === undefined
        ? undefined
        : sim.now + bounds.restartAfter;
      sim.crash(machine, { restartAt });
      histories.set(machine, hashText(`${histories.get(machine) ?? ""}|crash`));
      return CHOOSE_AGAIN;
    }
    const index = pending.findIndex((p) => p.label === label);
    if (index < 0) {
      throw new Error(
        `Cannot replay the choices: event "${label}" is not pending here; the system is not ` +
          "deterministic (does it read the host's clock, its random numbers or its timers instead of ctx.now(), ctx.random() and ctx.sleep()?)",
      );
    }
    const p = pending[index];
    histories.set(p.machine, hashText(`${histories.get(p.machine) ?? ""}|${p.detail || p.label}`));
    return index;
  };
  const sim = new Simulator({ ...bounds.simulator, trace: options.trace ?? false, chooser });
  await setup(sim);
  try {
    const result = await sim.run({ maxEvents: bounds.maxEvents });
    violation ??= check(sim, result.quiescent || over);
  } catch (error) {
    violation ??= error instanceof Error ? error.message : String(error);
  }
  return { violation, depth, cut, sim };
}

/** The global state: every machine's input history, the pending events, the budgets spent. */
function stateOf(
  histories: ReadonlyMap<string, string>,
  pending: readonly string[],
  drops: number,
  dups: number,
  crashes: number,
): string {
  const machines = [...histories].sort(([a], [b]) => a < b ? -1 : 1).map(([m, h]) => `${m}=${h}`);
  return hashText(
    `${machines.join(",")};${[...pending].sort().join(",")};${drops},${dups},${crashes}`,
  );
}

/**
 * Whether a state needs exploring: it is new, or was reached only deeper (with less of the depth
 * bound left) or with a sleep set that is not a subset of `sleep`.
 */
function fresh(seen: Seen, state: string, depth: number, sleep: ReadonlySet<string>): boolean {
  seen.visits++;
  const before = seen.states.get(state);
  if (
    before !== undefined && before.depth <= depth && [...before.sleep].every((s) => sleep.has(s))
  ) {
    return false;
  }
  seen.states.set(state, { depth: Math.min(depth, before?.depth ?? depth), sleep });
  return true;
}
