/**
 * The HTTP proxy's store: stored responses in an LRU bounded by bytes, indexed by URL so that a
 * purge or an invalidation removes every `Vary` variant of it.
 * @module
 */
import { type HeaderSource, secondaryKey } from "./http_cache_policy.ts";
import { LruCache } from "./lru_cache.ts";
import type { StoredResponse } from "./_http_entry.ts";

/** Stored responses by key (`target` plus the `Vary` secondary key). */
export class HttpStore {
  readonly #cache: LruCache<StoredResponse>;
  /** Keys stored per target. */
  readonly #variants = new Map<string, Set<string>>();
  /** The header names each target's latest response varies on. */
  readonly #varyOf = new Map<string, readonly string[]>();
  readonly #onStore: (entry: StoredResponse) => void;

  /** Creates a store of at most `maxBytes`; `onEvict` hears of each eviction. */
  constructor(
    maxBytes: number,
    events: {
      readonly onStore: (entry: StoredResponse) => void;
      readonly onEvict: (entry: StoredResponse) => void;
    },
  ) {
    this.#onStore = events.onStore;
    this.#cache = new LruCache<StoredResponse>({
      maxBytes,
      sizeOf: (entry) => entry.size,
      onEvict: (_key, entry) => {
        this.#forget(entry);
        events.onEvict(entry);
      },
    });
  }

  /** Entries stored. */
  get size(): number {
    return this.#cache.size;
  }

  /** Bytes the entries are charged. */
  get bytes(): number {
    return this.#cache.bytes;
  }

  /** Entries evicted so far. */
  get evictions(): number {
    return this.#cache.evictions;
  }

  /** The key a request for `target` with `headers` looks up. */
  keyFor(target: string, headers: HeaderSource): string {
    const names = this.#varyOf.get(target);
    return names === undefined || names.length === 0
      ? target
      : target + secondaryKey(names, headers);
  }

  /** The entry under `key`, marked recently used. */
  get(key: string): StoredResponse | undefined {
    return this.#cache.get(key);
  }

  /** Stores `entry` (dropped when larger than the whole store). */
  put(entry: StoredResponse): void {
    if (!this.#cache.set(entry.key, entry)) {
      this.#forget(entry);
      return;
    }
    let keys = this.#variants.get(entry.target);
    if (keys === undefined) this.#variants.set(entry.target, keys = new Set());
    keys.add(entry.key);
    this.#varyOf.set(entry.target, entry.vary);
    this.#onStore(entry);
  }

  /** Removes every variant of `target`; returns how many there were. */
  remove(target: string): number {
    const keys = this.#variants.get(target);
    if (keys === undefined) return 0;
    for (const key of keys) this.#cache.delete(key);
    this.#variants.delete(target);
    this.#varyOf.delete(target);
    return keys.size;
  }

  #forget(entry: StoredResponse): void {
    const keys = this.#variants.get(entry.target);
    keys?.delete(entry.key);
    if (keys !== undefined && keys.size === 0) {
      this.#variants.delete(entry.target);
      this.#varyOf.delete(entry.target);
    }
  }
}
