/**
 * The proxy's side toward the origin: one (conditional) fetch that fills or refreshes the cache,
 * streaming bodies while it stores them (up to the largest object it keeps), stale-if-error when
 * the origin fails, HEAD written through, and the pass-through of every other method with the
 * invalidation that unsafe methods cause.
 * @module
 */
import type { CacheControl } from "./cache_control.ts";
import { isStorable } from "./http_cache_policy.ts";
import type { CacheEvent, XCache } from "./http_proxy_types.ts";
import { ageOf, refreshEntry, type StoredResponse, storeEntry } from "./_http_entry.ts";
import { originRequestHeaders } from "./_http_headers.ts";
import type { OriginHooks } from "./http1_client.ts";
import { json, relay } from "./_http_respond.ts";
import { stored, streamWhileStoring } from "./_http_stream_store.ts";
import type { HttpStore } from "./_http_store.ts";

/** What one origin fetch gave, to share with coalesced requests. */
export type Outcome =
  | { readonly kind: "entry"; readonly entry: StoredResponse; readonly cache: XCache }
  | { readonly kind: "stale"; readonly entry: StoredResponse }
  | { readonly kind: "response"; readonly response: Response }
  | {
    readonly kind: "streamed";
    /** The response being streamed to the first requester (nobody else may read it). */
    readonly response: Response;
    /** The entry once the whole body arrived and was stored; `undefined` when it was not. */
    readonly done: Promise<StoredResponse | undefined>;
  }
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
  readonly originFetch: (request: Request, hooks?: OriginHooks) => Promise<Response>;
  readonly now: () => number;
  /** Largest body stored; larger ones are streamed and not stored. */
  readonly maxObjectBytes: number;
  /** Bytes held by the copies of responses being stored as they stream, and their bound. */
  readonly storing: { used: number; readonly max: number };
  readonly cacheCookies: boolean;
  readonly defaultStaleIfError: number;
  readonly emit: (event: CacheEvent) => void;
  readonly counts: ProxyCounts;
  readonly store: HttpStore;
}

/** Bodies up to this size with a known length are read whole before answering. */
const BUFFER_LIMIT = 64 * 1024;
/** Methods known to be safe (RFC 9110 §9.2.1); any other method may change the resource. */
const SAFE = new Set(["GET", "HEAD", "OPTIONS", "TRACE"]);

