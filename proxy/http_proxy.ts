/**
 * A reverse caching proxy for HTTP, built on Hono: it stands in front of one origin and keeps a
 * shared cache that follows RFC 9111 (and RFC 9110's date and field rules, RFC 9213, RFC 5861).
 *
 * - Freshness from `CDN-Cache-Control` (RFC 9213: when valid it replaces `Cache-Control` and
 *   `Expires`), else `s-maxage` (wins), `max-age`, `Expires` (an IMF-fixdate, RFC 850 or asctime
 *   date; anything else means already stale), else heuristics from `Last-Modified`; `no-store`
 *   and `private` responses are never stored; `no-cache` responses are stored and revalidated
 *   before every use; `Age` with a list value counts by its first member.
 * - Revalidation with `If-None-Match`/`If-Modified-Since`: a 304 from the origin refreshes the
 *   entry (every field but `Content-Length`, ETag and Content-Type included) and the client gets
 *   the stored 200 with `X-Cache: REVALIDATED` (or a 304 when its own validator matches).
 * - A miss forwards the client's conditionals; the origin's 304 goes back to the client.
 * - `stale-while-revalidate=N`: a stale entry inside the window is served (`X-Cache: STALE`)
 *   while one background fetch refreshes it. Request `max-stale` and `min-fresh` are honoured.
 * - HEAD is answered from a stored GET when fresh, else written through to the origin as HEAD;
 *   its 200 or 304 refreshes the stored GET's fields when the validators match.
 * - A `Range` (one byte range) is served from a complete stored response: 206 with
 *   `Content-Range`, or 416 when unsatisfiable; a miss with `Range` passes through.
 * - `Vary` selects a variant by the request's headers (`Vary: *` is not stored).
 * - Every response carries `Age` and `X-Cache: HIT | MISS | STALE | REVALIDATED`.
 * - The cache is bounded by total bytes, least recently used first out, and by the largest
 *   object it stores; bodies it does not store are streamed, never read whole first.
 * - Responses with `Set-Cookie` are not stored unless `cacheCookies`.
 * - stale-if-error: when the origin is unreachable or answers 5xx, a stale copy is served
 *   (`X-Cache: STALE`) inside the window of its `stale-if-error=N` directive, the request's, or
 *   the configured default; unreachable with no usable copy gives 502 with JSON
 *   `{error, url}`; a 5xx with no usable copy is relayed as it came.
 * - Purge: `PURGE /path?query` removes every variant of that URL and answers `{purged, url}`;
 *   allowed with `Authorization: Bearer <purgeToken>`, or from a loopback client when no token
 *   is configured; anyone else gets 403.
 * - Every other method passes through; a non-error answer to a method not known to be safe
 *   (anything but GET, HEAD, OPTIONS, TRACE) invalidates the URL and its same-origin
 *   `Location`/`Content-Location`. Statuses outside 200-599 pass through as they came.
 * - Concurrent misses (and revalidations) of one variant share one origin fetch when the answer
 *   may be stored; an answer that may not be stored is never shared, each waiter fetches its own.
 * - Requests with `Authorization` or `Cache-Control: no-store` bypass the cache.
 *
 * Time comes from the `now` option (ms since the epoch), so tests can move the clock.
 * @module
 */
import { Hono } from "hono";
import { type CacheControl, parseCacheControl } from "./cache_control.ts";
import type {
  CacheEvent,
  HttpProxy,
  HttpProxyOptions,
  HttpProxyStats,
  ProxyRequestInfo,
  RequestLog,
  XCache,
} from "./http_proxy_types.ts";
import { ageOf, type StoredResponse } from "./_http_entry.ts";
import { purgeAllowed, reuseOf } from "./_http_reuse.ts";
import { Flights, type Probe } from "./_http_flights.ts";
import { targetOf } from "./_http_headers.ts";
import { headThrough, type OriginSide, type Outcome, passThrough } from "./_http_origin.ts";
import { createHttp1Client, type OriginHooks } from "./http1_client.ts";
import { EntryResponder, json, labelled, labelOf, NULL_BODY } from "./_http_respond.ts";
import { HttpStore } from "./_http_store.ts";

export type {
  CacheEvent,
  HttpProxy,
  HttpProxyOptions,
  HttpProxyStats,
  ProxyRequestInfo,
  RequestLog,
  XCache,
} from "./http_proxy_types.ts";

const NO_DIRECTIVES: CacheControl = parseCacheControl(null);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_MAX_OBJECT_BYTES = 8 * 1024 * 1024;
/** Request fields that make a GET more than a plain lookup (the full path handles them). */
const PLAIN_HIT_EXCLUDES = [
  "authorization",
  "cache-control",
  "pragma",
  "range",
  "if-none-match",
  "if-modified-since",
];

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
  const proxy = new CachingProxy(originBaseOf(origin), options);
  return {
    app: proxy.app,
    fetch: proxy.fetch,
    hitBytes: proxy.hitBytes,
    stats: () => proxy.stats(),
    purge: (url) => proxy.purge(url),
    settled: () => proxy.settled(),
  };
}

