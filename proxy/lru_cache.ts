/**
 * A least-recently-used cache bounded by entry count and by total bytes: the proxies' memory.
 * @module
 */

/** Options of {@link LruCache}. */
export interface LruCacheOptions<V> {
  /** Most entries kept; the least recently used goes first. @default Infinity */
  readonly maxEntries?: number;
  /** Most bytes kept, as measured by `sizeOf`. @default Infinity */
  readonly maxBytes?: number;
  /** Size in bytes of an entry. @default every entry weighs 0 bytes */
  readonly sizeOf?: (value: V, key: string) => number;
  /** Called for each entry evicted to make room (not for `delete` or replacement). @default none */
  readonly onEvict?: (key: string, value: V) => void;
}

interface Slot<V> {
  readonly value: V;
  readonly size: number;
}

/**
 * An LRU cache: `get` marks an entry as recently used; `set` evicts the least recently used
 * entries until the bounds hold. An entry larger than `maxBytes` on its own is not stored.
 *
 * @example The least recently used entry is evicted
 * ```ts
 * import assert from "node:assert/strict";
 * import { LruCache } from "./lru_cache.ts";
 * const cache = new LruCache<string>({ maxEntries: 2 });
 * cache.set("a", "A");
 * cache.set("b", "B");
 * cache.get("a");
 * cache.set("c", "C");
 * assert.deepEqual([...cache.keys()], ["a", "c"]);
 * assert.equal(cache.evictions, 1);
 * ```
 */
export class LruCache<V> {
  readonly #slots = new Map<string, Slot<V>>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #sizeOf: (value: V, key: string) => number;
  readonly #onEvict: ((key: string, value: V) => void) | undefined;
  #bytes = 0;
  #evictions = 0;

  /**
   * Creates an empty cache.
   * @throws {RangeError} when a bound is not a number >= 1.
   */
  constructor(options: LruCacheOptions<V> = {}) {
    const maxEntries = options.maxEntries ?? Infinity;
    const maxBytes = options.maxBytes ?? Infinity;
    for (const [name, value] of [["maxEntries", maxEntries], ["maxBytes", maxBytes]] as const) {
      if (!(value >= 1)) {
        throw new RangeError(`Cannot create cache: ${name} ${value} must be a number >= 1`);
      }
    }
    this.#maxEntries = maxEntries;
    this.#maxBytes = maxBytes;
    this.#sizeOf = options.sizeOf ?? (() => 0);
    this.#onEvict = options.onEvict;
  }

  /** Number of entries. */
  get size(): number {
    return this.#slots.size;
  }

  /** Total bytes of the entries. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries evicted to make room so far. */
  get evictions(): number {
    return this.#evictions;
  }

  /** The value under `key`, marking it most recently used. */
  get(key: string): V | undefined {
    const slot = this.#slots.get(key);
    if (slot === undefined) return undefined;
    this.#slots.delete(key);
    this.#slots.set(key, slot);
    return slot.value;
  }

  /** The value under `key`, without touching its recency. */
  peek(key: string): V | undefined {
    return this.#slots.get(key)?.value;
  }

  /** Whether `key` is cached. */
  has(key: string): boolean {
    return this.#slots.has(key);
  }

  /**
   * Stores `value` under `key` as most recently used, evicting as needed. Returns `false` (and
   * drops any old value under `key`) when the value alone is larger than `maxBytes`.
   */
  set(key: string, value: V): boolean {
    const size = this.#sizeOf(value, key);
    this.delete(key);
    if (size > this.#maxBytes) return false;
    this.#slots.set(key, { value, size });
    this.#bytes += size;
    while (this.#slots.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const [oldest, slot] = this.#slots.entries().next().value as [string, Slot<V>];
      this.#slots.delete(oldest);
      this.#bytes -= slot.size;
      this.#evictions++;
      this.#onEvict?.(oldest, slot.value);
    }
    return true;
  }

  /** Removes `key`; returns whether it was cached. */
  delete(key: string): boolean {
    const slot = this.#slots.get(key);
    if (slot === undefined) return false;
    this.#slots.delete(key);
    this.#bytes -= slot.size;
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    this.#slots.clear();
    this.#bytes = 0;
  }

  /** Keys from least to most recently used. */
  keys(): IterableIterator<string> {
    return this.#slots.keys();
  }
}
