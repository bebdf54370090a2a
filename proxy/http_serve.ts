/**
 * Serving an {@link HttpProxy} (or any Hono app's fetch handler) with `Deno.serve`, on
 * 127.0.0.1 unless told otherwise.
 * @module
 */
import type { HttpProxy } from "./http_proxy.ts";

/** Options of {@link serveHttpProxy}. */
export interface ServeHttpProxyOptions {
  /** Address to listen on. @default "127.0.0.1" */
  readonly hostname?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Stops the server when aborted. @default none */
  readonly signal?: AbortSignal;
  /** Called once listening, with the bound address. @default nothing is printed */
  readonly onListen?: (addr: Deno.NetAddr) => void;
}

/**
 * Serves `proxy` over HTTP until the server is shut down or `signal` aborts.
 *
 * @example Serve on a free port and stop
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHttpProxy } from "./http_proxy.ts";
 * import { serveHttpProxy } from "./http_serve.ts";
 * const proxy = createHttpProxy("http://127.0.0.1:9", { now: () => 0 });
 * const server = serveHttpProxy(proxy);
 * assert.equal(server.addr.hostname, "127.0.0.1");
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(response.status, 502);
 * assert.equal((await response.json()).url, "/");
 * await server.shutdown();
 * ```
 */
export function serveHttpProxy(
  proxy: Pick<HttpProxy, "fetch">,
  options: ServeHttpProxyOptions = {},
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    signal: options.signal,
    onListen: options.onListen ?? (() => {}),
  }, (request, info) => proxy.fetch(request, { remoteAddr: info.remoteAddr }));
}
