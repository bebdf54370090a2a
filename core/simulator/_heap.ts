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
  /**
   * Where a timer was last put in a lane (the agenda's hint for a cancel, checked before use:
   * the place of the lane and in its ring, see `Agenda`).
   */
  slot?: number;
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

/** Places a {@link KeyedHeap} starts with (it doubles when full). */
const KEYED_START = 1024;

/**
 * A 4-ary min-heap of references ordered by (time, sequence), the keys in typed arrays: a sift
 * compares numbers in two flat arrays instead of reading each event object (four children per
 * node halve the depth; the keys of siblings sit side by side). Keys must be distinct, so the
 * order is the same as any other heap's.
 *
 * @example The least key comes out first
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyedHeap } from "./_heap.ts";
 * const heap = new KeyedHeap<string>();
 * heap.push(5, 1, "b");
 * heap.push(5, 0, "a");
 * heap.push(2, 9, "c");
 * const out: string[] = [];
 * while (heap.size > 0) {
 *   out.push(heap.top()!);
 *   heap.removeTop();
 * }
 * assert.deepEqual(out, ["c", "a", "b"]);
 * ```
 */
export class KeyedHeap<T> {
  #t = new Float64Array(KEYED_START);
  #seq = new Float64Array(KEYED_START);
  #refs: (T | undefined)[] = new Array(KEYED_START).fill(undefined);
  /** Number of entries. */
  size = 0;

  /** The reference with the least key, or `undefined` when empty. */
  top(): T | undefined {
    return this.size === 0 ? undefined : this.#refs[0];
  }

  /** The time of the top entry (the heap is not empty). */
  topT(): number {
    return this.#t[0];
  }

  /** The sequence of the top entry (the heap is not empty). */
  topSeq(): number {
    return this.#seq[0];
  }

  /** The time of the entry at place `i` (heap order, below {@link KeyedHeap.size}). */
  tAt(i: number): number {
    return this.#t[i];
  }

  /** The sequence of the entry at place `i` (heap order, below {@link KeyedHeap.size}). */
  seqAt(i: number): number {
    return this.#seq[i];
  }

  /** The reference at place `i` (heap order, below {@link KeyedHeap.size}). */
  at(i: number): T {
    return this.#refs[i]!;
  }

  /** Adds `ref` under key (`t`, `seq`). */
  push(t: number, seq: number, ref: T): void {
    if (this.size === this.#t.length) this.#grow();
    this.#up(this.size++, t, seq, ref);
  }

  /** Removes the top entry. */
  removeTop(): void {
    const n = --this.size;
    const refs = this.#refs;
    if (n === 0) {
      refs[0] = undefined;
      return;
    }
    const ref = refs[n]!;
    refs[n] = undefined;
    this.#down(0, this.#t[n], this.#seq[n], ref);
  }

  /** Gives the top entry the key (`t`, `seq`), not below its old one, and moves it down. */
  rekeyTop(t: number, seq: number): void {
    this.#down(0, t, seq, this.#refs[0]!);
  }

  /** Empties the heap. */
  clear(): void {
    this.#refs.fill(undefined, 0, this.size);
    this.size = 0;
  }

  #up(i: number, t: number, seq: number, ref: T): void {
    const ts = this.#t, seqs = this.#seq, refs = this.#refs;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = ts[parent];
      if (pt < t || (pt === t && seqs[parent] < seq)) break;
      ts[i] = pt;
      seqs[i] = seqs[parent];
      refs[i] = refs[parent];
      i = parent;
    }
    ts[i] = t;
    seqs[i] = seq;
    refs[i] = ref;
  }

  #down(i: number, t: number, seq: number, ref: T): void {
    const ts = this.#t, seqs = this.#seq, refs = this.#refs, n = this.size;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first, ct = ts[first], cs = seqs[first];
      const end = first + 4 < n ? first + 4 : n;
      for (let j = first + 1; j < end; j++) {
        const jt = ts[j];
        if (jt < ct || (jt === ct && seqs[j] < cs)) {
          c = j;
          ct = jt;
          cs = seqs[j];
        }
      }
      if (t < ct || (t === ct && seq < cs)) break;
      ts[i] = ct;
      seqs[i] = cs;
      refs[i] = refs[c];
      i = c;
    }
    ts[i] = t;
    seqs[i] = seq;
    refs[i] = ref;
  }

  #grow(): void {
    const n = this.#t.length;
    const t = new Float64Array(2 * n), seq = new Float64Array(2 * n);
    t.set(this.#t);
    seq.set(this.#seq);
    this.#t = t;
    this.#seq = seq;
    const refs = new Array<T | undefined>(2 * n).fill(undefined);
    for (let i = 0; i < n; i++) refs[i] = this.#refs[i];
    this.#refs = refs;
  }
}
