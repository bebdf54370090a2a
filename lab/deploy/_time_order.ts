/**
 * Merges the trace events of several OS processes into time order. Each source (a machine's
 * stdout) delivers its own events in time order, but the sources race each other to the lab: an
 * event is held until every live source has reported a time at least as late (an event or a
 * tick), so what is released never goes back in time. A source that stays silent (a stuck
 * machine) holds events back at most `patience` ms of the caller's clock.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";

export type { TraceEvent, TraceEventType } from "../../core/trace.ts";

/** Options of {@link TimeOrder}. */
export interface TimeOrderOptions {
  /** The current time on the events' clock, for the lab's own events and the patience. */
  readonly now: () => number;
  /** Longest an event waits for a silent source, in ms. @default 2000 */
  readonly patience?: number;
}

/**
 * A merge buffer of timed events from several sources.
 *
 * @example Two machines, one behind the other
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeOrder } from "./_time_order.ts";
 * const out: number[] = [];
 * const order = new TimeOrder((e) => out.push(e.t), { now: () => 100 });
 * order.open("m1.lab");
 * order.open("m2.lab");
 * order.push("m1.lab", { t: 5, ev: "log", at: "a@m1.lab" });
 * order.push("m1.lab", { t: 9, ev: "log", at: "a@m1.lab" });
 * assert.deepEqual(out, []); // m2.lab may still have something earlier
 * order.push("m2.lab", { t: 7, ev: "log", at: "b@m2.lab" });
 * assert.deepEqual(out, [5, 7]);
 * order.flush();
 * assert.deepEqual(out, [5, 7, 9]);
 * ```
 */
export class TimeOrder {
  readonly #release: (event: TraceEvent) => void;
  readonly #now: () => number;
  readonly #patience: number;
  readonly #marks = new Map<string, number>();
  #held: TraceEvent[] = [];

  /** Creates the buffer; `release` gets the events in time order. */
  constructor(release: (event: TraceEvent) => void, options: TimeOrderOptions) {
    this.#release = release;
    this.#now = options.now;
    this.#patience = options.patience ?? 2000;
  }

  /** Events held back. */
  get held(): number {
    return this.#held.length;
  }

  /** Starts waiting for `source`, which has reported nothing yet. */
  open(source: string): void {
    if (!this.#marks.has(source)) this.#marks.set(source, -Infinity);
  }

  /** Stops waiting for `source` (it exited): its events so far are all in. */
  close(source: string): void {
    this.#marks.delete(source);
    this.#drain();
  }

  /** Adds an event of `source`, or only its time (a tick) when `event` is a number. */
  push(source: string, event: TraceEvent | number): void {
    const t = typeof event === "number" ? event : event.t;
    if (this.#marks.has(source)) this.#marks.set(source, Math.max(this.#marks.get(source)!, t));
    if (typeof event !== "number") this.#held.push(event);
    this.#drain();
  }

  /** Releases events whose wait ran out; call now and then. */
  poll(): void {
    this.#drain();
  }

  /** Releases everything held, in time order. */
  flush(): void {
    this.#drain(Infinity);
  }

  #drain(low = Math.min(this.#now(), ...this.#marks.values())): void {
    const limit = Math.max(low, this.#now() - this.#patience);
    if (this.#held.length === 0) return;
    const ready: TraceEvent[] = [], rest: TraceEvent[] = [];
    for (const e of this.#held) (e.t <= limit ? ready : rest).push(e);
    if (ready.length === 0) return;
    this.#held = rest;
    // A stable sort: events of one time keep the order they arrived in.
    ready.sort((a, b) => a.t - b.t);
    for (const e of ready) this.#release(e);
  }
}
