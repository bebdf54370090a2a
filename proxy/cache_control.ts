/**
 * Parsing of the `Cache-Control` header (RFC 9111 §5.2) into the directives a shared cache obeys.
 * @module
 */

/** The directives of one `Cache-Control` header; durations in seconds. */
export interface CacheControl {
  /** `max-age=N`: fresh for N seconds. An invalid value reads as 0 (stale). */
  readonly maxAge?: number;
  /** `s-maxage=N`: fresh for N seconds in a shared cache; wins over `max-age`. */
  readonly sMaxAge?: number;
  /** `no-store`: never store. */
  readonly noStore: boolean;
  /** `no-cache`: store, but revalidate with the origin before every use. */
  readonly noCache: boolean;
  /** `private`: for one user only; a shared cache does not store it. */
  readonly private: boolean;
  /** `public`: storable even where it would not be by default. */
  readonly public: boolean;
  /** `must-revalidate`: never serve it stale. */
  readonly mustRevalidate: boolean;
  /** `proxy-revalidate`: never serve it stale from a shared cache. */
  readonly proxyRevalidate: boolean;
  /** `stale-if-error=N` (RFC 5861): may be served stale for N seconds when the origin fails. */
  readonly staleIfError?: number;
  /** `only-if-cached` (request): answer from the cache or with 504. */
  readonly onlyIfCached: boolean;
}

const MAX_DELTA = 2 ** 31;

function splitDirectives(header: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const ch = header[i];
    if (quoted && ch === "\\" && i + 1 < header.length) {
      current += ch + header[++i];
      continue;
    }
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      parts.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

function delta(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) return NaN;
  return Math.min(Number(value), MAX_DELTA);
}

/**
 * Parses a `Cache-Control` header; names are case-insensitive, unknown directives are ignored,
 * the first occurrence of a repeated directive wins, and a bad `max-age`/`s-maxage` reads as 0.
 *
 * @example A shared-cache lifetime and a revalidation rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCacheControl } from "./cache_control.ts";
 * const cc = parseCacheControl('public, max-age=60, S-MAXAGE=300, no-cache="set-cookie"');
 * assert.equal(cc.maxAge, 60);
 * assert.equal(cc.sMaxAge, 300);
 * assert.equal(cc.noCache, true);
 * assert.equal(parseCacheControl("max-age=soon").maxAge, 0);
 * assert.equal(parseCacheControl(null).noStore, false);
 * ```
 */
export function parseCacheControl(header: string | null | undefined): CacheControl {
  const seen = new Map<string, string | undefined>();
  if (header) {
    for (const part of splitDirectives(header)) {
      const eq = part.indexOf("=");
      const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
      if (name === "" || seen.has(name)) continue;
      let value = eq < 0 ? undefined : part.slice(eq + 1).trim();
      if (
        value !== undefined && value.length >= 2 && value.startsWith('"') && value.endsWith('"')
      ) {
        value = value.slice(1, -1);
      }
      seen.set(name, value);
    }
  }
  const seconds = (name: string, invalid: number | undefined): number | undefined => {
    if (!seen.has(name)) return undefined;
    const n = delta(seen.get(name));
    return Number.isNaN(n) ? invalid : n;
  };
  return {
    maxAge: seconds("max-age", 0),
    sMaxAge: seconds("s-maxage", 0),
    noStore: seen.has("no-store"),
    noCache: seen.has("no-cache"),
    private: seen.has("private"),
    public: seen.has("public"),
    mustRevalidate: seen.has("must-revalidate"),
    proxyRevalidate: seen.has("proxy-revalidate"),
    staleIfError: seconds("stale-if-error", undefined),
    onlyIfCached: seen.has("only-if-cached"),
  };
}
