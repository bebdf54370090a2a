/**
 * The public types of the HTTP caching proxy: its options, counters, logs and events.
 * @module
 */
import type { OriginHooks } from "./http1_client.ts";

/** How a response was served, as in its `X-Cache` header. */
export type XCache = "HIT" | "MISS" | "STALE" | "REVALIDATED";

/** One served request, for logs. */
export interface RequestLog {
  /** The request method. */
  readonly method: string;
  /** The request target, `/path?query`. */
  readonly url: string;
  /** The response status. */
  readonly status: number;
  /** How it was served. */
  readonly cache: XCache;
  /** Time to produce the response headers, by the `now` clock. */
  readonly ms: number;
}

/** Something the cache did. */
export interface CacheEvent {
  /** What happened. */
  readonly type: "store" | "evict" | "purge" | "invalidate" | "coalesce" | "origin-error";
  /** The request target it concerns. */
  readonly url: string;
  /** Details, such as the origin's error. */
  readonly note?: string;
}

/** Counters of an {@link HttpProxy}. */
export interface HttpProxyStats {
  /** Responses with `X-Cache: HIT`. */
  readonly hits: number;
  /** Responses with `X-Cache: MISS` (pass-through and errors included). */
  readonly misses: number;
  /** Responses with `X-Cache: REVALIDATED`. */
  readonly revalidated: number;
  /** Responses with `X-Cache: STALE`. */
  readonly stale: number;
  /** Requests that waited for another request's origin fetch instead of making their own. */
  readonly coalesced: number;
  /** Requests sent to the origin. */
  readonly originFetches: number;
  /** Origin fetches that failed (unreachable or 5xx). */
  readonly originErrors: number;
  /** Entries evicted to stay under `maxBytes`. */
  readonly evictions: number;
  /** Entries removed by `PURGE`. */
  readonly purges: number;
  /** Entries removed by unsafe methods. */
  readonly invalidations: number;
  /** Entries in the cache now. */
  readonly entries: number;
  /** Bytes the entries are charged. */
  readonly bytes: number;
}

/** Options of `createHttpProxy` (http_proxy.ts). */
export interface HttpProxyOptions {
  /** The clock, in ms since the epoch (required; e.g. `wallClock` from core/real_runtime.ts). */
  readonly now: () => number;
  /** Most bytes of stored responses (bodies and headers). @default 67108864 (64 MiB) */
  readonly maxBytes?: number;
  /**
   * Largest body stored; larger responses are streamed to the client and not stored.
   * @default 8388608 (8 MiB), at most `maxBytes`
   */
  readonly maxObjectBytes?: number;
  /**
   * Most bytes that the copies of all responses being stored while they stream may hold
   * together (every concurrent miss may otherwise hold up to `maxObjectBytes`); a response whose
   * copy would take more streams on to its client and is not stored.
   * @default maxBytes
   */
  readonly maxStoringBytes?: number;
  /** Store responses that carry `Set-Cookie` (one user's cookie would go to every user). @default false */
  readonly cacheCookies?: boolean;
  /**
   * The token a `PURGE` must carry as `Authorization: Bearer <token>`.
   * @default none: only loopback clients (127.0.0.0/8, ::1) may purge
   */
  readonly purgeToken?: string;
  /** Seconds a stale copy may be served when the origin fails and the response sets no window. @default 0 */
  readonly staleIfError?: number;
  /**
   * How to reach the origin; `hooks.onInterim` hears 1xx interim responses (Deno's `fetch` drops
   * them, so a `fetch`-based client relays none).
   * @default createHttp1Client() of http1_client.ts (10 s to the response head)
   */
  readonly fetch?: (request: Request, hooks?: OriginHooks) => Promise<Response>;
  /** Called after each response is produced. @default none */
  readonly onRequest?: (log: RequestLog) => void;
  /** Called for cache events. @default none */
  readonly onEvent?: (event: CacheEvent) => void;
}

/** What the listener knows about a request beyond the request itself. */
export interface ProxyRequestInfo {
  /** The client's address (decides who may PURGE when no token is configured). */
  readonly remoteAddr?: { readonly hostname: string };
  /** Sends a 1xx interim response to the client (the listener's); relayed from the origin. */
  readonly interim?: (status: number, fields: [string, string][]) => void | Promise<void>;
}

/** A caching proxy: a Hono app plus its cache. */
export interface HttpProxy {
  /**
   * The Hono application's fetch handler (mount it in another app, or serve it); its `env` is the
   * {@link ProxyRequestInfo}.
   */
  readonly app: { fetch(request: Request, info?: ProxyRequestInfo): Response | Promise<Response> };
  /** Answers one request (what a server calls); synchronously on a cache hit. */
  fetch(request: Request, info?: ProxyRequestInfo): Response | Promise<Response>;
  /**
   * The whole HTTP/1.1 response to a plain GET that is a fresh hit, as bytes (counted and logged
   * as a HIT); `undefined` for anything else, which then goes through {@link HttpProxy.fetch}.
   * What a listener that writes bytes (http1_server.ts) calls first.
   */
  hitBytes(
    head: { readonly method: string; readonly target: string; readonly version: string },
    field: (name: string) => string | null,
  ): Uint8Array | undefined;
  /** The counters so far. */
  stats(): HttpProxyStats;
  /** Removes every variant of `url` (a path or a full URL); returns how many were removed. */
  purge(url: string): number;
  /** Resolves once the background revalidations started so far (stale-while-revalidate) ended. */
  settled(): Promise<void>;
}
