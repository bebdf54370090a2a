/**
 * A reverse caching proxy for HTTP, built on Hono: it stands in front of one origin and keeps a
 * shared cache that follows RFC 9111.
 *
 * - Freshness from `s-maxage` (wins), `max-age`, `Expires`; `no-store` and `private` responses
 *   are never stored; `no-cache` responses are stored and revalidated before every use.
 * - Revalidation with `If-None-Match`/`If-Modified-Since`: a 304 from the origin refreshes the
 *   entry and the client gets the stored 200 with `X-Cache: REVALIDATED`.
 * - `Vary` selects a variant by the request's headers (`Vary: *` is not stored).
 * - Every response carries `Age` and `X-Cache: HIT | MISS | STALE | REVALIDATED`.
 * - The cache is bounded by total bytes, least recently used first out.
 * - stale-if-error: when the origin is unreachable or answers 5xx, a stale copy is served
 *   (`X-Cache: STALE`) inside the window of its `stale-if-error=N` directive, the request's, or
 *   the configured default; unreachable with no usable copy gives 502 with JSON
 *   `{error, url}`; a 5xx with no usable copy is relayed as it came.
 * - Purge: `PURGE /path?query` removes every variant of that URL and answers `{purged, url}`.
 * - POST, PUT, DELETE and PATCH (and any other method) pass through; a non-error answer to an
 *   unsafe method invalidates the URL and its `Location`/`Content-Location` on the same host.
 * - Concurrent misses (and revalidations) of one variant share one origin fetch when the answer
 *   may be stored; an answer that may not be stored is never shared, each waiter fetches its own.
 * - Requests with `Authorization`, `Range` or `Cache-Control: no-store` bypass the cache.
 *
 * Time comes from the `now` option (ms since the epoch), so tests can move the clock.
 * @module
 */
import { Hono } from "hono";
import { type CacheControl, parseCacheControl } from "./cache_control.ts";
import { Coalescer } from "./coalescer.ts";
import { secondaryKey } from "./http_cache_policy.ts";
import type { HttpProxy, HttpProxyOptions, XCache } from "./http_proxy_types.ts";
import { ageOf, type StoredResponse } from "./_http_entry.ts";
import { targetOf } from "./_http_headers.ts";
import { fill, type OriginSide, type Outcome, passThrough } from "./_http_origin.ts";
import { EntryResponder, json, labelled, labelOf } from "./_http_respond.ts";
import { HttpStore } from "./_http_store.ts";

export type {
  CacheEvent,
  HttpProxy,
  HttpProxyOptions,
  HttpProxyStats,
  RequestLog,
  XCache,
} from "./http_proxy_types.ts";

/** What a cache lookup found. */
interface Probe {
  /** The request must not use the cache (no-store, Authorization, Range). */
  readonly bypass: boolean;
  readonly key: string;
  readonly requestCc: CacheControl;
  readonly entry?: StoredResponse;
  /** The response, when a fresh entry answers the request. */
  readonly hit?: Response;
}

