/**
 * The proxy architecture: a caching intermediary between clients and a server.
 *
 * Over the core: {@link cacheProxy} (an LRU cache with a TTL and request coalescing in front of
 * any request/reply service), {@link kvOrigin} (a key-value origin) and {@link zipfClient} (a
 * client with a Zipf workload). Over HTTP: {@link createHttpProxy}, a Hono reverse caching proxy
 * that follows RFC 9111, with the pure rules in `http_cache_policy.ts`, and
 * {@link createDemoOrigin}, an origin to try it with.
 *
 * @example The HTTP proxy's freshness rules
 * ```ts
 * import assert from "node:assert/strict";
 * import { freshnessLifetime } from "./mod.ts";
 * const headers = new Headers({ "cache-control": "max-age=10, s-maxage=60" });
 * assert.equal(freshnessLifetime(headers, { responseTime: 0 }), 60_000);
 * ```
 * @module
 */
export * from "./cache_control.ts";
export * from "./cache_process.ts";
export * from "./coalescer.ts";
export * from "./demo_origin.ts";
export * from "./http_cache_policy.ts";
export { formatHttpDate } from "./http_date.ts";
export * from "./http_proxy.ts";
export * from "./http_proxy_types.ts";
export * from "./http_serve.ts";
export * from "../core/network/http1_server.ts";
export * from "./http1_client.ts";
export * from "./lru_cache.ts";
export * from "./messages.ts";
export * from "./origin_process.ts";
export * from "./programs.ts";
export * from "./request_key.ts";
export * from "./zipf.ts";
export * from "./zipf_client.ts";
