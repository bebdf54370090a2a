/**
 * The linearizability search of Wing & Gong, as improved by Lowe ("Testing for
 * Linearizability", 2017) and used by Porcupine: walk the calls and returns in real-time order,
 * linearize a call whenever the model allows its output, backtrack at a return whose call is
 * not linearized yet, and never explore the same (linearized set, state) twice.
 * @module
 */
import type { Model, Operation } from "./model.ts";

/** What a search found: a linearization (`ok`), none (`illegal`), or no answer in budget. */
export type Verdict = "ok" | "illegal" | "unknown";

/** Options of {@link searchLinearization}. */
export interface SearchOptions<S> {
  /** Search steps before giving up with `"unknown"`. @default 10_000_000 */
  readonly maxSteps?: number;
  /** The state before the first operation. @default model.init() */
  readonly initial?: S;
}

/** The outcome of {@link searchLinearization}. */
export interface SearchResult {
  /** `ok`, `illegal` or `unknown`. */
  readonly verdict: Verdict;
  /** Steps the search took. */
  readonly steps: number;
}

interface Seen<S> {
  readonly bits: Uint32Array;
  readonly state: S;
}

function mix(i: number): number {
  let z = Math.imul(i + 0x632be5ab, 0x9e3779b1);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Entries 0..n-1 are calls, n..2n-1 returns; the result is the doubly linked list in time order. */
function entryList<I, O>(ops: readonly Operation<I, O>[]): { next: Int32Array; prev: Int32Array } {
  const n = ops.length;
  const order = Array.from({ length: 2 * n }, (_, e) => e);
  const time = (e: number): number => e < n ? ops[e].call : ops[e - n].ret;
  // At equal times calls come first: touching operations count as concurrent (as Porcupine does).
  order.sort((a, b) => time(a) - time(b) || (a < n ? 0 : 1) - (b < n ? 0 : 1) || a - b);
  const head = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = head;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  return { next, prev };
}

/**
 * For each operation of unknown outcome, the identical one (same input) called just before it,
 * or -1. Identical open-ended operations are interchangeable (the earlier one may take effect
 * wherever the later one could), so the search takes them in call order: this turns 2^k subsets
 * of k timed-out writes of one value into k + 1 prefixes.
 */
function twins<I, O>(ops: readonly Operation<I, O>[]): Int32Array {
  const before = new Int32Array(ops.length).fill(-1);
  const last = new Map<string, number>();
  const open = ops.map((_, i) => i)
    .filter((i) => ops[i].ret === Infinity && ops[i].output === undefined && !ops[i].optional)
    .sort((a, b) => ops[a].call - ops[b].call || a - b);
  for (const i of open) {
    const key = JSON.stringify(ops[i].input) ?? "";
    before[i] = last.get(key) ?? -1;
    last.set(key, i);
  }
  return before;
}

/**
 * Decides whether `ops` (one object's operations) are linearizable with respect to `model`.
 * Operations with `ret: Infinity` may take effect at any point after their call (or never);
 * `optional` operations may also be skipped.
 *
 * @example A stale read is not linearizable
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchLinearization } from "./linearizability.ts";
 * import { registerModel } from "./register_model.ts";
 * const ops = [
 *   { input: { f: "write" as const, value: 1 }, output: {}, call: 0, ret: 1 },
 *   { input: { f: "read" as const }, output: { value: null }, call: 2, ret: 3 },
 * ];
 * assert.equal(searchLinearization(registerModel, ops).verdict, "illegal");
 * ops[1] = { input: { f: "read" as const }, output: { value: null }, call: 0.5, ret: 3 };
 * assert.equal(searchLinearization(registerModel, ops).verdict, "ok");
 * ```
 */
export function searchLinearization<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  options: SearchOptions<S> = {},
): SearchResult {
  const maxSteps = options.maxSteps ?? 10_000_000;
  const search = new Search(
    model,
    ops,
    options.initial !== undefined ? options.initial : model.init(),
  );
  const { next, head, n } = search;
  let steps = 0;
  while (next[head] !== -1) {
    if (++steps > maxSteps) return { verdict: "unknown", steps };
    if (search.entry < n) search.call();
    else if (!search.backtrack()) return { verdict: "illegal", steps };
  }
  return { verdict: "ok", steps };
}

/**
 * One search's state: the entries not linearized yet (a doubly linked list in time order), the
 * linearized set (bits and their hash), the stack of calls linearized, the (set, state) pairs
 * seen, and where the walk is.
 */