function staleAllowed(side: OriginSide, entry: StoredResponse, request: CacheControl): boolean {
  const cc = entry.cacheControl;
  if (cc.mustRevalidate || cc.proxyRevalidate) return false;
  const explicit = cc.staleIfError ?? request.staleIfError;
  if (explicit === undefined && (cc.noCache || cc.sMaxAge !== undefined)) return false;
  const { now } = side;
  const window = explicit ?? side.defaultStaleIfError;
  return window > 0 && ageOf(entry, now()) - entry.lifetime <= window * 1000;
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

async function originFetch(
  side: OriginSide,
  target: string,
  init: RequestInit,
  hooks: OriginHooks | undefined,
): Promise<Response | string> {
  side.counts.originFetches++;
  try {
    return await side.originFetch(
      new Request(side.originBase + target, { ...init, redirect: "manual" }),
      hooks,
    );
  } catch (error) {
    return `Cannot reach origin ${side.originBase}: ${(error as Error).message}`;
  }
}

/**
 * One origin fetch for a GET, conditional with the stored validators when `entry` is given, else
 * with the client's own conditionals (a 304 then goes back to the client as it came).
 */
export async function fill(
  side: OriginSide,
  request: Request,
  target: string,
  entry: StoredResponse | undefined,
  requestCc: CacheControl,
  hooks?: OriginHooks,
): Promise<Outcome> {
  const { now, store } = side;
  const headers = originRequestHeaders(request.headers, entry === undefined);
  if (entry?.etag) headers.set("if-none-match", entry.etag);
  if (entry?.lastModified) headers.set("if-modified-since", entry.lastModified);
  const requestTime = now();
  const response = await originFetch(side, target, { method: "GET", headers }, hooks);
  if (typeof response === "string") return failed(side, target, entry, requestCc, response);
  const timing = { requestTime, responseTime: now() };
  if (response.status === 304 && entry !== undefined) {
    await response.body?.cancel();
    const refreshed = refreshEntry(entry, request.headers, response.headers, timing);
    store.put(refreshed);
    return { kind: "entry", entry: refreshed, cache: "REVALIDATED" };
  }
  if (response.status >= 500 && response.status <= 599) {
    const outcome = failed(side, target, entry, requestCc, `origin answered ${response.status}`);
    if (outcome.kind === "stale") {
      await response.body?.cancel();
      return outcome;
    }
  }
  const storable = isStorable({ method: "GET", headers: request.headers }, response, {
    cacheCookies: side.cacheCookies,
  });
  const lengthHeader = response.headers.get("content-length");
  const length = lengthHeader === null ? undefined : Number(lengthHeader);
  if (!storable || (length !== undefined && length > side.maxObjectBytes)) {
    if (entry !== undefined && response.status < 500) store.remove(target);
    return { kind: "response", response: relay(request, response, timing) };
  }
  if (length === undefined || length > BUFFER_LIMIT) {
    return streamWhileStoring(side, request, target, response, timing);
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
  return stored(side, storeEntry(target, request.headers, response, body, timing), "MISS");
}

/**
 * A HEAD written through to the origin (RFC 9111 §4.3.5): with `entry` (stale, or to be
 * revalidated) the HEAD is conditional; a 304, or a 200 whose validators and length match the
 * stored response, refreshes the entry's fields; a 200 that does not match makes it stale.
 */
export async function headThrough(
  side: OriginSide,
  request: Request,
  target: string,
  entry: StoredResponse | undefined,
  requestCc: CacheControl,
  hooks?: OriginHooks,
): Promise<Outcome> {
  const { now, store } = side;
  const headers = originRequestHeaders(request.headers, entry === undefined);
  if (entry?.etag) headers.set("if-none-match", entry.etag);
  if (entry?.lastModified) headers.set("if-modified-since", entry.lastModified);
  const requestTime = now();
  const response = await originFetch(side, target, { method: "HEAD", headers }, hooks);
  if (typeof response === "string") return failed(side, target, entry, requestCc, response);
  const timing = { requestTime, responseTime: now() };
  await response.body?.cancel();
  if (entry !== undefined && (response.status === 304 || response.status === 200)) {
    const h = response.headers;
    const matches = response.status === 304 || (
      (h.get("etag") === null || h.get("etag") === entry.etag) &&
      (h.get("last-modified") === null || h.get("last-modified") === entry.lastModified) &&
      (h.get("content-length") === null || Number(h.get("content-length")) === entry.body.length)
    );
    if (matches) {
      const refreshed = refreshEntry(entry, request.headers, h, timing);
      store.put(refreshed);
      return { kind: "entry", entry: refreshed, cache: "REVALIDATED" };
    }
    store.remove(target);
  }
  if (response.status >= 500 && response.status <= 599) {
    const outcome = failed(side, target, entry, requestCc, `origin answered ${response.status}`);
    if (outcome.kind === "stale") return outcome;
  }
  return { kind: "response", response: relay(request, response, timing) };
}

function invalidate(side: OriginSide, request: Request, response: Response, target: string): void {
  const { store, emit } = side;
  let removed = store.remove(target);
  const here = new URL(request.url).origin;
  const origin = new URL(side.originBase).origin;
  for (const name of ["location", "content-location"]) {
    const value = response.headers.get(name);
    if (value === null) continue;
    let other: URL;
    try {
      other = new URL(value, request.url);
    } catch (error) {
      // A field that is no URL names nothing to invalidate; the event says so.
      emit({ type: "invalidate", url: target, note: `${name} "${value}": ${error}` });
      continue;
    }
    // RFC 9111 §4.4: never invalidate a URI of another origin.
    if (other.origin === here || other.origin === origin) {
      removed += store.remove(other.pathname + other.search);
    }
  }
  if (removed > 0) {
    side.counts.invalidations += removed;
    emit({ type: "invalidate", url: target });
  }
}

/**
 * Relays a request the cache does not answer. A non-error answer (2xx, 3xx) to a method not known
 * to be safe (POST, PUT, DELETE, PATCH, M-SEARCH, anything else) invalidates the target and the
 * same-origin `Location` and `Content-Location` (RFC 9111 §4.4).
 */
export async function passThrough(
  side: OriginSide,
  request: Request,
  target: string,
  hooks?: OriginHooks,
): Promise<Response> {
  const { now, emit } = side;
  const method = request.method;
  const hasBody = method !== "GET" && method !== "HEAD" && request.body !== null;
  const body = hasBody ? await request.arrayBuffer() : null;
  const requestTime = now();
  const response = await originFetch(side, target, {
    method,
    headers: originRequestHeaders(request.headers, true),
    body,
  }, hooks);
  if (typeof response === "string") {
    side.counts.originErrors++;
    emit({ type: "origin-error", url: target, note: response });
    return json(502, { error: response, url: target });
  }
  if (!SAFE.has(method) && response.status >= 200 && response.status < 400) {
    invalidate(side, request, response, target);
  }
  return relay(request, response, { requestTime, responseTime: now() });
}
