/**
 * Serving an {@link HttpProxy} on 127.0.0.1 (unless told otherwise) with the proxy's own bounded
 * HTTP/1.1 listener (http1_server.ts): a connection cap, header and idle deadlines, head and body
 * size caps, and cache hits written from prepared bytes.
 * @module
 */
import type { ProxyRequestInfo } from "./http_proxy_types.ts";

export type { ProxyRequestInfo } from "./http_proxy_types.ts";
import {
  type Http1FastPath,
  type Http1Server,
  type Http1ServerOptions,
  serveHttp1,
} from "../core/network/http1_server.ts";

/** What {@link serveHttpProxy} needs of a proxy (an `HttpProxy` has both). */
export interface ServableProxy {
  /** Answers one request. */
  fetch(request: Request, info?: ProxyRequestInfo): Response | Promise<Response>;
  /** Prepared bytes for a plain fresh hit. @default none: every request goes to `fetch` */
  readonly hitBytes?: Http1FastPath;
}

/** Options of {@link serveHttpProxy}: those of the listener. */
export type ServeHttpProxyOptions = Omit<Http1ServerOptions, "fastPath">;

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
  proxy: ServableProxy,
  options: ServeHttpProxyOptions = {},
): Http1Server {
  return serveHttp1(
    (request, info) => proxy.fetch(request, { remoteAddr: info.remoteAddr, interim: info.interim }),
    { ...options, fastPath: proxy.hitBytes },
  );
}
