/**
 * The HTTP proxy's decisions about a stored response (RFC 9111 §4): may it answer a request
 * fresh, stale (the request's `max-stale`, or `stale-while-revalidate` with a background
 * refresh), or must it be validated first; and who may PURGE.
 * @module
 */
import type { CacheControl } from "./cache_control.ts";
import type { ProxyRequestInfo } from "./http_proxy_types.ts";
import { ageOf, type StoredResponse } from "./_http_entry.ts";

/** How a stored response may be used for a request. */
export type Reuse = "fresh" | "stale" | "stale-while-revalidate" | "validate";

/**
 * How `entry` may answer a request with directives `request` at `now`: `no-cache` (either side,
 * or `Pragma: no-cache`) and request `max-age=0` validate; fresh (within the request's `max-age`
 * and `min-fresh`) answers; stale answers only inside the request's `max-stale` or the
 * response's `stale-while-revalidate`, never with `must-revalidate`, `proxy-revalidate` or
 * `s-maxage`.
 */
export function reuseOf(
  entry: StoredResponse,
  request: CacheControl,
  pragmaNoCache: boolean,
  now: number,
): Reuse {
  if (request.noCache || request.maxAge === 0 || pragmaNoCache || entry.cacheControl.noCache) {
    return "validate";
  }
  const age = ageOf(entry, now);
  const left = entry.lifetime - age;
  if (
    left > 0 && (request.maxAge === undefined || age < request.maxAge * 1000) &&
    (request.minFresh === undefined || left >= request.minFresh * 1000)
  ) {
    return "fresh";
  }
  const cc = entry.cacheControl;
  if (cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxAge !== undefined) return "validate";
  const stale = -left;
  if (request.maxStale !== undefined && stale <= request.maxStale * 1000) return "stale";
  const swr = cc.staleWhileRevalidate;
  if (swr !== undefined && stale <= swr * 1000 && request.maxAge === undefined) {
    return "stale-while-revalidate";
  }
  return "validate";
}

/** Whether a PURGE may run: it carries the token, or, with no token configured, comes from loopback. */
export function purgeAllowed(
  request: Request,
  info: ProxyRequestInfo | undefined,
  token: string | undefined,
): boolean {
  if (token !== undefined) return request.headers.get("authorization") === `Bearer ${token}`;
  const host = info?.remoteAddr?.hostname;
  return host !== undefined &&
    (host.startsWith("127.") || host === "::1" || host === "::ffff:127.0.0.1");
}
