/**
 * A node's code cache: agent sources by SHA-256, bounded in bytes, least recently used first
 * out. A repeat visit by the same code (or by another agent with the same code) needs no source
 * on the wire.
 * @module
 */
import type { CodeLang } from "./agent_package.ts";

/** A cached source. */
export interface CachedCode {
  /** The source. */
  readonly code: string;
  /** Its language. */
  readonly lang: CodeLang;
}

/**
 * Sources by hash, bounded by total length.
 *
 * @example Least recently used goes first
 * ```ts
 * import assert from "node:assert/strict";
 * import { CodeCache } from "./code_cache.ts";
 * const cache = new CodeCache(10);
 * cache.put("a", { code: "12345", lang: "js" });
 * cache.put("b", { code: "12345", lang: "js" });
 * cache.get("a");
 * cache.put("c", { code: "12345", lang: "js" });
 * assert.equal(cache.has("a"), true);
 * assert.equal(cache.has("b"), false);
 * ```
 */
export class CodeCache {
  readonly #limit: number;
  readonly #entries = new Map<string, CachedCode>();
  #bytes = 0;

  /** Creates a cache holding at most `limit` characters of source. */
  constructor(limit = 16 * 1024 * 1024) {
    if (!(limit > 0)) throw new RangeError(`Cannot create code cache: limit ${limit} must be > 0`);
    this.#limit = limit;
  }

  /** Characters of source held. */
  get size(): number {
    return this.#bytes;
  }

  /** Whether `hash` is cached. */
  has(hash: string): boolean {
    return this.#entries.has(hash);
  }

  /** The source cached under `hash`, marking it recently used. */
  get(hash: string): CachedCode | undefined {
    const entry = this.#entries.get(hash);
    if (entry !== undefined) {
      this.#entries.delete(hash);
      this.#entries.set(hash, entry);
    }
    return entry;
  }

  /** Caches a source (the caller has checked that `hash` is its SHA-256). */
  put(hash: string, entry: CachedCode): void {
    if (this.#entries.has(hash)) return;
    this.#entries.set(hash, entry);
    this.#bytes += entry.code.length;
    for (const [key, old] of this.#entries) {
      if (this.#bytes <= this.#limit || key === hash) break;
      this.#entries.delete(key);
      this.#bytes -= old.code.length;
    }
  }
}
