/**
 * Systematic exploration (DSLabs' and Stateright's model checking, for ordinary async
 * processes): every order of pending events, every frame lost or duplicated within a budget,
 * every crash point of the machines named, for a small configuration, by re-running the system
 * from the start for each prefix of choices. States already seen (every machine's input
 * history, the pending events, the budgets spent) are not explored again, and events on
 * different machines commute, so one of their orders is enough (sleep sets). The search is
 * depth-first with iterative deepening, and keeps a shortest counterexample.
 * @module
 */
import type { Simulator } from "../../core/simulator/simulator.ts";
import type { SimulatorOptions } from "../../core/simulator/simulator_options.ts";
import { planSystem, type ProcessMap, type System } from "../run/system.ts";
import {
  type ChoiceNode,
  type RunBounds,
  type RunOutcome,
  runPath,
  type Seen,
} from "./_explore_run.ts";

/** A system to explore: a function that builds it on a fresh simulator, or a `lab run` system. */
export type ExploreSystem<S> = ((sim: Simulator) => S | Promise<S>) | System | ProcessMap;

/**
 * What must hold: checked before every event and at the end of every run. Returns a
 * description of the violation (or `false`); anything else means it holds.
 */
export type Invariant<S> = (
  state: S,
  view: { readonly sim: Simulator; readonly quiescent: boolean },
) => string | boolean | undefined | void;

/** Options of {@link explore}. */
export interface ExploreOptions<S> {
  /** What must hold. @default nothing (only thrown errors are violations) */
  readonly invariant?: Invariant<S>;
  /**
   * The run is over once this holds, although events are still pending (processes with periodic
   * timers never all block); the invariant is then checked as at the end. @default never
   */
  readonly done?: (state: S, sim: Simulator) => boolean;
  /**
   * Event choice points per path; past them a path goes on in the seeded order to its end (and
   * is checked there). @default 40
   */
  readonly depth?: number;
  /** Stop after visiting this many states. @default 200_000 */
  readonly maxStates?: number;
  /** Stop after this many ms of wall time. @default 60_000 */
  readonly timeLimit?: number;
  /** Frames that may be lost on one path. @default 0 */
  readonly drops?: number;
  /** Frames that may be duplicated on one path. @default 0 */
  readonly duplicates?: number;
  /** Machines that may crash at any point. @default none */
  readonly crash?: readonly string[];
  /** Crashes on one path. @default 1 when `crash` names machines */
  readonly crashes?: number;
  /** Ms after a crash that the machine restarts; `null`: it stays down. @default 10 */
  readonly restartAfter?: number | null;
  /** Events per run at most: a run that never settles ends there, checked. @default 10_000 */
  readonly maxEvents?: number;
  /** Candidates: events due within this many ms of the earliest. @default Infinity (any) */
  readonly horizon?: number;
  /** Settings of every run (seed, latency, reliable channel). @default the simulator's */
  readonly simulator?: SimulatorOptions;
}

/** A violation found by exploration. */
export interface Counterexample {
  /** What failed: the invariant's description, or the error a process threw. */
  readonly message: string;
  /** The choices that lead there (`replayChoices` runs them again). */
  readonly choices: readonly string[];
  /** Event choice points on the path. */
  readonly depth: number;
  /** The trace of the path, as JSON Lines. */
  readonly trace: string;
}

/** What {@link explore} found. */
export interface ExploreReport {
  /** Choice points visited, revisits included. */
  readonly states: number;
  /** Distinct states (in the deepest pass of the iterative deepening). */
  readonly distinct: number;
  /** Runs (schedules) executed. */
  readonly runs: number;
  /** Deepest path, in event choice points. */
  readonly depth: number;
  /** Paths cut by the depth bound. */
  readonly cut: number;
  /** Whether every path within the bounds was explored. */
  readonly exhausted: boolean;
  /** Wall time, ms. */
  readonly elapsedMs: number;
  /** Runs done when the first violation turned up. */
  readonly firstFound?: number;
  /** The shortest violation found. */
  readonly violation?: Counterexample;
}

