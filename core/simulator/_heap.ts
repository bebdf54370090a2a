/**
 * A binary min-heap of scheduled events ordered by (time, sequence): ties keep insertion order,
 * which keeps the simulator deterministic.
 * @module
 */
import type { PendingEvent } from "./chooser.ts";

/** A scheduled event. */
export interface Scheduled {
  /** Virtual time in ms. */
  t: number;
  /** Insertion order, to break ties. */
  seq: number;
  /** What to run. */
  run(): void;
  /** Set when cancelled: the event is skipped when popped. */
  cancelled: boolean;
  /** What it is, for a chooser (only kept when the simulator has one). */
  info?: PendingEvent;
}

/** Min-heap of {@link Scheduled} events. */
export class EventHeap {
  #items: Scheduled[] = [];

  /** Number of events, cancelled ones included. */
  get size(): number {
    return this.#items.length;
  }

  /** Every event in heap order (not sorted), cancelled ones included. */
  all(): readonly Scheduled[] {
    return this.#items;
  }

  /** The earliest event, without removing it. */
  peek(): Scheduled | undefined {
    return this.#items[0];
  }

  /** Adds an event. */
  push(item: Scheduled): void {
    const items = this.#items;
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = items[parent];
      if (p.t < item.t || (p.t === item.t && p.seq < item.seq)) break;
      items[i] = p;
      i = parent;
    }
    items[i] = item;
  }

  /** Drops every cancelled event (order among the others is kept: it is by time and sequence). */
  compact(): void {
    const kept = this.#items.filter((item) => !item.cancelled);
    this.#items = [];
    for (const item of kept) this.push(item);
  }

  /** Removes and returns the earliest event. */
  pop(): Scheduled | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    const n = items.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n) {
        const a = items[l], b = items[r];
        if (b.t < a.t || (b.t === a.t && b.seq < a.seq)) c = r;
      }
      const child = items[c];
      if (last.t < child.t || (last.t === child.t && last.seq < child.seq)) break;
      items[i] = child;
      i = c;
    }
    items[i] = last;
    return top;
  }
}
