/**
 * Vector stamps: the vector clocks a traced run keeps per process, stored compactly (one count
 * per process number of a shared {@link ClockSpace}) so that a tick or a merge costs an array
 * copy, not a keyed object, even with thousands of processes. A stamp is immutable; as JSON it
 * is the plain record `{ "a@m1.lab": 2, "b@m2.lab": 1 }` ({@link VectorClock}).
 * @module
 */
import { type ClockOrder, VectorClock } from "./vector_clock.ts";

const spaces = new WeakMap<object, ClockSpace>();

/**
 * The numbering of process addresses shared by the stamps of one trace.
 *
 * @example Addresses are numbered on first use; a record becomes a stamp
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClockSpace } from "./vector_stamp.ts";
 * const space = new ClockSpace();
 * assert.equal(space.indexOf("a@m1.lab"), 0);
 * assert.equal(space.indexOf("b@m2.lab"), 1);
 * assert.equal(space.indexOf("a@m1.lab"), 0);
 * assert.equal(space.stamp({ "b@m2.lab": 3 }).get("b@m2.lab"), 3);
 * const trace = {};
 * assert.equal(ClockSpace.of(trace), ClockSpace.of(trace));
 * ```
 */
export class ClockSpace {
  readonly #names: string[] = [];
  readonly #quoted: string[] = [];
  readonly #index = new Map<string, number>();
  /** The stamp with every entry 0. */
  readonly zero: VectorStamp = new VectorStamp(this, []);

  /** The number of `address`, given on first use. */
  indexOf(address: string): number {
    let index = this.#index.get(address);
    if (index === undefined) {
      index = this.#names.length;
      this.#index.set(address, index);
      this.#names.push(address);
      this.#quoted.push(JSON.stringify(address));
    }
    return index;
  }

  /** The address numbered `index`. */
  nameOf(index: number): string {
    return this.#names[index];
  }

  /** `nameOf(index)` as a JSON string literal (cached for writing stamps). */
  quotedNameOf(index: number): string {
    return this.#quoted[index];
  }

  /** The stamp holding the entries of `clock`. */
  stamp(clock: VectorClock): VectorStamp {
    return this.zero.receive(clock);
  }

  /** The space of the stamps recorded into `trace` (one per trace, made on first use). */
  static of(trace: object): ClockSpace {
    let space = spaces.get(trace);
    if (space === undefined) spaces.set(trace, space = new ClockSpace());
    return space;
  }
}

/**
 * An immutable vector clock over a {@link ClockSpace}.
 *
 * @example A send, a receive, and what JSON makes of them
 * ```ts
 * import assert from "node:assert/strict";
 * import { ClockSpace } from "./vector_stamp.ts";
 * const space = new ClockSpace();
 * const sent = space.zero.tick("a@m1.lab");           // a sends
 * const other = space.zero.tick("b@m2.lab");          // b sends something else
 * const taken = other.receive(sent, "b@m2.lab");      // b takes a's message: merge and tick
 * assert.deepEqual(taken.toJSON(), { "a@m1.lab": 1, "b@m2.lab": 2 });
 * assert.equal(JSON.stringify({ vc: taken }), '{"vc":{"a@m1.lab":1,"b@m2.lab":2}}');
 * assert.equal(taken.json(), JSON.stringify(taken));
 * assert.equal(sent.compare(taken), "before");
 * assert.equal(sent.compare(other), "concurrent");
 * assert.equal(taken.get("c@m3.lab"), 0);
 * ```
 */
export class VectorStamp {
  /** The numbering it is written in. */
  readonly space: ClockSpace;
  readonly #counts: readonly number[];
  #stored = -1;

  /** A stamp with `counts[i]` for the address numbered `i` in `space` (missing entries are 0). */
  constructor(space: ClockSpace, counts: readonly number[]) {
    this.space = space;
    this.#counts = counts;
  }

  /**
   * Its counts by process number in {@link space} (missing entries are 0): the array itself, not
   * a copy, so do not change it.
   *
   * @example Counts by number
   * ```ts
   * import assert from "node:assert/strict";
   * import { ClockSpace } from "./vector_stamp.ts";
   * const space = new ClockSpace();
   * assert.deepEqual(space.zero.tick("a@m1.lab").tick("b@m1.lab").counts(), [1, 1]);
   * ```
   */
  counts(): readonly number[] {
    return this.#counts;
  }

  /**
   * Where the kept trace whose space it belongs to stores its counts (-1: not yet), so that a
   * stamp recorded on several events (a send's and its delivery's) is stored, and read back, once.
   */
  get stored(): number {
    return this.#stored;
  }

  set stored(offset: number) {
    this.#stored = offset;
  }

  /** The count of `address`; 0 when absent. */
  get(address: string): number {
    return this.#counts[this.space.indexOf(address)] ?? 0;
  }

  /** A copy with `address`'s entry incremented: a send. */
  tick(address: string): VectorStamp {
    const index = this.space.indexOf(address);
    const counts = this.#counts.slice();
    for (let i = counts.length; i < index; i++) counts[i] = 0;
    counts[index] = (counts[index] ?? 0) + 1;
    return new VectorStamp(this.space, counts);
  }

  /**
   * The entry-wise maximum with `seen`: what a process knows after taking a message stamped
   * `seen` (a stamp of any space, or a plain record as JSON carries it); with `tick`, that
   * address's entry is then incremented too (the receive event), all in one copy.
   */
  receive(seen: VectorStamp | VectorClock | undefined, tick?: string): VectorStamp {
    if (seen === undefined) return tick === undefined ? this : this.tick(tick);
    const counts = this.#counts.slice();
    if (seen instanceof VectorStamp && seen.space === this.space) {
      const other = seen.#counts;
      for (let i = 0; i < other.length; i++) {
        if (i >= counts.length) counts.push(other[i]);
        else if (other[i] > counts[i]) counts[i] = other[i];
      }
    } else {
      const record = seen instanceof VectorStamp ? seen.toJSON() : seen;
      for (const address in record) {
        const index = this.space.indexOf(address);
        for (let i = counts.length; i <= index; i++) counts[i] = 0;
        if (record[address] > counts[index]) counts[index] = record[address];
      }
    }
    if (tick !== undefined) {
      const index = this.space.indexOf(tick);
      for (let i = counts.length; i < index; i++) counts[i] = 0;
      counts[index] = (counts[index] ?? 0) + 1;
    }
    return new VectorStamp(this.space, counts);
  }

  /** Whether this stamp happened before `other`, after it, equals it or is concurrent with it. */
  compare(other: VectorStamp | VectorClock): ClockOrder {
    if (!(other instanceof VectorStamp) || other.space !== this.space) {
      return VectorClock.compare(
        this.toJSON(),
        other instanceof VectorStamp ? other.toJSON() : other,
      );
    }
    const a = this.#counts, b = other.#counts;
    let less = false, greater = false;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i] ?? 0, y = b[i] ?? 0;
      if (x < y) less = true;
      else if (x > y) greater = true;
      if (less && greater) return "concurrent";
    }
    return less ? "before" : greater ? "after" : "equal";
  }

  /** The plain record of the non-zero entries, in the space's order: what JSON writes. */
  toJSON(): VectorClock {
    const out: Record<string, number> = {};
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== 0) out[this.space.nameOf(i)] = counts[i];
    }
    return out;
  }

  /** `JSON.stringify(this)`, written without building the record. */
  json(): string {
    let out = "";
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] === 0) continue;
      out += `${out === "" ? "{" : ","}${this.space.quotedNameOf(i)}:${counts[i]}`;
    }
    return out === "" ? "{}" : out + "}";
  }
}
