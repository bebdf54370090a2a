/**
 * The pure rules of an HTTP shared cache (RFC 9111): whether a response may be stored, how long
 * it stays fresh, how old it is, which request headers select its variant (`Vary`), and the
 * conditional-request checks. No I/O and no clock: every time is passed in, in ms.
 * @module
 */
import {
  type CacheControl,
  parseCacheControl,
  parseTargetedCacheControl,
} from "./cache_control.ts";
import { parseHttpDate } from "./http_date.ts";

export { parseHttpDate } from "./http_date.ts";

/** Anything with `get(name)`, such as `Headers`. */
export interface HeaderSource {
  /** The value of header `name`, or `null`. */
  get(name: string): string | null;
}

/** When the request for a stored response was sent and its response arrived, on the cache's clock (ms). */
export interface ResponseTiming {
  /** When the request went to the origin. */
  readonly requestTime: number;
  /** When the response arrived. */
  readonly responseTime: number;
}

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1), minus 206. */
const HEURISTIC_STATUSES = new Set([200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501]);

/** Longest heuristic lifetime: one day. */
const HEURISTIC_CAP = 86_400_000;

/** The directives a shared cache follows for a response, and where they came from. */
export interface EffectiveCacheControl {
  /** The directives. */
  readonly cacheControl: CacheControl;
  /** They came from `CDN-Cache-Control`, so `Cache-Control` and `Expires` are ignored. */
  readonly targeted: boolean;
}

/**
 * The directives a cache obeys for a response: a valid, non-empty `CDN-Cache-Control` (RFC 9213,
 * shared caches only) wins over `Cache-Control` and `Expires`; else `Cache-Control`.
 *
 * @example CDN-Cache-Control takes precedence
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectiveCacheControl } from "./http_cache_policy.ts";
 * const headers = new Headers({ "cache-control": "max-age=3600", "cdn-cache-control": "max-age=1" });
 * assert.equal(effectiveCacheControl(headers).cacheControl.maxAge, 1);
 * assert.equal(effectiveCacheControl(headers, false).cacheControl.maxAge, 3600);
 * ```
 */
export function effectiveCacheControl(headers: HeaderSource, shared = true): EffectiveCacheControl {
  const targeted = shared ? parseTargetedCacheControl(headers.get("cdn-cache-control")) : undefined;
  return targeted !== undefined
    ? { cacheControl: targeted, targeted: true }
    : { cacheControl: parseCacheControl(headers.get("cache-control")), targeted: false };
}

/**
 * How long a response stays fresh, in ms (RFC 9111 §4.2.1): `s-maxage` (shared caches), else
 * `max-age`, else `Expires` minus `Date`, else 10% of the time since `Last-Modified` (at most a
 * day) for statuses cacheable by default or `public` responses, else 0. An invalid `Expires` (any
 * form but the three HTTP dates) means already expired. A valid `CDN-Cache-Control` replaces
 * `Cache-Control` and `Expires` in a shared cache.
 *
 * @example s-maxage wins over max-age in a shared cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { freshnessLifetime } from "./http_cache_policy.ts";
 * const headers = new Headers({ "cache-control": "max-age=10, s-maxage=60" });
 * assert.equal(freshnessLifetime(headers, { responseTime: 0 }), 60_000);
 * assert.equal(freshnessLifetime(headers, { responseTime: 0, shared: false }), 10_000);
 * const expires = new Headers({
 *   date: "Sun, 06 Nov 1994 08:49:37 GMT",
 *   expires: "Sun, 06 Nov 1994 08:50:07 GMT",
 * });
 * assert.equal(freshnessLifetime(expires, { responseTime: 0 }), 30_000);
 * ```
 */
