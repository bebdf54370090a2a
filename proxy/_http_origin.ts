/**
 * The proxy's side toward the origin: one (conditional) fetch that fills or refreshes the cache,
 * stale-if-error when the origin fails, and the pass-through of every other method with the
 * invalidation that unsafe methods cause.
 * @module
 */
import type { CacheControl } from "./cache_control.ts";
import { isStorable } from "./http_cache_policy.ts";
import type { CacheEvent, XCache } from "./http_proxy_types.ts";
import { ageOf, refreshEntry, type StoredResponse, storeEntry } from "./_http_entry.ts";
import { originRequestHeaders } from "./_http_headers.ts";
import { json, relay } from "./_http_respond.ts";
import type { HttpStore } from "./_http_store.ts";

/** What one origin fetch gave, to share with coalesced requests. */
export type Outcome =
  | { readonly kind: "entry"; readonly entry: StoredResponse; readonly cache: XCache }
  | { readonly kind: "stale"; readonly entry: StoredResponse }
  | { readonly kind: "response"; readonly response: Response }
  | { readonly kind: "error"; readonly message: string };

/** The proxy's counters (the origin side updates some of them). */
export interface ProxyCounts {
  hits: number;
  misses: number;
  revalidated: number;
  stale: number;
  coalesced: number;
  originFetches: number;
  originErrors: number;
  purges: number;
  invalidations: number;
}

/** What the origin side of one proxy shares with the rest of it. */
export interface OriginSide {
  /** The origin's base URL, without a trailing slash. */
  readonly originBase: string;
  readonly originFetch: (request: Request) => Promise<Response>;
  readonly now: () => number;
  readonly maxBytes: number;
  readonly defaultStaleIfError: number;
  readonly emit: (event: CacheEvent) => void;
  readonly counts: ProxyCounts;
  readonly store: HttpStore;
}

const UNSAFE = new Set(["POST", "PUT", "DELETE", "PATCH"]);

function staleAllowed(side: OriginSide, entry: StoredResponse, request: CacheControl): boolean {
  const cc = entry.cacheControl;
  if (cc.mustRevalidate || cc.proxyRevalidate) return false;
  const explicit = cc.staleIfError ?? request.staleIfError;
  if (explicit === undefined && (cc.noCache || cc.sMaxAge !== undefined)) return false;
  const { now } = side;
  const window = explicit ?? side.defaultStaleIfError;
  return ageOf(entry, now()) - entry.lifetime <= window * 1000;
}

function failed(
  side: OriginSide,
  target: string,
  entry: StoredResponse | undefined,
  request: CacheControl,
  message: string,
): Outcome {
  const { emit } = side;
  side.counts.originErrors++;
  emit({ type: "origin-error", url: target, note: message });
  if (entry !== undefined && staleAllowed(side, entry, request)) return { kind: "stale", entry };
  return { kind: "error", message };
}

/** One origin fetch for a GET or HEAD, conditional when `entry` has validators. */
export async function fill(
  side: OriginSide,
  request: Request,
  target: string,
  entry: StoredResponse | undefined,
  requestCc: CacheControl,
): Promise<Outcome> {
  const { originBase, originFetch, now, store } = side;
  const headers = originRequestHeaders(request.headers, false);
  if (entry?.etag) headers.set("if-none-match", entry.etag);
  if (entry?.lastModified) headers.set("if-modified-since", entry.lastModified);
  const requestTime = now();
  side.counts.originFetches++;
  let response: Response;
  try {
    response = await originFetch(
      new Request(originBase + target, { method: "GET", headers, redirect: "manual" }),
    );
  } catch (error) {
    return failed(
      side,
      target,
      entry,
      requestCc,
      `Cannot reach origin ${originBase}: ${(error as Error).message}`,
    );
  }
  const timing = { requestTime, responseTime: now() };
  if (response.status === 304 && entry !== undefined) {
    await response.body?.cancel();
    const refreshed = refreshEntry(entry, request.headers, response.headers, timing);
    store.put(refreshed);
    return { kind: "entry", entry: refreshed, cache: "REVALIDATED" };
  }
  if (response.status >= 500) {
    const outcome = failed(side, target, entry, requestCc, `origin answered ${response.status}`);
    if (outcome.kind === "stale") {
      await response.body?.cancel();
      return outcome;
    }
  }
  const storable = isStorable({ method: "GET", headers: request.headers }, response);
  const length = Number(response.headers.get("content-length") ?? 0);
  if (!storable || length > side.maxBytes) {
    if (entry !== undefined && response.status < 500) store.remove(target);
    return { kind: "response", response: relay(request, response, timing) };
  }
  let body: Uint8Array<ArrayBuffer>;
  try {
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return failed(
      side,
      target,
      entry,
      requestCc,
      `Cannot read origin body: ${(error as Error).message}`,
    );
  }
  const stored = storeEntry(target, request.headers, response, body, timing);
  if (stored.lifetime > 0 || stored.etag !== null || stored.lastModified !== null) {
    store.put(stored);
  }
  return { kind: "entry", entry: stored, cache: "MISS" };
}

function invalidate(
  side: OriginSide,
  request: Request,
  response: Response,
  target: string,
): void {
  const { store, emit } = side;
  let removed = store.remove(target);
  for (const name of ["location", "content-location"]) {
    const value = response.headers.get(name);
    if (value === null) continue;
    try {
      const other = new URL(value, request.url);
      if (other.host === new URL(request.url).host) {
        removed += store.remove(other.pathname + other.search);
      }
    } catch {
      // An invalid Location invalidates nothing more.
    }
  }
  if (removed > 0) {
    side.counts.invalidations += removed;
    emit({ type: "invalidate", url: target });
  }
}

/** Relays a request the cache does not answer; a non-error answer to an unsafe method invalidates. */
export async function passThrough(
  side: OriginSide,
  request: Request,
  target: string,
): Promise<Response> {
  const { originBase, originFetch, now, emit } = side;
  const method = request.method;
  const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
  const body = hasBody ? await request.arrayBuffer() : null;
  const requestTime = now();
  side.counts.originFetches++;
  let response: Response;
  try {
    response = await originFetch(
      new Request(originBase + target, {
        method,
        headers: originRequestHeaders(request.headers, true),
        body,
        redirect: "manual",
      }),
    );
  } catch (error) {
    side.counts.originErrors++;
    const message = `Cannot reach origin ${originBase}: ${(error as Error).message}`;
    emit({ type: "origin-error", url: target, note: message });
    return json(502, { error: message, url: target });
  }
  if (UNSAFE.has(method) && response.status < 400) invalidate(side, request, response, target);
  return relay(request, response, { requestTime, responseTime: now() });
}
