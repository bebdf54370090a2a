/**
 * The messages of the proxy architecture over the core: what clients, the caching proxy and the
 * key-value origin say to each other. Every body carries a `kind`.
 * @module
 */

/** How the proxy served a reply: from its cache, from the origin, or a stale copy (origin failed). */
export type CacheOutcome = "hit" | "miss" | "stale";

/** Asks the origin (through the proxy or directly) for a key's value. */
export interface GetRequest {
  /** Message kind. */
  readonly kind: "get";
  /** The key to read. */
  readonly key: string | number;
}

/** Writes a key at the origin; the proxy passes it through uncached. */
export interface PutRequest {
  /** Message kind. */
  readonly kind: "put";
  /** The key to write. */
  readonly key: string | number;
  /** Its new value. */
  readonly value: string;
}

/** Asks the proxy or the origin for its counters. */
export interface StatsRequest {
  /** Message kind. */
  readonly kind: "stats";
}

/** The origin's answer to a `get`; the proxy adds `cache` when it relays it. */
export interface ValueReply {
  /** Message kind. */
  readonly kind: "value";
  /** The key asked for. */
  readonly key: string | number;
  /** Its value. */
  readonly value: string;
  /** Its version: 1, plus one per write. */
  readonly version: number;
  /** How the proxy served it (absent when the origin answered directly). */
  readonly cache?: CacheOutcome;
}

/** The origin's answer to a `put`. */
export interface OkReply {
  /** Message kind. */
  readonly kind: "ok";
  /** The key written. */
  readonly key: string | number;
  /** Its new version. */
  readonly version: number;
}

/** A failed request: unknown kind, bad key, or the origin unreachable with nothing cached. */
export interface ErrorReply {
  /** Message kind. */
  readonly kind: "error";
  /** What went wrong, starting with the failed action. */
  readonly error: string;
  /** Set when a proxy relays the error. */
  readonly cache?: CacheOutcome;
}

/** The caching proxy's counters, its answer to `{kind:"stats"}`. */
export interface ProxyStats {
  /** Message kind. */
  readonly kind: "stats";
  /** Requests answered from a fresh cache entry. */
  readonly hits: number;
  /** Cacheable requests that went to the origin (absent or expired), coalesced ones included. */
  readonly misses: number;
  /** Misses that found an expired entry. */
  readonly expired: number;
  /** Requests answered with a stale copy because the origin failed. */
  readonly stale: number;
  /** Misses that joined a fetch already in flight instead of asking the origin again. */
  readonly coalesced: number;
  /** Requests the proxy sent to the origin. */
  readonly originRequests: number;
  /** Origin requests that failed (timeout, unknown process). */
  readonly originErrors: number;
  /** Requests of kinds that are not cached, passed straight to the origin. */
  readonly passthrough: number;
  /** Entries evicted to respect the capacity. */
  readonly evictions: number;
  /** Entries in the cache now. */
  readonly entries: number;
}

/** The origin's counters, its answer to `{kind:"stats"}`. */
export interface OriginStats {
  /** Message kind. */
  readonly kind: "stats";
  /** Requests served (`get` and `put`). */
  readonly requests: number;
  /** `get` requests served. */
  readonly gets: number;
  /** `put` requests served. */
  readonly puts: number;
}

/** What a client sends its collector when it is done. */
export interface ClientReport {
  /** Message kind. */
  readonly kind: "report";
  /** The client's address. */
  readonly client: string;
  /** Requests sent. */
  readonly requests: number;
  /** Requests that failed (timeout or error reply). */
  readonly errors: number;
  /** Latency of each request in ms, in order. */
  readonly latencies: readonly number[];
  /** How each request was served: a {@link CacheOutcome}, `"origin"` (no proxy) or `"error"`. */
  readonly outcomes: readonly (CacheOutcome | "origin" | "error")[];
}

/**
 * What a client sends its collector every few requests while it runs (when asked to): the
 * requests made since its previous progress message, so that a run cut short by a dead machine
 * still counts what the clients measured.
 */
export interface ClientProgress {
  /** Message kind. */
  readonly kind: "progress";
  /** The client's address. */
  readonly client: string;
  /** Requests made so far, these included. */
  readonly done: number;
  /** Latency of each request since the previous progress message, in ms, in order. */
  readonly latencies: readonly number[];
  /** How each of those requests was served, as in {@link ClientReport}. */
  readonly outcomes: readonly (CacheOutcome | "origin" | "error")[];
}

/** Every message kind of the architecture. */
export type ProxyMessage =
  | GetRequest
  | PutRequest
  | StatsRequest
  | ValueReply
  | OkReply
  | ErrorReply
  | ProxyStats
  | OriginStats
  | ClientReport
  | ClientProgress;