/** The origin's base URL without a trailing slash, or a TypeError when it is not http(s). */
function originBaseOf(origin: string): string {
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
  return base.origin + base.pathname.replace(/\/$/, "");
}

/** One caching proxy: its store, the origin fetches in flight, its counters and its Hono app. */
class CachingProxy {
  readonly #now: () => number;
  readonly #emit: (event: CacheEvent) => void;
  readonly #onRequest: ((log: RequestLog) => void) | undefined;
  readonly #purgeToken: string | undefined;
  readonly #counts: OriginSide["counts"] = {
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
  readonly #store: HttpStore;
  readonly #responder = new EntryResponder();
  readonly #side: OriginSide;
  readonly #flights: Flights;
  /** The Hono app: misses, revalidations, purges and pass-through. */
  readonly app: Hono<{ Bindings: ProxyRequestInfo }>;

  constructor(originBase: string, options: HttpProxyOptions) {
    const now = this.#now = options.now;
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    const emit = this.#emit = options.onEvent ?? (() => {});
    this.#onRequest = options.onRequest;
    this.#purgeToken = options.purgeToken;
    this.#store = new HttpStore(maxBytes, {
      onStore: (entry) => emit({ type: "store", url: entry.target }),
      onEvict: (entry) => emit({ type: "evict", url: entry.target }),
    });
    this.#side = {
      originBase,
      originFetch: options.fetch ?? createHttp1Client(),
      now,
      maxObjectBytes: Math.min(options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES, maxBytes),
      storing: { used: 0, max: options.maxStoringBytes ?? maxBytes },
      cacheCookies: options.cacheCookies ?? false,
      defaultStaleIfError: options.staleIfError ?? 0,
      emit,
      counts: this.#counts,
      store: this.#store,
    };
    this.#flights = new Flights(
      this.#side,
      (request, target, outcome) => this.#answer(request, target, outcome),
    );
    const app = this.app = new Hono<{ Bindings: ProxyRequestInfo }>();
    app.all("*", (c) => this.#handle(c.req.raw, c.env));
    app.onError((error, c) =>
      json(500, {
        error: `Cannot proxy the request: ${error.message}`,
        url: targetOf(c.req.url) ?? c.req.url,
      })
    );
  }

  /** The counters and the store's size. */
  stats(): HttpProxyStats {
    const store = this.#store;
    return { ...this.#counts, evictions: store.evictions, entries: store.size, bytes: store.bytes };
  }

  /** Resolves once the background revalidations started so far ended. */
  settled(): Promise<void> {
    return this.#flights.settled();
  }

  /** Removes every variant of `url`; returns how many were removed. */
  purge(url: string): number {
    const target = targetOf(url);
    const removed = target === undefined ? 0 : this.#store.remove(target);
    if (removed > 0) {
      this.#counts.purges += removed;
      this.#emit({ type: "purge", url: target! });
    }
    return removed;
  }

  // The hit path answers before Hono's routing (as Varnish looks a request up before anything
  // else); misses, revalidations, purges and pass-through go through the Hono app.
  /** Answers one request; synchronously on a fresh hit. */
  readonly fetch = (request: Request, info?: ProxyRequestInfo): Response | Promise<Response> => {
    const method = request.method;
    if ((method === "GET" || method === "HEAD") && this.#store.size > 0) {
      const onRequest = this.#onRequest;
      const started = onRequest === undefined ? 0 : this.#now();
      const target = targetOf(request.url);
      if (target !== undefined) {
        const found = this.#probe(request, target);
        const hit = found.cache === "HIT" ? found.hit : undefined;
        if (hit !== undefined) {
          this.#counts.hits++;
          onRequest?.({
            method,
            url: target,
            status: hit.status,
            cache: "HIT",
            ms: this.#now() - started,
          });
          return hit;
        }
      }
    }
    return this.app.fetch(request, info ?? {});
  };

  /** The whole HTTP/1.1 response to a plain GET that is a fresh hit, as bytes; else undefined. */
  readonly hitBytes = (
    head: { readonly method: string; readonly target: string; readonly version: string },
    field: (name: string) => string | null,
  ): Uint8Array | undefined => {
    const store = this.#store;
    if (head.method !== "GET" || head.version !== "1.1" || store.size === 0) return undefined;
    for (const name of PLAIN_HIT_EXCLUDES) if (field(name) !== null) return undefined;
    const target = targetOf(head.target);
    if (target === undefined) return undefined;
    const entry = store.get(store.keyFor(target, { get: field }));
    if (
      entry === undefined || entry.cacheControl.noCache || entry.date === null ||
      NULL_BODY.has(entry.status)
    ) return undefined;
    const age = ageOf(entry, this.#now());
    if (age >= entry.lifetime) return undefined;
    this.#counts.hits++;
    this.#onRequest?.({ method: "GET", url: target, status: entry.status, cache: "HIT", ms: 0 });
    return this.#responder.wire(entry, Math.floor(age / 1000));
  };

  #serve(request: Request, entry: StoredResponse, cache: XCache): Response {
    return this.#responder.respond(request, entry, cache, this.#now());
  }

  /** The response to an origin outcome. */
  #answer(request: Request, target: string, outcome: Outcome): Response {
    switch (outcome.kind) {
      case "entry":
        return labelled(this.#serve(request, outcome.entry, outcome.cache), outcome.cache);
      case "stale":
        return labelled(this.#serve(request, outcome.entry, "STALE"), "STALE");
      case "response":
      case "streamed":
        return outcome.response;
      case "error":
        return json(502, { error: outcome.message, url: target });
    }
  }

  /** Looks a GET or HEAD up: a fresh hit (or an allowed stale one) is answered at once. */
  #probe(request: Request, target: string): Probe {
    const headers = request.headers;
    const ccHeader = headers.get("cache-control");
    const requestCc = ccHeader === null ? NO_DIRECTIVES : parseCacheControl(ccHeader);
    if (requestCc.noStore || headers.has("authorization")) {
      return { bypass: true, key: target, requestCc };
    }
    const key = this.#store.keyFor(target, headers);
    const entry = this.#store.get(key);
    if (entry === undefined) return { bypass: false, key, requestCc };
    const pragmaNoCache = ccHeader === null && /no-cache/i.test(headers.get("pragma") ?? "");
    const use = reuseOf(entry, requestCc, pragmaNoCache, this.#now());
    if (use === "validate") return { bypass: false, key, requestCc, entry };
    const cache = use === "fresh" ? "HIT" : "STALE";
    return {
      bypass: false,
      key,
      requestCc,
      entry,
      hit: this.#serve(request, entry, cache),
      cache,
      revalidate: use === "stale-while-revalidate",
    };
  }

  /** Answers a GET or HEAD: synchronously on a hit, else after the (shared) origin fetch. */
  #lookup(
    request: Request,
    target: string,
    hooks: OriginHooks | undefined,
  ): Response | Promise<Response> {
    const side = this.#side;
    const found = this.#probe(request, target);
    if (found.bypass) return passThrough(side, request, target, hooks);
    if (found.hit !== undefined) {
      if (found.revalidate) this.#flights.refresh(request, target, found);
      return labelled(found.hit, found.cache ?? "HIT");
    }
    if (found.requestCc.onlyIfCached) {
      return json(504, {
        error: "Cannot answer from the cache: nothing fresh is stored",
        url: target,
      });
    }
    if (request.method === "HEAD") {
      return headThrough(side, request, target, found.entry, found.requestCc, hooks).then((
        outcome,
      ) => this.#answer(request, target, outcome));
    }
    if (request.headers.has("range")) return passThrough(side, request, target, hooks);
    return this.#flights.miss(request, target, found, hooks);
  }

  /** Counts and logs a response by its X-Cache label. */
  #finish(request: Request, target: string, response: Response, started: number): Response {
    const counts = this.#counts;
    const label = labelOf(response);
    if (label === "HIT") counts.hits++;
    else if (label === "REVALIDATED") counts.revalidated++;
    else if (label === "STALE") counts.stale++;
    else counts.misses++;
    this.#onRequest?.({
      method: request.method,
      url: target,
      status: response.status,
      cache: label,
      ms: this.#now() - started,
    });
    return response;
  }

  /** What the Hono app does with every request: look up, purge or pass through. */
  #handle(request: Request, info: ProxyRequestInfo | undefined): Response | Promise<Response> {
    const started = this.#now();
    const target = targetOf(request.url);
    const interim = info?.interim;
    const hooks = interim === undefined ? undefined : { onInterim: interim };
    let response: Response | Promise<Response>;
    if (target === undefined) {
      response = json(400, {
        error: `Cannot proxy the request: its target "${request.url}" is not a valid URL`,
        url: request.url,
      });
    } else if (request.method === "GET" || request.method === "HEAD") {
      response = this.#lookup(request, target, hooks);
    } else if (request.method === "PURGE") {
      response = this.#purgeResponse(request, info, target);
    } else {
      response = passThrough(this.#side, request, target, hooks);
    }
    const at = target ?? request.url;
    return response instanceof Promise
      ? response.then((r) => this.#finish(request, at, r, started))
      : this.#finish(request, at, response, started);
  }

  /** Purges `target` when the client may (loopback, or the purge token); else a 403. */
  #purgeResponse(request: Request, info: ProxyRequestInfo | undefined, target: string): Response {
    const purgeToken = this.#purgeToken;
    return purgeAllowed(request, info, purgeToken)
      ? json(200, { purged: this.purge(target), url: target })
      : json(403, {
        error: purgeToken === undefined
          ? "Cannot purge: only loopback clients may purge when no purge token is configured"
          : "Cannot purge: send Authorization: Bearer <the proxy's purge token>",
        url: target,
      });
  }
}