class Search<S, I, O> {
  /** Operations: entries 0..n-1 are calls, n..2n-1 returns. */
  readonly n: number;
  /** The list's head: `next[head]` is the earliest entry left. */
  readonly head: number;
  /** The entry after each (`-1` past the last). */
  readonly next: Int32Array;
  /** The entry the walk is at. */
  entry: number;
  readonly #model: Model<S, I, O>;
  readonly #ops: readonly Operation<I, O>[];
  readonly #prev: Int32Array;
  readonly #bits: Uint32Array;
  readonly #cache = new Map<number, Seen<S>[]>();
  readonly #keys: number[];
  readonly #before: Int32Array;
  readonly #stackEntry: number[] = [];
  readonly #stackState: S[] = [];
  readonly #stackOutcome: number[] = [];
  #state: S;
  #bitsHash = 0;
  /** The first outcome to try at the entry (1 after backtracking over outcome 0). */
  #from = 0;

  constructor(model: Model<S, I, O>, ops: readonly Operation<I, O>[], initial: S) {
    const n = ops.length;
    this.n = n;
    this.head = 2 * n;
    const { next, prev } = entryList(ops);
    this.next = next;
    this.#prev = prev;
    this.#model = model;
    this.#ops = ops;
    this.#bits = new Uint32Array(Math.max(1, Math.ceil(n / 32)));
    this.#keys = Array.from({ length: n }, (_, i) => mix(i));
    this.#before = twins(ops);
    this.#state = initial;
    this.entry = next[this.head];
  }

  /**
   * At a call: linearizes it when the model allows its output (or, optional, skips it) into a
   * (set, state) not seen yet, and goes back to the earliest entry left; else moves on.
   */
  call(): void {
    const entry = this.entry, next = this.next, bits = this.#bits;
    const twin = this.#before[entry];
    if (twin !== -1 && (bits[twin >>> 5] & (1 << (twin & 31))) === 0) {
      this.entry = next[entry];
      this.#from = 0;
      return;
    }
    const op = this.#ops[entry];
    let moved = false;
    for (let outcome = this.#from; outcome < 2 && !moved; outcome++) {
      let after: S | undefined;
      if (outcome === 0) after = this.#model.step(this.#state, op.input, op.output);
      else if (op.optional) after = this.#state;
      else break;
      if (after === undefined) continue;
      bits[entry >>> 5] |= 1 << (entry & 31);
      const h = (this.#bitsHash ^ this.#keys[entry]) >>> 0;
      if (this.#remember(h, after)) {
        this.#stackEntry.push(entry);
        this.#stackState.push(this.#state);
        this.#stackOutcome.push(outcome);
        this.#state = after;
        this.#bitsHash = h;
        this.#lift(entry);
        this.entry = next[this.head];
        moved = true;
      } else {
        bits[entry >>> 5] &= ~(1 << (entry & 31));
      }
    }
    this.#from = 0;
    if (!moved) this.entry = next[entry];
  }

  /**
   * At a return whose call is not linearized: undoes the last call linearized, to try its next
   * outcome; false when there is none to undo (no linearization).
   */
  backtrack(): boolean {
    if (this.#stackEntry.length === 0) return false;
    const e = this.#stackEntry.pop()!;
    this.#state = this.#stackState.pop()!;
    this.#from = this.#stackOutcome.pop()! + 1;
    this.#bits[e >>> 5] &= ~(1 << (e & 31));
    this.#bitsHash = (this.#bitsHash ^ this.#keys[e]) >>> 0;
    this.#putBack(e);
    this.entry = e;
    return true;
  }

  /** Lifts the call `e` and its return out of the list. */
  #lift(e: number): void {
    const next = this.next, prev = this.#prev, r = e + this.n;
    next[prev[e]] = next[e];
    prev[next[e]] = prev[e];
    next[prev[r]] = next[r];
    if (next[r] !== -1) prev[next[r]] = prev[r];
  }

  /** Puts the return of `e` back, then the call (the reverse of lifting). */
  #putBack(e: number): void {
    const next = this.next, prev = this.#prev, r = e + this.n;
    next[prev[r]] = r;
    if (next[r] !== -1) prev[next[r]] = r;
    next[prev[e]] = e;
    prev[next[e]] = e;
  }

  /** Records the linearized set (hashed `h`) with state `s`; false when it was seen before. */
  #remember(h: number, s: S): boolean {
    const model = this.#model, bits = this.#bits;
    const key = (h ^ Math.imul(model.hash(s), 0x85ebca6b)) >>> 0;
    let bucket = this.#cache.get(key);
    if (bucket === undefined) {
      bucket = [];
      this.#cache.set(key, bucket);
    } else {
      for (const seen of bucket) {
        if (sameBits(seen.bits, bits) && model.equal(seen.state, s)) return false;
      }
    }
    bucket.push({ bits: bits.slice(), state: s });
    return true;
  }
}