function setupOf<S>(system: ExploreSystem<S>): (sim: Simulator) => S | Promise<S> {
  if (typeof system === "function") return system;
  const machines = planSystem(system);
  return (sim) => {
    for (const m of machines) {
      for (const p of m.processes) {
        sim.machine(m.name).spawn(p.name, p.fn, { capacity: p.capacity });
      }
    }
    return undefined as S;
  };
}

function boundsOf<S>(options: ExploreOptions<S>): RunBounds {
  const crash = options.crash ?? [];
  return {
    simulator: options.simulator ?? {},
    depth: options.depth ?? 40,
    horizon: options.horizon ?? Infinity,
    drops: options.drops ?? 0,
    duplicates: options.duplicates ?? 0,
    crash: { machines: crash, max: crash.length === 0 ? 0 : options.crashes ?? 1 },
    restartAfter: options.restartAfter === null ? undefined : options.restartAfter ?? 10,
    maxEvents: options.maxEvents ?? 10_000,
  };
}

/** The system's state and the invariant, bound for one run. */
function checker<S>(options: ExploreOptions<S>, state: { value: S }) {
  return (sim: Simulator, quiescent: boolean): string | undefined => {
    const verdict = options.invariant?.(state.value, { sim, quiescent });
    if (verdict === false) return "the invariant does not hold";
    return typeof verdict === "string" ? verdict : undefined;
  };
}

function doneOf<S>(options: ExploreOptions<S>, state: { value: S }) {
  const done = options.done;
  return done && ((sim: Simulator) => done(state.value, sim));
}

/** Moves the path to its next untried choice; false when every path was tried. */
function backtrack(stack: ChoiceNode[]): boolean {
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const next = top.options.find((o) => !top.done.has(o) && !top.sleep.has(o));
    if (next !== undefined) {
      top.done.add(next);
      top.chosen = next;
      return true;
    }
    stack.pop();
  }
  return false;
}

/** The choices worth writing down: every event, and only the frames lost or duplicated. */
function choicesOf(stack: readonly ChoiceNode[]): string[] {
  return stack.filter((n) => n.kind === "event" || /^(drop|dup) /.test(n.chosen)).map((n) =>
    n.chosen
  );
}

/**
 * Explores every schedule of `system` within the bounds and reports the shortest violation of
 * the invariant it finds.
 *
 * @example Two senders, one receiver that expects "a" first: an order exists where it fails
 * ```ts
 * import assert from "node:assert/strict";
 * import { explore } from "./explore.ts";
 * const report = await explore((sim) => {
 *   const got: string[] = [];
 *   sim.machine("m1.lab").spawn("r", async (ctx) => {
 *     for (let i = 0; i < 2; i++) got.push((await ctx.receive<string>()).body);
 *   });
 *   sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("r@m1.lab", "a"));
 *   sim.machine("m3.lab").spawn("b", (ctx) => ctx.send("r@m1.lab", "b"));
 *   return got;
 * }, {
 *   invariant: (got) => got[0] === "b" ? "b arrived first" : undefined,
 *   simulator: { reliable: false },
 * });
 * assert.equal(report.violation?.message, "b arrived first");
 * assert.deepEqual(report.violation?.choices, ["m3.lab>m1.lab#1"]);
 * ```
 */
export async function explore<S>(
  system: ExploreSystem<S>,
  options: ExploreOptions<S> = {},
): Promise<ExploreReport> {
  const setup = setupOf(system), bounds = boundsOf(options);
  const state = { value: undefined as S };
  const build = async (sim: Simulator) => state.value = await setup(sim);
  const search: Search = {
    run: (stack, depth, seen) =>
      runPath(build, checker(options, state), stack, { ...bounds, depth }, {
        extend: true,
        seen,
        done: doneOf(options, state),
      }),
    maxStates: options.maxStates ?? 200_000,
    deadline: performance.now() + (options.timeLimit ?? 60_000),
    totals: { states: 0, distinct: 0, runs: 0, depth: 0, firstFound: undefined },
  };
  const started = performance.now();
  let exhausted = false, cut = 0;
  let found: Found | undefined;
  // Iterative deepening, the bound doubling: a pass that finds a violation goes on with a bound
  // below it, so the counterexample kept is a shortest.
  for (let depth = Math.min(8, bounds.depth);; depth = Math.min(bounds.depth, depth * 2)) {
    const pass = await deepen(search, depth);
    cut = pass.cut;
    found = pass.found;
    if (found !== undefined || !pass.complete) break;
    if (pass.cut === 0) {
      exhausted = true;
      break;
    }
    if (depth >= bounds.depth) break;
  }
  const { firstFound, ...totals } = search.totals;
  const report = { ...totals, cut, exhausted, elapsedMs: performance.now() - started };
  if (found === undefined) return report;
  const replay = await replayChoices(system, found.choices, options);
  return {
    ...report,
    firstFound,
    violation: { ...found, trace: replay.sim.trace.toJsonl() },
  };
}

