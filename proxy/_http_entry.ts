/**
 * A stored HTTP response and the arithmetic the proxy does on it: freshness, age, the
 * secondary key, and the update a 304 brings (RFC 9111 §4.3.4).
 * @module
 */
import type { CacheControl } from "./cache_control.ts";
import {
  effectiveCacheControl,
  freshnessLifetime,
  initialAge,
  type ResponseTiming,
  secondaryKey,
  varyNames,
} from "./http_cache_policy.ts";
import { endToEnd } from "./_http_headers.ts";

/** A response in the cache. Immutable: a revalidation stores a new one. */
export interface StoredResponse {
  /** The request target, `/path?query` (primary key). */
  readonly target: string;
  /** Primary key plus the secondary key from `Vary`. */
  readonly key: string;
  readonly status: number;
  readonly statusText: string;
  /** End-to-end headers, without `Age` and `Content-Length`. */
  readonly headers: readonly [string, string][];
  readonly body: Uint8Array<ArrayBuffer>;
  /** When the response (or its last 304) arrived, on the proxy's clock. */
  readonly responseTime: number;
  /** Age when it arrived (RFC 9111 `corrected_initial_age`), ms. */
  readonly initialAge: number;
  /** Freshness lifetime, ms. */
  readonly lifetime: number;
  /** The directives the cache follows (`CDN-Cache-Control` first, else `Cache-Control`). */
  readonly cacheControl: CacheControl;
  readonly etag: string | null;
  readonly lastModified: string | null;
  /** The `Date` field, the validator of last resort for `If-Modified-Since`. */
  readonly date: string | null;
  /** Request header names it varies on. */
  readonly vary: readonly string[];
  /** Bytes it is charged in the cache. */
  readonly size: number;
}

const STORED_DROP = new Set(["age", "content-length"]);
/** RFC 9111 §3.2: a 304 or HEAD updates every stored field but `Content-Length`. */
const NOT_UPDATED = new Set(["content-length"]);

function build(
  target: string,
  request: Headers,
  status: number,
  statusText: string,
  fields: [string, string][],
  body: Uint8Array<ArrayBuffer>,
  timing: ResponseTiming,
): StoredResponse {
  let pairs = fields;
  const headers = new Headers(pairs);
  const effective = effectiveCacheControl(headers);
  const cacheControl = effective.cacheControl;
  const omitted = cacheControl.noCacheFields;
  if (omitted !== undefined) pairs = pairs.filter(([name]) => !omitted.includes(name));
  const names = varyNames(headers);
  const vary = names === "*" ? [] : names;
  const key = target + secondaryKey(vary, request);
  let size = body.byteLength + key.length + 64;
  for (const [name, value] of pairs) size += name.length + value.length + 4;
  return {
    target,
    key,
    status,
    statusText,
    headers: pairs.filter(([name]) => !STORED_DROP.has(name)),
    body,
    responseTime: timing.responseTime,
    initialAge: initialAge(headers, timing),
    lifetime: freshnessLifetime(headers, {
      responseTime: timing.responseTime,
      status,
      cacheControl: effective,
    }),
    cacheControl,
    etag: headers.get("etag"),
    lastModified: headers.get("last-modified"),
    date: headers.get("date"),
    vary,
    size,
  };
}

/** Makes an entry from an origin response to `request` (for `target`) and its body. */
export function storeEntry(
  target: string,
  request: Headers,
  response: Response,
  body: Uint8Array<ArrayBuffer>,
  timing: ResponseTiming,
): StoredResponse {
  return build(
    target,
    request,
    response.status,
    response.statusText,
    endToEnd(response.headers),
    body,
    timing,
  );
}

/**
 * The entry after a 304 (or a 200 to a HEAD): its fields updated with those of the new response
 * (all but `Content-Length`, RFC 9111 §3.2), its clock restarted.
 */
export function refreshEntry(
  entry: StoredResponse,
  request: Headers,
  notModified: Headers,
  timing: ResponseTiming,
): StoredResponse {
  const update = endToEnd(notModified).filter(([name]) => !NOT_UPDATED.has(name));
  const replaced = new Set(update.map(([name]) => name));
  const pairs = [...entry.headers.filter(([name]) => !replaced.has(name)), ...update];
  return build(entry.target, request, entry.status, entry.statusText, pairs, entry.body, timing);
}

/** The entry's current age at `now`, ms. */
export function ageOf(entry: StoredResponse, now: number): number {
  return entry.initialAge + Math.max(0, now - entry.responseTime);
}
