/**
 * The chooser hook of the simulator: wherever the simulator makes a choice (which pending event
 * happens next, whether a frame is lost, whether it is duplicated) it asks a {@link Chooser}
 * when one is given. Without one it decides as it always did, from the seeded generator, so the
 * same seed gives the same trace byte for byte. Systematic exploration and shrinking are
 * choosers.
 * @module
 */

/** What a pending event is: a frame arriving at a machine, a timer, or a scheduled action. */
export type PendingKind = "arrive" | "timer" | "action";

/** A pending event, as a chooser sees it. */
export interface PendingEvent {
  /** Virtual time it is due at, in ms. */
  readonly t: number;
  /** Insertion order (ties at the same time run in this order by default). */
  readonly seq: number;
  /** What it is. */
  readonly kind: PendingKind;
  /** The machine it happens on (`"network"` for scheduled partitions and crashes). */
  readonly machine: string;
  /**
   * A name stable across re-runs of the same choices: `m1.lab>m2.lab#3` (the third frame on that
   * link; `m1.lab>m2.lab#3/2` its duplicate), `timer m1.lab#2` (the second timer machine m1.lab
   * set), `restart m1.lab#1` (a restart after a crash), `action #5` (another scheduled action).
   */
  readonly label: string;
  /** For an arrival, the frame as it travels (JSON text with `wire: "json"`). @default "" */
  readonly detail: string;
}

/** A frame the network is about to carry, for a drop or duplicate decision. */
export interface FrameChoice {
  /** Sending machine. */
  readonly from: string;
  /** Receiving machine. */
  readonly to: string;
  /** `msg` or `ack`. */
  readonly kind: string;
  /** `from>to#n`: the n-th frame on that link (from 1), stable across re-runs of the same choices. */
  readonly label: string;
  /** The message's kind, for a `msg` frame. */
  readonly message?: string;
}

/** Returned by {@link Chooser.next}: lose the pending arrival at this index, then ask again. */
export interface PendingDrop {
  /** Index of an arrival among the pending events. */
  readonly drop: number;
}

/**
 * Returned by {@link Chooser.next}: end the run here (it returns as not quiescent).
 *
 * @example Stopping after the first event
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHOOSE_STOP, Simulator } from "./simulator.ts";
 * let asked = 0;
 * const sim = new Simulator({ seed: 1, chooser: { next: () => asked++ === 0 ? 0 : CHOOSE_STOP } });
 * sim.machine("m1.lab").spawn("a", async (ctx) => { for (;;) await ctx.sleep(10); });
 * const result = await sim.run();
 * assert.equal(result.quiescent, false);
 * assert.equal(result.events, 1);
 * ```
 */
export const CHOOSE_STOP: -1 = -1;

/**
 * Returned by {@link Chooser.next}: the chooser changed the system (a crash): ask again.
 *
 * @example Crashing a machine from the chooser
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHOOSE_AGAIN, Simulator } from "./simulator.ts";
 * let crashed = false;
 * const sim: Simulator = new Simulator({
 *   seed: 1,
 *   chooser: {
 *     next: () => {
 *       if (crashed) return 0;
 *       crashed = true;
 *       sim.crash("m1.lab");
 *       return CHOOSE_AGAIN;
 *     },
 *   },
 * });
 * sim.machine("m1.lab").spawn("a", (ctx) => ctx.sleep(10));
 * await sim.run();
 * assert.equal(sim.trace.count("crash"), 1);
 * ```
 */
export const CHOOSE_AGAIN: -2 = -2;

/**
 * Makes the simulator's choices. Every method is optional in effect: `next` returning 0,
 * `drop`, `duplicate` and `reorder` returning `drawn` is exactly the seeded run.
 *
 * @example Run the latest event first
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator.ts";
 * import type { Chooser } from "./chooser.ts";
 * const order: string[] = [];
 * const lifo: Chooser = { horizon: Infinity, next: (pending) => pending.length - 1 };
 * const sim = new Simulator({ seed: 1, chooser: lifo, reliable: false });
 * sim.machine("m1.lab").spawn("a", async (ctx) => {
 *   for (let i = 0; i < 2; i++) order.push((await ctx.receive<string>()).body);
 * });
 * sim.machine("m2.lab").spawn("b", (ctx) => ctx.send("a@m1.lab", "first"));
 * sim.machine("m3.lab").spawn("c", (ctx) => ctx.send("a@m1.lab", "second"));
 * await sim.run();
 * assert.deepEqual(order, ["second", "first"]);
 * ```
 */
export interface Chooser {
  /**
   * Which events are candidates: those due within `horizon` ms of the earliest pending one.
   * `Infinity` makes any pending event a candidate (an asynchronous network). @default 0
   */
  readonly horizon?: number;
  /**
   * Picks the next event among `pending` (sorted by time, then insertion order: index 0 is the
   * seeded run's choice); or {@link CHOOSE_STOP}, or {@link CHOOSE_AGAIN}; or `{ drop: i }` to
   * lose the pending arrival `i` (then it asks again). @default the
   * seeded order (and no event is described, which costs nothing)
   */
  next?(pending: readonly PendingEvent[]): number | PendingDrop;
  /** Whether `frame` is lost; `drawn` is what the seeded generator decided. @default drawn */
  drop?(frame: FrameChoice, drawn: boolean): boolean;
  /** Whether `frame` is duplicated; `drawn` is the seeded decision. @default drawn */
  duplicate?(frame: FrameChoice, drawn: boolean): boolean;
  /**
   * Whether `frame` (a duplicate's copy is labelled `…/2`) is held back so that later frames
   * overtake it; `drawn` is the seeded decision. @default drawn
   */
  reorder?(frame: FrameChoice, drawn: boolean): boolean;
}
