/**
 * Stepping by hand: the system replayed from the start along a list of choices (deliver or fire
 * a pending event by its label, `drop LABEL` to lose a pending arrival, `dup LABEL` to have the
 * network duplicate it, `crash MACHINE`), stopped at the next choice, with what a learner needs
 * to pick it: the pending events, every process's mailbox (delivered, not yet received) and its
 * last log lines, the invariant's verdict.
 * @module
 */
import {
  CHOOSE_AGAIN,
  CHOOSE_STOP,
  type Chooser,
  type PendingEvent,
  Simulator,
} from "../../core/simulator/simulator.ts";
import type { ExploreOptions } from "./explore.ts";

/** A process as the stepper shows it. */
export interface ProcessView {
  /** Its address. */
  readonly address: string;
  /** Kinds of the messages delivered to it and not yet received, oldest first. */
  readonly mailbox: readonly string[];
  /** Its last log lines (at most 5). */
  readonly log: readonly string[];
}

/** Where a replay of choices stopped. */
export interface StepView {
  /** The choices replayed. */
  readonly choices: readonly string[];
  /** What may happen next (empty when the run is over). */
  readonly pending: readonly PendingEvent[];
  /** Every process spawned so far. */
  readonly processes: readonly ProcessView[];
  /** Virtual time, ms. */
  readonly time: number;
  /** The invariant's violation or a process's failure, if any. */
  readonly violation?: string;
}

function processesOf(sim: Simulator): ProcessView[] {
  const views = new Map<string, { mailbox: Map<string, string>; log: string[] }>();
  for (const e of sim.trace.events) {
    if (e.ev === "spawn") views.set(e.at, { mailbox: new Map(), log: [] });
    const view = views.get(e.at);
    if (view === undefined) continue;
    if (e.ev === "deliver" && e.id !== undefined) view.mailbox.set(e.id, e.kind ?? "?");
    if (e.ev === "receive" && e.id !== undefined) view.mailbox.delete(e.id);
    if (e.ev === "log") view.log.push(e.note ?? "");
  }
  return [...views].map(([address, v]) => ({
    address,
    mailbox: [...v.mailbox.values()],
    log: v.log.slice(-5),
  }));
}

/**
 * Replays `system` along `choices` and stops at the next choice.
 *
 * @example Two senders: after the choice of b's message, a's is still pending
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepTo } from "./stepper.ts";
 * const system = (sim: import("../../core/simulator/simulator.ts").Simulator) => {
 *   sim.machine("m1.lab").spawn("r", async (ctx) => {
 *     for (;;) ctx.log(`got ${(await ctx.receive<string>()).body}`);
 *   });
 *   sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("r@m1.lab", "a"));
 *   sim.machine("m3.lab").spawn("b", (ctx) => ctx.send("r@m1.lab", "b"));
 * };
 * const options = { simulator: { reliable: false } };
 * const start = await stepTo(system, [], options);
 * assert.deepEqual(start.pending.map((p) => p.label), ["m2.lab>m1.lab#1", "m3.lab>m1.lab#1"]);
 * const next = await stepTo(system, ["m3.lab>m1.lab#1"], options);
 * assert.deepEqual(next.pending.map((p) => p.label), ["m2.lab>m1.lab#1"]);
 * assert.deepEqual(next.processes.find((p) => p.address === "r@m1.lab")?.log, ["got b"]);
 * ```
 *
 * @example Duplicating a pending message: its copy is pending too, and delivered twice
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepTo } from "./stepper.ts";
 * const system = (sim: import("../../core/simulator/simulator.ts").Simulator) => {
 *   sim.machine("m1.lab").spawn("r", async (ctx) => {
 *     for (;;) ctx.log(`got ${(await ctx.receive<string>()).body}`);
 *   });
 *   sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("r@m1.lab", "a"));
 * };
 * const options = { simulator: { reliable: false } };
 * const doubled = await stepTo(system, ["dup m2.lab>m1.lab#1"], options);
 * assert.deepEqual(doubled.pending.map((p) => p.label), ["m2.lab>m1.lab#1", "m2.lab>m1.lab#1/2"]);
 * const both = await stepTo(system, ["dup m2.lab>m1.lab#1", "m2.lab>m1.lab#1", "m2.lab>m1.lab#1/2"], options);
 * assert.deepEqual(both.processes.find((p) => p.address === "r@m1.lab")?.log, ["got a", "got a"]);
 * ```
 */
