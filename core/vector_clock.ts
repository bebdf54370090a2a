/**
 * Vector clocks as pure functions on plain records (`{ "a@m1.lab": 2, "b@m2.lab": 1 }`), the
 * shape carried in an envelope's `vc` field. A missing entry counts as 0; no function mutates
 * its arguments.
 * @module
 */

/** A vector clock: one counter per process address; a missing entry is 0. */
export type VectorClock = Readonly<Record<string, number>>;

/** How two vector clocks relate in the happened-before order. */
export type ClockOrder = "before" | "after" | "equal" | "concurrent";

/** The vector clock helpers, grouped under {@link VectorClock}. */
export interface VectorClockHelpers {
  /** The empty clock (every entry 0). */
  zero(): VectorClock;
  /** A copy of `clock` with `node`'s entry incremented: a local event or a send. */
  tick(clock: VectorClock, node: string): VectorClock;
  /** The entry-wise maximum of `a` and `b`: what a receiver knows after a delivery. */
  merge(a: VectorClock, b: VectorClock): VectorClock;
  /** Whether `a` happened before `b`, after it, is equal to it or is concurrent with it. */
  compare(a: VectorClock, b: VectorClock): ClockOrder;
}

function tick(clock: VectorClock, node: string): VectorClock {
  if (typeof node !== "string" || node === "") {
    throw new TypeError(
      `Cannot tick vector clock: node ${JSON.stringify(node)} must be a non-empty address`,
    );
  }
  return { ...clock, [node]: (clock[node] ?? 0) + 1 };
}

function merge(a: VectorClock, b: VectorClock): VectorClock {
  const out: Record<string, number> = { ...a };
  for (const [node, count] of Object.entries(b)) {
    if (count > (out[node] ?? 0)) out[node] = count;
  }
  return out;
}

function compare(a: VectorClock, b: VectorClock): ClockOrder {
  let less = false, greater = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0, y = b[node] ?? 0;
    if (x < y) less = true;
    else if (x > y) greater = true;
    if (less && greater) return "concurrent";
  }
  return less ? "before" : greater ? "after" : "equal";
}

/**
 * Vector clock helpers: `zero`, `tick`, `merge` and `compare`, all pure.
 *
 * @example Causality between two processes
 * ```ts
 * import assert from "node:assert/strict";
 * import { VectorClock } from "./vector_clock.ts";
 * const send = VectorClock.tick(VectorClock.zero(), "a");        // a sends: { a: 1 }
 * const other = VectorClock.tick(VectorClock.zero(), "b");       // b does something: { b: 1 }
 * const recv = VectorClock.tick(VectorClock.merge(other, send), "b"); // b receives: { a: 1, b: 2 }
 * assert.deepEqual(recv, { a: 1, b: 2 });
 * assert.equal(VectorClock.compare(send, recv), "before");
 * assert.equal(VectorClock.compare(recv, send), "after");
 * assert.equal(VectorClock.compare(send, other), "concurrent");
 * assert.equal(VectorClock.compare({ a: 0 }, {}), "equal");
 * ```
 */
export const VectorClock: VectorClockHelpers = Object.freeze({
  zero: (): VectorClock => ({}),
  tick,
  merge,
  compare,
});
