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
const STRIDE = 12;

/** Events per block of numbers (a power of two). */
const CHUNK_BITS = 11, CHUNK = 1 << CHUNK_BITS, CHUNK_MASK = CHUNK - 1;

/** The numbers of a store with no event yet. */
const NO_NUMBERS = new Float64Array(0);

/** Numbers per block of stamps, unless one stamp needs more. */
const STAMP_CHUNK = 1 << 15;

/** A stamp's place is its block's number times this plus its place in the block. */
const STAMP_SPAN = 2 ** 26;

/** What an event keeps beside its numbers: its object, or its id or label as a string. */
type Ref = TraceEvent | string;

/** An id held as its string, not as numbers. */
const NO_ID = -1;

/** How a message event's label is held: unset, as a number, as its string. */
const LABEL_UNSET = 0, LABEL_NUMBER = 1, LABEL_KEPT = 2;

/**
 * The value of the plain decimal `text.slice(from)` (digits only, no leading zero, at most 15 of
 * them, so that `String(n)` gives the text back), or -1.
 */
function decimal(text: string, from: number): number {
  const end = text.length;
  if (end === from || end - from > 15) return -1;
  if (text.charCodeAt(from) === 48 && end - from > 1) return -1;
  let n = 0;
  for (let k = from; k < end; k++) {
    const c = text.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

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
   * The current block of numbers: per event, {@link STRIDE} numbers: its shape (0: an object), time, Lamport clock, the numbers
   * of `at`, `from`, `to` and `kind` (-1: unset), where its stamp is in {@link #stampChunks} (-1:
   * none), its id's prefix (a name; {@link NO_ID}: the id is in {@link #refs}) and number, how
   * its label is held and its number.
   */
  #nums: Float64Array = NO_NUMBERS;
  /** Every block of numbers: {@link CHUNK} events each, the last one {@link #nums}. */
  readonly #chunks: Float64Array[] = [];
  /**
   * Per event, two slots: its id and label when they are not held as numbers, or the recorded
   * object and `undefined`; in blocks of {@link CHUNK} events, each made when something is
   * first written in it (a run of message events writes none: a list of two slots per event,
   * grown by copying, held nothing but `undefined`).
   */
  readonly #refs: (Ref[] | undefined)[] = [];
  /** Names (addresses, kinds) by number. */
  readonly #names: string[] = [];
  readonly #nameIndex = new Map<string, number>();
  /**
   * Stamps one after the other, in blocks: a length, the prefix (a name; {@link NO_ID}: unknown)
   * and number of the id of the message sent with it, then that many counts.
   */
  readonly #stampChunks: Float64Array[] = [];
  /** The block stamps are added to, and where the next one goes in it. */
  #stampChunk: Float64Array = NO_NUMBERS;
  #stampNext = 0;
  /** The id written as numbers last, and its numbers (a receive follows its delivery). */
  #lastId: string | undefined = undefined;
  #lastPrefix = NO_ID;
  #lastNumber = 0;
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
    this.#ref(this.#size - 1, 0, event);
  }

  /** Writes `value` in slot `slot` of event `i` (see {@link #refs}). */
  #ref(i: number, slot: number, value: Ref): void {
    const block = i >>> CHUNK_BITS, refs = this.#refs;
    while (refs.length <= block) refs.push(undefined);
    const chunk = refs[block] ??= new Array(2 * CHUNK);
    chunk[2 * (i & CHUNK_MASK) + slot] = value;
  }

  /** What slot `slot` of event `i` holds (see {@link #refs}). */
  #refOf(i: number, slot: number): Ref | undefined {
    return this.#refs[i >>> CHUNK_BITS]?.[2 * (i & CHUNK_MASK) + slot];
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
    idPrefix?: string,
    idNumber?: number,
  ): boolean {
    let offset = -1;
    if (vc !== undefined) {
      if (!(vc instanceof VectorStamp) || vc.space !== this.#space) return false;
      offset = this.#stamp(vc);
      if (offset < 0) return false;
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
    // An id and a label are new strings per message: kept, they survived every young collection
    // (most of what the collector still did); held as numbers, they are not kept at all.
    const known = idPrefix !== undefined && this.#idFrom(id, idPrefix, idNumber!, offset, i);
    if (!known && !this.#idOf(id, offset, i)) this.#ref(this.#size - 1, 0, id);
    if (label !== undefined) {
      const kept = this.#label(label, i);
      if (kept !== undefined) this.#ref(this.#size - 1, 1, kept);
    } else nums[i + 10] = LABEL_UNSET;
    return true;
  }

  /** Writes the id `idPrefix + idNumber` of a send as numbers (its stamp remembers them). */
  #idFrom(id: string, idPrefix: string, idNumber: number, offset: number, i: number): boolean {
    if (!Number.isSafeInteger(idNumber) || idNumber < 0) return false;
    const prefix = this.#prefix(idPrefix), nums = this.#nums;
    nums[i + 8] = prefix;
    nums[i + 9] = idNumber;
    if (offset >= 0) {
      const chunk = this.#stampChunks[Math.floor(offset / STAMP_SPAN)], at = offset % STAMP_SPAN;
      if (chunk[at + 1] === NO_ID) {
        chunk[at + 1] = prefix;
        chunk[at + 2] = idNumber;
      }
    }
    this.#lastId = id;
    this.#lastPrefix = prefix;
    this.#lastNumber = idNumber;
    return true;
  }

  /**
   * Writes `id` as numbers when it is the id met last (a receive after its delivery) or the one
   * its stamp was sent with (a delivery), checked; else marks it kept and returns `false`.
   */
  #idOf(id: string, offset: number, i: number): boolean {
    const nums = this.#nums;
    if (id === this.#lastId) {
      nums[i + 8] = this.#lastPrefix;
      nums[i + 9] = this.#lastNumber;
      return true;
    }
    const chunk = offset < 0 ? NO_NUMBERS : this.#stampChunks[Math.floor(offset / STAMP_SPAN)];
    const at = offset % STAMP_SPAN, prefix = offset < 0 ? NO_ID : chunk[at + 1];
    if (prefix !== NO_ID) {
      const n = chunk[at + 2], text = this.#names[prefix];
      if (id.startsWith(text) && decimal(id, text.length) === n) {
        nums[i + 8] = prefix;
        nums[i + 9] = n;
        this.#lastId = id;
        this.#lastPrefix = prefix;
        this.#lastNumber = n;
        return true;
      }
    }
    nums[i + 8] = NO_ID;
    return false;
  }

  /** Writes how `label` is held: as its number, or kept (returned, for the refs). */
  #label(label: string, i: number): string | undefined {
    const nums = this.#nums;
    const n = decimal(label, 0);
    if (n >= 0) {
      nums[i + 10] = LABEL_NUMBER;
      nums[i + 11] = n;
      return undefined;
    }
    nums[i + 10] = LABEL_KEPT;
    return label;
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

  /**
   * The index in {@link #nums} of a new event's numbers. Blocks are added, never grown: a
   * growing array copied what it held each time, and the fresh memory cost as much again.
   */
  #slot(): number {
    const i = this.#size++, at = (i & CHUNK_MASK) * STRIDE;
    if (at === 0) this.#chunks.push(this.#nums = new Float64Array(CHUNK * STRIDE));
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
    const nums = this.#chunks[i >>> CHUNK_BITS], n = (i & CHUNK_MASK) * STRIDE, shape = nums[n];
    if (shape === 0) return this.#refOf(i, 0) as TraceEvent;
    const names = this.#names;
    const t = nums[n + 1], lamport = nums[n + 2], at = names[nums[n + 3]];
    const from = names[nums[n + 4]], kind = names[nums[n + 6]];
    const prefix = nums[n + 8], vc = this.#stampAt(nums[n + 7], kept);
    const id = prefix === NO_ID ? this.#refOf(i, 0) as string : `${names[prefix]}${nums[n + 9]}`;
    if (shape === SEND) {
      const to = names[nums[n + 5]], mode = nums[n + 10];
      const label = mode === LABEL_NUMBER
        ? `${nums[n + 11]}`
        : mode === LABEL_KEPT
        ? this.#refOf(i, 1) as string
        : undefined;
      return { t, ev: "send", at, id, from, to, kind, label, lamport, vc };
    }
    if (shape === DELIVER) {
      return { t, ev: "deliver", at, id, from, to: names[nums[n + 5]], kind, lamport, vc };
    }
    return { t, ev: "receive", at, id, from, kind, lamport, vc };
  }

  /**
   * The number of `name`. The four names met last are compared before the map is asked: a
   * conversation's events name the same few processes and kinds, and a comparison with the same
   * string costs less than hashing into the map (four lookups per event were 3% of a traced
   * simulated ping-pong).
   */
  #name(name: string): number {
    if (name === this.#recent0) return this.#recentIndex0;
    if (name === this.#recent1) return this.#recentIndex1;
    if (name === this.#recent2) return this.#recentIndex2;
    if (name === this.#recent3) return this.#recentIndex3;
    const index = this.#numbered(name), k = this.#recentNext;
    this.#recentNext = (k + 1) & 3;
    if (k === 0) this.#recent0 = name, this.#recentIndex0 = index;
    else if (k === 1) this.#recent1 = name, this.#recentIndex1 = index;
    else if (k === 2) this.#recent2 = name, this.#recentIndex2 = index;
    else this.#recent3 = name, this.#recentIndex3 = index;
    return index;
  }
  #recent0: string | undefined = undefined;
  #recent1: string | undefined = undefined;
  #recent2: string | undefined = undefined;
  #recent3: string | undefined = undefined;
  #recentIndex0 = 0;
  #recentIndex1 = 0;
  #recentIndex2 = 0;
  #recentIndex3 = 0;
  #recentNext = 0;

  /** The prefixes of the ids met last and their numbers (see {@link #idFrom}). */
  #prefix(idPrefix: string): number {
    if (idPrefix === this.#prefix0) return this.#prefixIndex0;
    if (idPrefix === this.#prefix1) return this.#prefixIndex1;
    const index = this.#numbered(idPrefix);
    this.#prefix1 = this.#prefix0, this.#prefixIndex1 = this.#prefixIndex0;
    this.#prefix0 = idPrefix, this.#prefixIndex0 = index;
    return index;
  }
  #prefix0: string | undefined = undefined;
  #prefix1: string | undefined = undefined;
  #prefixIndex0 = 0;
  #prefixIndex1 = 0;

  /** The number of `name` in {@link #names}, given on first use. */
  #numbered(name: string): number {
    let index = this.#nameIndex.get(name);
    if (index === undefined) {
      index = this.#names.length;
      this.#nameIndex.set(name, index);
      this.#names.push(name);
    }
    return index;
  }

  /**
   * Where `stamp`'s counts are: stored on its first event, in blocks that are added, never grown
   * (a growing array copied what it held each time); -1 when it cannot be stored so.
   */
  #stamp(stamp: VectorStamp): number {
    let offset = stamp.stored;
    if (offset >= 0) return offset;
    const entries = stamp.counts(), n = entries.length, size = n + 3;
    if (size > STAMP_SPAN) return -1;
    let chunk = this.#stampChunk, at = this.#stampNext;
    if (at + size > chunk.length) {
      chunk = this.#stampChunk = new Float64Array(Math.max(STAMP_CHUNK, size));
      this.#stampChunks.push(chunk);
      at = 0;
    }
    for (let k = 0; k < n; k++) {
      const count = entries[k];
      if (typeof count !== "number") return -1;
      chunk[at + 3 + k] = count;
    }
    chunk[at] = n;
    chunk[at + 1] = NO_ID;
    chunk[at + 2] = 0;
    this.#stampNext = at + size;
    offset = (this.#stampChunks.length - 1) * STAMP_SPAN + at;
    stamp.stored = offset;
    return offset;
  }

  /** The stamp stored at `offset`: one object per stamp for the reader's events. */
  #stampAt(offset: number, kept: boolean): VectorStamp | undefined {
    if (offset < 0) return undefined;
    let stamp = kept ? this.#madeStamps.get(offset) : undefined;
    if (stamp === undefined) {
      const chunk = this.#stampChunks[Math.floor(offset / STAMP_SPAN)], at = offset % STAMP_SPAN;
      const n = chunk[at], counts: number[] = new Array(n);
      for (let k = 0; k < n; k++) counts[k] = chunk[at + 3 + k];
      stamp = new VectorStamp(this.#space, counts);
      stamp.stored = offset;
      if (kept) this.#madeStamps.set(offset, stamp);
    }
    return stamp;
  }
}
