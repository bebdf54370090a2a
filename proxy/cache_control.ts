/**
 * Parsing of the `Cache-Control` header (RFC 9111 §5.2) and of targeted fields such as
 * `CDN-Cache-Control` (RFC 9213) into the directives a shared cache obeys.
 * @module
 */
import { parseSfDictionary } from "./_structured_field.ts";

/** The directives of one `Cache-Control` header; durations in seconds. */
export interface CacheControl {
  /** `max-age=N`: fresh for N seconds. An invalid value reads as 0 (stale). */
  readonly maxAge?: number;
  /** `s-maxage=N`: fresh for N seconds in a shared cache; wins over `max-age`. */
  readonly sMaxAge?: number;
  /** `no-store`: never store. */
  readonly noStore: boolean;
  /** `no-cache` (unqualified): store, but revalidate with the origin before every use. */
  readonly noCache: boolean;
  /** `no-cache="a, b"`: the listed fields are not stored (the response itself may be reused). */
  readonly noCacheFields?: readonly string[];
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
  /** `stale-while-revalidate=N` (RFC 5861): may be served stale for N seconds while refreshed. */
  readonly staleWhileRevalidate?: number;
  /** `only-if-cached` (request): answer from the cache or with 504. */
  readonly onlyIfCached: boolean;
  /** `max-stale[=N]` (request): accepts a response stale by at most N seconds (any, without N). */
  readonly maxStale?: number;
  /** `min-fresh=N` (request): wants a response that stays fresh for N more seconds. */
  readonly minFresh?: number;
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

/** A token (RFC 9110 §5.6.2): a directive name or an unquoted value. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Parses a `Cache-Control` header by RFC 9111 §5.2: names are case-insensitive tokens (a
 * directive written `max-age =5` is no directive), values are a token or a quoted string (no
 * space after `=`), unknown directives are ignored, the first occurrence of a repeated directive
 * wins, and a bad `max-age`/`s-maxage` reads as 0 (stale).
 *
 * @example A shared-cache lifetime and a revalidation rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCacheControl } from "./cache_control.ts";
 * const cc = parseCacheControl('public, max-age=60, S-MAXAGE=300, no-cache');
 * assert.equal(cc.maxAge, 60);
 * assert.equal(cc.sMaxAge, 300);
 * assert.equal(cc.noCache, true);
 * assert.equal(parseCacheControl("max-age=soon").maxAge, 0);
 * assert.equal(parseCacheControl("max-age =60").maxAge, undefined);
 * assert.deepEqual(parseCacheControl('no-cache="Set-Cookie"').noCacheFields, ["set-cookie"]);
 * assert.equal(parseCacheControl(null).noStore, false);
 * ```
 */
export function parseCacheControl(header: string | null | undefined): CacheControl {
  const seen = new Map<string, string | undefined>();
  if (header) {
    for (const part of splitDirectives(header)) {
      const directive = part.trim();
      const eq = directive.indexOf("=");
      const rawName = eq < 0 ? directive : directive.slice(0, eq);
      if (!TOKEN.test(rawName)) continue;
      const name = rawName.toLowerCase();
      if (seen.has(name)) continue;
      let value = eq < 0 ? undefined : directive.slice(eq + 1);
      if (
        value !== undefined && value.length >= 2 && value.startsWith('"') && value.endsWith('"')
      ) {
        value = value.slice(1, -1).replace(/\\(.)/g, "$1");
      }
      seen.set(name, value);
    }
  }
  return directives(
    (name) => seen.has(name),
    (name, invalid) => {
      if (!seen.has(name)) return undefined;
      const n = delta(seen.get(name));
      return Number.isNaN(n) ? invalid : n;
    },
    (name) => seen.get(name),
  );
}

function directives(
  has: (name: string) => boolean,
  seconds: (name: string, invalid: number | undefined) => number | undefined,
  text: (name: string) => string | undefined,
): CacheControl {
  const qualified = text("no-cache");
  const noCacheFields = qualified === undefined
    ? undefined
    : qualified.split(",").map((f) => f.trim().toLowerCase()).filter((f) => f !== "");
  return {
    maxAge: seconds("max-age", 0),
    sMaxAge: seconds("s-maxage", 0),
    noStore: has("no-store"),
    noCache: has("no-cache") && noCacheFields === undefined,
    ...(noCacheFields === undefined ? {} : { noCacheFields }),
    private: has("private"),
    public: has("public"),
    mustRevalidate: has("must-revalidate"),
    proxyRevalidate: has("proxy-revalidate"),
    staleIfError: seconds("stale-if-error", undefined),
    staleWhileRevalidate: seconds("stale-while-revalidate", undefined),
    onlyIfCached: has("only-if-cached"),
    maxStale: has("max-stale") ? (seconds("max-stale", undefined) ?? MAX_DELTA) : undefined,
    minFresh: seconds("min-fresh", undefined),
  };
}

/**
 * Reads a targeted cache-control field such as `CDN-Cache-Control` (RFC 9213): a Structured
 * Field Dictionary with the directives of `Cache-Control`. `undefined` when the field is absent,
 * empty or not a valid dictionary: the cache then falls back to `Cache-Control` and `Expires`. A
 * directive whose value has the wrong type is ignored.
 *
 * @example A CDN lifetime; an invalid field is ignored
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTargetedCacheControl } from "./cache_control.ts";
 * assert.equal(parseTargetedCacheControl("max-age=3600, stale-if-error=60")?.maxAge, 3600);
 * assert.equal(parseTargetedCacheControl('max-age="3600"')?.maxAge, undefined);
 * assert.equal(parseTargetedCacheControl("max-age=3600, &&&"), undefined);
 * assert.equal(parseTargetedCacheControl(null), undefined);
 * ```
 */
export function parseTargetedCacheControl(
  header: string | null | undefined,
): CacheControl | undefined {
  if (!header) return undefined;
  const dict = parseSfDictionary(header);
  if (dict === undefined || dict.size === 0) return undefined;
  return directives(
    (name) => dict.get(name)?.type === "boolean" && dict.get(name)?.value === true,
    (name) => {
      const item = dict.get(name);
      return item?.type === "integer" && item.value >= 0
        ? Math.min(item.value, MAX_DELTA)
        : undefined;
    },
    () => undefined,
  );
}
