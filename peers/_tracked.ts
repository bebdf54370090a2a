/**
 * What a heartbeat view is made of, kept small and flat: peers numbered once per shared list of
 * initial peers ({@link Numbering}), and the few peers a view tracks as parallel arrays of
 * numbers ({@link Tracked}). A peer of 10,000 tracks new peers on nearly every digest it gets;
 * a Map and an object per tracked peer churned on every message, and comparing addresses read
 * each address's characters.
 * @module
 */

/**
 * Addresses numbered for every view of one list of initial peers: the list by position, then
 * others as met.
 *
 * @example Initial peers by position, a joiner after them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Numbering } from "./_tracked.ts";
 * const numbering = new Numbering(["peer@p0.lab", "peer@p1.lab"]);
 * assert.equal(numbering.idOf("peer@p1.lab"), 1);
 * assert.equal(numbering.idOf("peer@p9.lab"), 2);
 * assert.ok(numbering.idOf("peer@p9.lab") >= numbering.initial);
 * // Named otherwise than by position: numbered through a map, the same way.
 * const other = new Numbering(["b@x", "a@x", "b@x"]);
 * assert.deepEqual([other.idOf("a@x"), other.idOf("b@x"), other.idOf("c@x")], [1, 0, 3]);
 * ```
 */
export class Numbering {
  /** The address of each number. */
  readonly names: string[];
  /** How many addresses the initial list holds: numbers below it are initial peers. */
  readonly initial: number;
  /** Numbers by address: the initial peers unless {@link Numbering.#pattern} names them all. */
  readonly #ids = new Map<string, number>();
  /**
   * Set when initial peer i is exactly `prefix + i + suffix` for every i (as the lab names
   * them): its number is read off the address, with no lookup in a map of every peer (at 10,000
   * peers a map lookup, the address's characters compared with a key's elsewhere in memory, was
   * most of the cost of merging a heartbeat digest).
   */
  readonly #pattern: { readonly prefix: string; readonly suffix: string } | undefined;

  /** Numbers `list` (an address listed twice keeps its first number). */
  constructor(list: readonly string[]) {
    this.names = [...list];
    this.initial = list.length;
    this.#pattern = positional(list);
    if (this.#pattern !== undefined) return;
    for (let i = list.length - 1; i >= 0; i--) this.#ids.set(list[i], i);
  }

  /** The number of `address`, given one the first time it is met. */
  idOf(address: string): number {
    if (this.#pattern !== undefined) {
      const i = this.#position(address, this.#pattern.prefix, this.#pattern.suffix);
      if (i >= 0) return i;
    }
    let id = this.#ids.get(address);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(address);
      this.#ids.set(address, id);
    }
    return id;
  }

  /** The i of `address` when it is `prefix + i + suffix` with i an initial peer's number; else -1. */
  #position(address: string, prefix: string, suffix: string): number {
    const end = address.length - suffix.length;
    if (end <= prefix.length || !address.startsWith(prefix) || !address.endsWith(suffix)) {
      return -1;
    }
    // Decimal without leading zeros, as `${i}` writes it.
    if (address.charCodeAt(prefix.length) === 0x30 && end - prefix.length > 1) return -1;
    let i = 0;
    for (let at = prefix.length; at < end; at++) {
      const digit = address.charCodeAt(at) - 0x30;
      if (digit < 0 || digit > 9) return -1;
      i = 10 * i + digit;
    }
    return i < this.initial ? i : -1;
  }
}

/**
 * The `prefix` and `suffix` such that `list[i]` is `prefix + i + suffix` for every i, when
 * there are such (the number taken from the first place in `list[0]` where a 0 stands).
 */
function positional(
  list: readonly string[],
): { readonly prefix: string; readonly suffix: string } | undefined {
  if (list.length < 2) return undefined;
  const first = list[0];
  const at = first.indexOf("0");
  if (at < 0) return undefined;
  const prefix = first.slice(0, at), suffix = first.slice(at + 1);
  // A digit next to the number would make it ambiguous.
  if (/[0-9]$/.test(prefix) || /^[0-9]/.test(suffix)) return undefined;
  for (let i = 1; i < list.length; i++) {
    if (list[i] !== `${prefix}${i}${suffix}`) return undefined;
  }
  return { prefix, suffix };
}

const numberings = new WeakMap<readonly string[], Numbering>();

/**
 * One numbering per shared list of initial peers (not one per peer).
 *
 * @example The same list, the same numbering
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberingOf } from "./_tracked.ts";
 * const peers = ["peer@p0.lab", "peer@p1.lab"];
 * assert.equal(numberingOf(peers), numberingOf(peers));
 * ```
 */
export function numberingOf(list: readonly string[]): Numbering {
  let numbering = numberings.get(list);
  if (numbering === undefined) numberings.set(list, numbering = new Numbering(list));
  return numbering;
}

/**
 * A heartbeat view's tracked peers, oldest news first (news moves an entry to the end): at most
 * the piggyback bound (+1 while one is added), so arrays searched in a line. The arrays keep
 * their places: {@link Tracked.size} says how many are in use (taking the oldest out moves a few
 * numbers, where `Array.prototype.shift` trimmed three arrays on nearly every digest).
 *
 * @example News moves a peer to the end
 * ```ts
 * import assert from "node:assert/strict";
 * import { Tracked } from "./_tracked.ts";
 * const tracked = new Tracked();
 * tracked.push(4, 1, 100);
 * tracked.push(7, 3, 100);
 * tracked.renew(tracked.indexOf(4), 2, 200);
 * const rows = [tracked.ids, tracked.hbs, tracked.ats].map((a) => a.slice(0, tracked.size));
 * assert.deepEqual(rows, [[7, 4], [3, 2], [100, 200]]);
 * assert.equal(tracked.shift(), 7);
 * assert.equal(tracked.size, 1);
 * ```
 */
export class Tracked {
  /** The peers' numbers (the first {@link Tracked.size} places). */
  readonly ids: number[] = [];
  /** Their heartbeat counters (negative: left). */
  readonly hbs: number[] = [];
  /** When their counter last grew. */
  readonly ats: number[] = [];
  /** How many peers it tracks. */
  size = 0;

  /** The position of peer `id`, or -1. */
  indexOf(id: number): number {
    const ids = this.ids, size = this.size;
    for (let i = 0; i < size; i++) if (ids[i] === id) return i;
    return -1;
  }

  /** Adds peer `id` as the newest entry. */
  push(id: number, hb: number, at: number): void {
    const i = this.size++;
    this.ids[i] = id;
    this.hbs[i] = hb;
    this.ats[i] = at;
  }

  /** Moves entry `i` to the end (the newest) with counter `hb` heard at `at`. */
  renew(i: number, hb: number, at: number): void {
    const ids = this.ids, hbs = this.hbs, ats = this.ats;
    const last = this.size - 1;
    const id = ids[i];
    for (let j = i; j < last; j++) {
      ids[j] = ids[j + 1];
      hbs[j] = hbs[j + 1];
      ats[j] = ats[j + 1];
    }
    ids[last] = id;
    hbs[last] = hb;
    ats[last] = at;
  }

  /** Drops the oldest entry; returns its number. */
  shift(): number {
    const ids = this.ids, hbs = this.hbs, ats = this.ats;
    const id = ids[0];
    const last = --this.size;
    for (let j = 0; j < last; j++) {
      ids[j] = ids[j + 1];
      hbs[j] = hbs[j + 1];
      ats[j] = ats[j + 1];
    }
    return id;
  }
}
