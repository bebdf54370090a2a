/**
 * The in-memory store of a kept {@link Trace}: the message events a traced run records most
 * (send, deliver, receive) held in columns of numbers and shared strings, their vector clocks
 * copied into one flat array of counts, and every other event as the object it was recorded as.
 * Event objects are made only when someone reads them ({@link TraceStore.event}): a kept
 * trace's events survive every young-generation collection, and hundreds of thousands of small
 * objects (an event and a stamp per message) made the garbage collector a third of a traced
 * simulation. What a reader gets is the object the recording call site would have built: the
 * same keys in the same order, the same values, vector clocks equal entry by entry.
 * @module
 */
import type { TraceEvent } from "./trace.ts";
import { type ClockSpace, VectorStamp } from "./vector_stamp.ts";

/** The shapes of the message events held in columns (0: an object, kept as recorded). */
export const SEND = 1, DELIVER = 2, RECEIVE = 3;

/** Numbers per event in the store. */
const STRIDE = 8;

/**
 * Columns of message events and the objects of the others, in the order recorded.
 *
 * @example A send kept in columns reads back as the object it was
 * ```ts
 * import assert from "node:assert/strict";
 * import { SEND, TraceStore } from "./_trace_store.ts";
 * import { ClockSpace } from "./vector_stamp.ts";
 * const space = new ClockSpace(), store = new TraceStore(space);
 * const vc = space.zero.tick("a@m1.lab");
 * assert.ok(store.message(SEND, 1, "a@m1.lab", "a@m1.lab#1.1", "a@m1.lab", "b@m1.lab", "get", "x", 1, vc));
 * store.object({ t: 2, ev: "crash", at: "m1.lab" });
 * assert.deepEqual(store.event(0), {
 *   t: 1, ev: "send", at: "a@m1.lab", id: "a@m1.lab#1.1", from: "a@m1.lab", to: "b@m1.lab",
 *   kind: "get", label: "x", lamport: 1, vc,
 * });
 * assert.equal(vc.compare(store.event(0).vc!), "equal");
 * assert.deepEqual(store.event(1), { t: 2, ev: "crash", at: "m1.lab" });
 * assert.equal(store.size, 2);
 * ```
 */
export class TraceStore {
  readonly #space: ClockSpace;
  #size = 0;
  /**
   * Per event, {@link STRIDE} numbers: its shape (0: an object), time, Lamport clock, the numbers
   * of `at`, `from`, `to` and `kind` (-1: unset), where its stamp starts in {@link #counts} (-1:
   * none).
   */
  #nums = new Float64Array(STRIDE * 64);
  /** Per event, two slots: its id and label, or the recorded object and `undefined`. */
  readonly #refs: (TraceEvent | string | undefined)[] = [];
  /** Names (addresses, kinds) by number. */
  readonly #names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  /** Stamps one after the other: a length, then that many counts. */
  readonly #counts: number[] = [];
  /** The events made so far, by number (a reader's objects, made once). */
  readonly #made: TraceEvent[] = [];
  /** The stamps of the reader's events, by where they are stored. */
  readonly #madeStamps = new Map<number, VectorStamp>();

  /** A store whose stamps are numbered in `space` (the trace's). */
  constructor(space: ClockSpace) {
    this.#space = space;
  }

  /** Number of events stored. */
  get size(): number {
    return this.#size;
  }

  /** Stores an event as the object it is. */
  object(event: TraceEvent): void {
    const at = this.#slot();
    this.#nums[at] = 0;
    this.#refs.push(event, undefined);
  }