const NO_DIRECTIVES: CacheControl = parseCacheControl(null);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Creates a caching proxy in front of `origin` (a base URL; the request's path and query are
 * appended to it).
 *
 * @throws {TypeError} when `origin` is not an http(s) URL.
 * @example A second GET is a hit
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHttpProxy } from "./http_proxy.ts";
 * let fetches = 0;
 * const proxy = createHttpProxy("http://origin.test", {
 *   now: () => 1_000_000,
 *   fetch: () => {
 *     fetches++;
 *     return Promise.resolve(new Response("hi", { headers: { "cache-control": "max-age=60" } }));
 *   },
 * });
 * const first = await proxy.fetch(new Request("http://proxy.test/a"));
 * const second = await proxy.fetch(new Request("http://proxy.test/a"));
 * assert.equal(first.headers.get("x-cache"), "MISS");
 * assert.equal(second.headers.get("x-cache"), "HIT");
 * assert.equal(await second.text(), "hi");
 * await first.body?.cancel();
 * assert.equal(fetches, 1);
 * ```
 */
export function createHttpProxy(origin: string, options: HttpProxyOptions): HttpProxy {
  let base: URL;
  try {
    base = new URL(origin);
  } catch {
    base = new URL("invalid:");
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new TypeError(
      `Cannot create HTTP proxy: origin "${origin}" is not an http(s) URL; give one like http://127.0.0.1:8000`,
    );
  }
  const originBase = base.origin + base.pathname.replace(/\/$/, "");
  const now = options.now;
  const originFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const defaultStaleIfError = options.staleIfError ?? 0;
  const emit = options.onEvent ?? (() => {});
  const onRequest = options.onRequest;
  const counts = {
    hits: 0,
    misses: 0,
    revalidated: 0,
    stale: 0,
    coalesced: 0,
    originFetches: 0,
    originErrors: 0,
    purges: 0,
    invalidations: 0,
  };
  const store = new HttpStore(maxBytes, {
    onStore: (entry) => emit({ type: "store", url: entry.target }),
    onEvict: (entry) => emit({ type: "evict", url: entry.target }),
  });
  const responder = new EntryResponder();
  const flights = new Coalescer<Outcome>();
  const serve = (request: Request, entry: StoredResponse, cache: XCache): Response =>
    responder.respond(request, entry, cache, now());

  const side: OriginSide = {
    originBase,
    originFetch,
    now,
    maxBytes,
    defaultStaleIfError,
    emit,
    counts,
    store,
  };

  const answer = (request: Request, target: string, outcome: Outcome): Response => {
    switch (outcome.kind) {
      case "entry":
        return labelled(serve(request, outcome.entry, outcome.cache), outcome.cache);
      case "stale":
        return labelled(serve(request, outcome.entry, "STALE"), "STALE");
      case "response":
        return outcome.response;
      case "error":
        return json(502, { error: outcome.message, url: target });
    }
  };

  /** Looks a GET or HEAD up: a fresh hit is answered at once. */
  const probe = (request: Request, target: string): Probe => {
    const headers = request.headers;
    const ccHeader = headers.get("cache-control");
    const requestCc = ccHeader === null ? NO_DIRECTIVES : parseCacheControl(ccHeader);
    if (requestCc.noStore || headers.has("authorization") || headers.has("range")) {
      return { bypass: true, key: target, requestCc };
    }
    const key = store.keyFor(target, headers);
    const entry = store.get(key);
    if (entry === undefined) return { bypass: false, key, requestCc };
    const noCache = requestCc.noCache || requestCc.maxAge === 0 ||
      (ccHeader === null && /no-cache/i.test(headers.get("pragma") ?? ""));
    const age = ageOf(entry, now());
    const fresh = age < entry.lifetime &&
      (requestCc.maxAge === undefined || age < requestCc.maxAge * 1000);
    if (fresh && !noCache && !entry.cacheControl.noCache) {
      return { bypass: false, key, requestCc, entry, hit: serve(request, entry, "HIT") };
    }
    return { bypass: false, key, requestCc, entry };
  };

  /** Answers a GET or HEAD: synchronously on a hit, else after the (shared) origin fetch. */
  const lookup = (request: Request, target: string): Response | Promise<Response> => {
    const found = probe(request, target);
    if (found.bypass) return passThrough(side, request, target);
    if (found.hit !== undefined) return labelled(found.hit, "HIT");
    if (found.requestCc.onlyIfCached) {
      return json(504, {
        error: "Cannot answer from the cache: nothing fresh is stored",
        url: target,
      });
    }
    return miss(request, target, found.key, found.entry, found.requestCc);
  };

  const miss = async (
    request: Request,
    target: string,
    key: string,
    entry: StoredResponse | undefined,
    requestCc: CacheControl,
  ): Promise<Response> => {
    if (flights.has(key)) {
      counts.coalesced++;
      emit({ type: "coalesce", url: target });
    }
    const { value, shared } = await flights.run(
      key,
      () => fill(side, request, target, entry, requestCc),
    );
    if (!shared || value.kind === "error") return answer(request, target, value);
    if (value.kind !== "response") {
      const variant = target + secondaryKey(value.entry.vary, request.headers);
      if (variant === value.entry.key) return answer(request, target, value);
    }
    // The shared answer may not be reused for this request: fetch one of its own.
    return answer(request, target, await fill(side, request, target, undefined, requestCc));
  };

  const purge = (url: string): number => {
    const target = targetOf(url);
    const removed = target === undefined ? 0 : store.remove(target);
    if (removed > 0) {
      counts.purges += removed;
      emit({ type: "purge", url: target! });
    }
    return removed;
  };

  const finish = (
    request: Request,
    target: string,
    response: Response,
    started: number,
  ): Response => {
    const label = labelOf(response);
    if (label === "HIT") counts.hits++;
    else if (label === "REVALIDATED") counts.revalidated++;
    else if (label === "STALE") counts.stale++;
    else counts.misses++;
    onRequest?.({
      method: request.method,
      url: target,
      status: response.status,
      cache: label,
      ms: now() - started,
    });
    return response;
  };

  const handle = (request: Request): Response | Promise<Response> => {
    const started = now();
    const target = targetOf(request.url);
    let response: Response | Promise<Response>;
    if (target === undefined) {
      response = json(400, {
        error: `Cannot proxy the request: its target "${request.url}" is not a valid URL`,
        url: request.url,
      });
    } else if (request.method === "GET" || request.method === "HEAD") {
      response = lookup(request, target);
    } else if (request.method === "PURGE") {
      response = json(200, { purged: purge(target), url: target });
    } else {
      response = passThrough(side, request, target);
    }
    const at = target ?? request.url;
    return response instanceof Promise
      ? response.then((r) => finish(request, at, r, started))
      : finish(request, at, response, started);
  };

  const app = new Hono();
  app.all("*", (c) => handle(c.req.raw));
  app.onError((error, c) =>
    json(500, {
      error: `Cannot proxy the request: ${error.message}`,
      url: targetOf(c.req.url) ?? c.req.url,
    })
  );

  // The hit path answers before Hono's routing (as Varnish looks a request up before anything
  // else); misses, revalidations, purges and pass-through go through the Hono app.
  const fetch = (request: Request): Response | Promise<Response> => {
    const method = request.method;
    if ((method === "GET" || method === "HEAD") && store.size > 0) {
      const started = onRequest === undefined ? 0 : now();
      const target = targetOf(request.url);
      if (target !== undefined) {
        const hit = probe(request, target).hit;
        if (hit !== undefined) {
          counts.hits++;
          onRequest?.({
            method,
            url: target,
            status: hit.status,
            cache: "HIT",
            ms: now() - started,
          });
          return hit;
        }
      }
    }
    return app.fetch(request);
  };

  return {
    app,
    fetch,
    stats: () => ({
      ...counts,
      evictions: store.evictions,
      entries: store.size,
      bytes: store.bytes,
    }),
    purge,
  };
}