export async function stepTo<S>(
  system: (sim: Simulator) => S | Promise<S>,
  choices: readonly string[],
  options: ExploreOptions<S> = {},
): Promise<StepView> {
  let i = 0;
  let pendingNow: readonly PendingEvent[] = [];
  // The network decides a duplicate when it sends the frame: `dup LABEL` applies there, wherever
  // it stands on the path (exploration lists it right after the send; the page where it was
  // clicked), and its copy `LABEL/2` is pending from then on.
  const duplicated = new Set(
    choices.filter((c) => c.startsWith("dup ")).map((c) => c.slice("dup ".length)),
  );
  const sent = new Set<string>();
  const chooser: Chooser = {
    horizon: options.horizon ?? Infinity,
    duplicate: (frame) => {
      if (!duplicated.has(frame.label)) return false;
      sent.add(frame.label);
      return true;
    },
    next(pending) {
      while (choices[i]?.startsWith("dup ")) i++;
      if (i >= choices.length) {
        pendingNow = pending;
        return CHOOSE_STOP;
      }
      const choice = choices[i++];
      if (choice.startsWith("crash ")) {
        sim.crash(choice.slice("crash ".length), {
          restartAt: sim.now + (options.restartAfter ?? 10),
        });
        return CHOOSE_AGAIN;
      }
      const drop = choice.startsWith("drop ");
      const label = drop ? choice.slice("drop ".length) : choice;
      const index = pending.findIndex((p) => p.label === label);
      if (index < 0) {
        throw new RangeError(`Cannot step: "${label}" is not pending after ${i - 1} choices`);
      }
      return drop ? { drop: index } : index;
    },
  };
  const sim = new Simulator({ ...options.simulator, trace: true, chooser });
  const state = await system(sim);
  let violation: string | undefined, over = false;
  try {
    over = (await sim.run({ maxEvents: options.maxEvents ?? 10_000 })).quiescent;
  } catch (error) {
    violation = error instanceof Error ? error.message : String(error);
  }
  const unsent = [...duplicated].find((label) => !sent.has(label));
  if (unsent !== undefined) {
    throw new RangeError(`Cannot step: "dup ${unsent}" names a frame the network never sent`);
  }
  const verdict = options.invariant?.(state, { sim, quiescent: over });
  if (violation === undefined && verdict !== undefined && verdict !== true) {
    violation = verdict === false ? "the invariant does not hold" : verdict || undefined;
  }
  return {
    choices,
    pending: over ? [] : pendingNow,
    processes: processesOf(sim),
    time: sim.now,
    violation,
  };
}

/**
 * `choices` followed by the seeded order (the earliest pending event each time) until the
 * invariant fails or the run ends, as exploration judges a path: the whole of a counterexample,
 * step by step. At most `limit` steps are added.
 *
 * @example A path that ends on its own
 * ```ts
 * import assert from "node:assert/strict";
 * import { completePath } from "./stepper.ts";
 * const path = await completePath((sim) => {
 *   sim.machine("m1.lab").spawn("r", async (ctx) => { await ctx.receive(); });
 *   sim.machine("m2.lab").spawn("s", (ctx) => ctx.send("r@m1.lab", "hi"));
 * }, [], { simulator: { reliable: false } });
 * assert.deepEqual(path, ["m2.lab>m1.lab#1"]);
 * ```
 */
export async function completePath<S>(
  system: (sim: Simulator) => S | Promise<S>,
  choices: readonly string[],
  options: ExploreOptions<S> = {},
  limit = 200,
): Promise<string[]> {
  const path = [...choices];
  for (let i = 0; i < limit; i++) {
    const view = await stepTo(system, path, options);
    if (view.violation !== undefined || view.pending.length === 0) break;
    path.push(view.pending[0].label);
  }
  return path;
}