interface Found {
  readonly message: string;
  readonly choices: string[];
  readonly depth: number;
}

interface Search {
  readonly run: (stack: ChoiceNode[], depth: number, seen: Seen) => Promise<RunOutcome>;
  readonly maxStates: number;
  readonly deadline: number;
  readonly totals: {
    states: number;
    distinct: number;
    runs: number;
    depth: number;
    firstFound: number | undefined;
  };
}

/**
 * One depth-first pass bounded by `depth`; after a violation it goes on with a bound below the
 * violation's depth. Stops when every path was tried or out of budget.
 */
async function deepen(
  search: Search,
  depth: number,
): Promise<{ found?: Found; cut: number; complete: boolean }> {
  const stack: ChoiceNode[] = [];
  const seen: Seen = { states: new Map(), visits: 0 };
  const totals = search.totals;
  const before = totals.states;
  let cut = 0, found: Found | undefined;
  for (;;) {
    if (totals.states >= search.maxStates || performance.now() > search.deadline) {
      return { found, cut, complete: false };
    }
    const outcome = await search.run(stack, depth, seen);
    totals.runs++;
    totals.states = before + seen.visits;
    totals.distinct = Math.max(totals.distinct, seen.states.size);
    totals.depth = Math.max(totals.depth, outcome.depth);
    if (outcome.cut) cut++;
    if (outcome.violation !== undefined) {
      totals.firstFound ??= totals.runs;
      found = { message: outcome.violation, choices: choicesOf(stack), depth: outcome.depth };
      depth = outcome.depth - 1;
    }
    if (!backtrack(stack)) return { found, cut, complete: true };
  }
}

/** What {@link replayChoices} gives back. */
export interface ReplayResult<S> {
  /** The simulator after the run (its trace is on). */
  readonly sim: Simulator;
  /** The system's state. */
  readonly state: S;
  /** The violation, if the run has one. */
  readonly violation?: string;
}

/**
 * Runs `system` once along `choices` (as a counterexample lists them), then on in the seeded
 * order, with the trace on.
 *
 * @example Replaying a counterexample
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayChoices } from "./explore.ts";
 * const { state } = await replayChoices((sim) => {
 *   const got: string[] = [];
 *   sim.machine("m1.lab").spawn("r", async (ctx) => {
 *     for (let i = 0; i < 2; i++) got.push((await ctx.receive<string>()).body);
 *   });
 *   sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("r@m1.lab", "a"));
 *   sim.machine("m3.lab").spawn("b", (ctx) => ctx.send("r@m1.lab", "b"));
 *   return got;
 * }, ["m3.lab>m1.lab#1"], { simulator: { reliable: false } });
 * assert.deepEqual(state, ["b", "a"]);
 * ```
 */
export async function replayChoices<S>(
  system: ExploreSystem<S>,
  choices: readonly string[],
  options: ExploreOptions<S> = {},
): Promise<ReplayResult<S>> {
  const setup = setupOf(system);
  const state = { value: undefined as S };
  const stack: ChoiceNode[] = choices.map((chosen) => ({
    kind: /^(drop|dup) /.test(chosen) ? "frame" : "event",
    options: [chosen],
    machines: new Map(),
    sleep: new Set(),
    done: new Set([chosen]),
    chosen,
  }));
  const outcome = await runPath(
    async (sim) => state.value = await setup(sim),
    checker(options, state),
    stack,
    { ...boundsOf(options), depth: Infinity },
    { extend: false, trace: true, done: doneOf(options, state) },
  );
  return { sim: outcome.sim, state: state.value, violation: outcome.violation };
}