export function freshnessLifetime(
  headers: HeaderSource,
  options: {
    /** When the response arrived (ms since the epoch), used when `Date` is missing. */
    readonly responseTime: number;
    /** The response status, for heuristic freshness. @default 200 */
    readonly status?: number;
    /** A shared cache (obeys `s-maxage`). @default true */
    readonly shared?: boolean;
    /** The directives, when the caller has them. @default {@link effectiveCacheControl} of `headers` */
    readonly cacheControl?: EffectiveCacheControl;
  },
): number {
  const shared = options.shared ?? true;
  const { cacheControl: cc, targeted } = options.cacheControl ??
    effectiveCacheControl(headers, shared);
  if (shared && cc.sMaxAge !== undefined) return cc.sMaxAge * 1000;
  if (cc.maxAge !== undefined) return cc.maxAge * 1000;
  const now = { now: options.responseTime };
  const date = parseHttpDate(headers.get("date"), now) ?? options.responseTime;
  const expiresHeader = targeted ? null : headers.get("expires");
  if (expiresHeader !== null) {
    const expires = parseHttpDate(expiresHeader, now);
    return expires === undefined ? 0 : Math.max(0, expires - date);
  }
  const lastModified = parseHttpDate(headers.get("last-modified"), now);
  if (
    lastModified !== undefined && (HEURISTIC_STATUSES.has(options.status ?? 200) || cc.public)
  ) {
    return Math.min(HEURISTIC_CAP, Math.max(0, (date - lastModified) / 10));
  }
  return 0;
}

/**
 * The age a response had when it arrived, in ms (RFC 9111 §4.2.3 `corrected_initial_age`): the
 * larger of the apparent age (`responseTime - Date`) and the `Age` header plus the response delay.
 * An `Age` with a list value (`7200, 0`, or two field lines) counts by its first member; one that
 * is not a non-negative integer counts as 0.
 *
 * @example An Age header plus the time the request took
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialAge } from "./http_cache_policy.ts";
 * const headers = new Headers({ age: "5" });
 * assert.equal(initialAge(headers, { requestTime: 1000, responseTime: 1200 }), 5200);
 * ```
 */
export function initialAge(headers: HeaderSource, timing: ResponseTiming): number {
  const ageText = headers.get("age")?.split(",")[0].trim();
  const ageValue = ageText && /^\d+$/.test(ageText) ? Math.min(Number(ageText), 2 ** 31) * 1000 : 0;
  const dateValue = parseHttpDate(headers.get("date"), { now: timing.responseTime }) ??
    timing.responseTime;
  const apparentAge = Math.max(0, timing.responseTime - dateValue);
  const responseDelay = Math.max(0, timing.responseTime - timing.requestTime);
  return Math.max(apparentAge, ageValue + responseDelay);
}

/**
 * The current age of a stored response at `now`, in ms (RFC 9111 §4.2.3): its initial age plus
 * the time it has been resident in the cache.
 *
 * @example Ten seconds in the cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { currentAge } from "./http_cache_policy.ts";
 * const timing = { requestTime: 0, responseTime: 0 };
 * assert.equal(currentAge(new Headers(), timing, 10_000), 10_000);
 * ```
 */
export function currentAge(headers: HeaderSource, timing: ResponseTiming, now: number): number {
  return initialAge(headers, timing) + Math.max(0, now - timing.responseTime);
}

/**
 * Whether a shared cache may store the response to a request (RFC 9111 §3): a GET, a final
 * status it understands (200-599) other than 206 and 304, no `no-store` on either side, not
 * `private`, not `Vary: *`, an `Authorization` request only when the response allows it
 * (`public`, `s-maxage`, `must-revalidate`), a `Set-Cookie` response only when `cacheCookies`, and
 * explicit freshness, `public`, or a status cacheable by default. The response's directives are
 * those of {@link effectiveCacheControl} (`CDN-Cache-Control` first).
 *
 * @example private and no-store are not stored
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStorable } from "./http_cache_policy.ts";
 * const get = { method: "GET", headers: new Headers() };
 * const ok = (cc: string) => ({ status: 200, headers: new Headers({ "cache-control": cc }) });
 * assert.equal(isStorable(get, ok("max-age=60")), true);
 * assert.equal(isStorable(get, ok("private, max-age=60")), false);
 * assert.equal(isStorable(get, ok("no-store")), false);
 * ```
 */