  /**
   * Stores a message event of shape `shape` in columns; `false` (nothing stored) when its clock
   * is not a stamp of this store's space (the caller then stores the object).
   */
  message(
    shape: number,
    t: number,
    at: string,
    id: string,
    from: string,
    to: string | undefined,
    kind: string,
    label: string | undefined,
    lamport: number,
    vc: unknown,
  ): boolean {
    let offset = -1;
    if (vc !== undefined) {
      if (!(vc instanceof VectorStamp) || vc.space !== this.#space) return false;
      offset = this.#stamp(vc);
    }
    const i = this.#slot(), nums = this.#nums;
    nums[i] = shape;
    nums[i + 1] = t;
    nums[i + 2] = lamport;
    nums[i + 3] = this.#name(at);
    nums[i + 4] = from === at ? nums[i + 3] : this.#name(from);
    nums[i + 5] = to === undefined ? -1 : to === at ? nums[i + 3] : this.#name(to);
    nums[i + 6] = this.#name(kind);
    nums[i + 7] = offset;
    this.#refs.push(id, label);
    return true;
  }

  /** Event number `i`, made from its columns on first read. */
  event(i: number): TraceEvent {
    return this.#made[i] ?? this.#make(i);
  }

  /** Every event, in order: one array, extended as events are recorded. */
  all(): TraceEvent[] {
    const made = this.#made;
    for (let i = made.length; i < this.#size; i++) made.push(this.#build(i, true));
    return made;
  }

  /**
   * Event number `i` for a one-time read (a digest, a JSONL line): the reader's object when one
   * was made, else a fresh one that is not kept.
   */
  peek(i: number): TraceEvent {
    return i < this.#made.length ? this.#made[i] : this.#build(i, false);
  }

  /** The index in {@link #nums} of a new event's numbers. */
  #slot(): number {
    const at = this.#size++ * STRIDE;
    if (at + STRIDE > this.#nums.length) {
      const grown = new Float64Array(this.#nums.length * 2);
      grown.set(this.#nums);
      this.#nums = grown;
    }
    return at;
  }

  #make(i: number): TraceEvent {
    // Events are made in order (all() extends the array; event(i) only past its end).
    const made = this.#made;
    for (let j = made.length; j < i; j++) made.push(this.#build(j, true));
    const event = this.#build(i, true);
    made.push(event);
    return event;
  }

  /** The object of event `i`, with the keys, in the order, its call site gave them. */
  #build(i: number, kept: boolean): TraceEvent {
    const nums = this.#nums, n = i * STRIDE, shape = nums[n];
    if (shape === 0) return this.#refs[2 * i] as TraceEvent;
    const names = this.#names;
    const t = nums[n + 1], lamport = nums[n + 2], at = names[nums[n + 3]];
    const from = names[nums[n + 4]], kind = names[nums[n + 6]];
    const id = this.#refs[2 * i] as string, vc = this.#stampAt(nums[n + 7], kept);
    if (shape === SEND) {
      const to = names[nums[n + 5]], label = this.#refs[2 * i + 1] as string | undefined;
      return { t, ev: "send", at, id, from, to, kind, label, lamport, vc };
    }
    if (shape === DELIVER) {
      return { t, ev: "deliver", at, id, from, to: names[nums[n + 5]], kind, lamport, vc };
    }
    return { t, ev: "receive", at, id, from, kind, lamport, vc };
  }

  #name(name: string): number {
    let index = this.#nameIndex.get(name);
    if (index === undefined) {
      index = this.#names.length;
      this.#nameIndex.set(name, index);
      this.#names.push(name);
    }
    return index;
  }

  /** Where `stamp`'s counts are: stored on its first event. */
  #stamp(stamp: VectorStamp): number {
    let offset = stamp.stored;
    if (offset >= 0) return offset;
    const counts = this.#counts, entries = stamp.counts();
    offset = counts.length;
    counts.push(entries.length);
    for (let k = 0; k < entries.length; k++) counts.push(entries[k]);
    stamp.stored = offset;
    return offset;
  }

  /** The stamp stored at `offset`: one object per stamp for the reader's events. */
  #stampAt(offset: number, kept: boolean): VectorStamp | undefined {
    if (offset < 0) return undefined;
    let stamp = kept ? this.#madeStamps.get(offset) : undefined;
    if (stamp === undefined) {
      const counts = this.#counts, n = counts[offset];
      stamp = new VectorStamp(this.#space, counts.slice(offset + 1, offset + 1 + n));
      stamp.stored = offset;
      if (kept) this.#madeStamps.set(offset, stamp);
    }
    return stamp;
  }
}