export function isStorable(
  request: { readonly method: string; readonly headers: HeaderSource },
  response: { readonly status: number; readonly headers: HeaderSource },
  options: {
    /** Store responses that set cookies (a shared cache would hand one user's cookie to all). @default false */
    readonly cacheCookies?: boolean;
  } = {},
): boolean {
  if (request.method !== "GET") return false;
  const { status, headers } = response;
  if (status < 200 || status > 599 || status === 206 || status === 304) return false;
  if (parseCacheControl(request.headers.get("cache-control")).noStore) return false;
  const { cacheControl: cc, targeted } = effectiveCacheControl(headers);
  if (cc.noStore || cc.private) return false;
  if (varyNames(headers) === "*") return false;
  if (
    request.headers.get("authorization") !== null &&
    !(cc.public || cc.sMaxAge !== undefined || cc.mustRevalidate)
  ) return false;
  if (headers.get("set-cookie") !== null && !options.cacheCookies) return false;
  const explicit = cc.maxAge !== undefined || cc.sMaxAge !== undefined ||
    (!targeted && headers.get("expires") !== null);
  return explicit || cc.public || HEURISTIC_STATUSES.has(status);
}

/**
 * The request header names a response varies on, lower-cased and sorted, or `"*"`.
 *
 * @example Two names
 * ```ts
 * import assert from "node:assert/strict";
 * import { varyNames } from "./http_cache_policy.ts";
 * assert.deepEqual(varyNames(new Headers({ vary: "Accept-Language, accept-encoding" })), [
 *   "accept-encoding",
 *   "accept-language",
 * ]);
 * ```
 */
export function varyNames(headers: HeaderSource): string[] | "*" {
  const vary = headers.get("vary");
  if (vary === null) return [];
  const names = new Set<string>();
  for (const part of vary.split(",")) {
    const name = part.trim().toLowerCase();
    if (name === "*") return "*";
    if (name !== "") names.add(name);
  }
  return [...names].sort();
}

/** A field value with the whitespace around list members and runs of spaces removed. */
function normalise(value: string): string {
  return value.split(",").map((member) => member.replace(/\s+/g, " ").trim()).join(",");
}

/**
 * The secondary cache key of a request for a response that varies on `names`: the request's
 * values of those headers, whitespace-normalised. Equal keys may share one stored response.
 *
 * @example Different languages, different keys
 * ```ts
 * import assert from "node:assert/strict";
 * import { secondaryKey } from "./http_cache_policy.ts";
 * const en = secondaryKey(["accept-language"], new Headers({ "accept-language": "en" }));
 * const es = secondaryKey(["accept-language"], new Headers({ "accept-language": "es" }));
 * assert.notEqual(en, es);
 * assert.equal(secondaryKey([], new Headers()), "");
 * ```
 */
export function secondaryKey(names: readonly string[], request: HeaderSource): string {
  let key = "";
  for (const name of names) {
    const value = request.get(name);
    key += `\n${name}:${value === null ? "\u0000" : normalise(value)}`;
  }
  return key;
}

/**
 * Whether an `If-None-Match` header matches an entity tag by weak comparison (RFC 9110 §13.1.2):
 * `*` matches anything, `W/"a"` matches `"a"`.
 *
 * @example Weak comparison
 * ```ts
 * import assert from "node:assert/strict";
 * import { ifNoneMatchHits } from "./http_cache_policy.ts";
 * assert.equal(ifNoneMatchHits('"x", W/"v1"', '"v1"'), true);
 * assert.equal(ifNoneMatchHits('"v2"', '"v1"'), false);
 * assert.equal(ifNoneMatchHits("*", '"v1"'), true);
 * ```
 */
export function ifNoneMatchHits(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === "*") return true;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  const target = opaque(etag);
  return ifNoneMatch.split(",").some((tag) => opaque(tag) === target);
}

/**
 * Whether a response with `Last-Modified: lastModified` (or, lacking one, the `Date` of a stored
 * response) is unmodified since an `If-Modified-Since` date; `false` when either date is invalid.
 *
 * @example Same date
 * ```ts
 * import assert from "node:assert/strict";
 * import { notModifiedSince } from "./http_cache_policy.ts";
 * const date = "Sun, 06 Nov 1994 08:49:37 GMT";
 * assert.equal(notModifiedSince(date, date), true);
 * assert.equal(notModifiedSince("garbage", date), false);
 * ```
 */
export function notModifiedSince(ifModifiedSince: string, lastModified: string): boolean {
  const since = parseHttpDate(ifModifiedSince);
  const modified = parseHttpDate(lastModified);
  return since !== undefined && modified !== undefined && modified <= since;
}
