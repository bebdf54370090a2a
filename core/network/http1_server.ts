/**
 * An HTTP/1.1 server on `Deno.listen`, for the caching proxy and the three-tier presentation tier:
 * what `Deno.serve` cannot do (it has no connection cap and no header or idle deadline: a client
 * that sends half a request head keeps its connection for good). It bounds every connection (a cap on open connections, a deadline for each request head so a
 * slowloris client is cut off, an idle deadline between keep-alive requests, a cap on head and
 * body sizes, chunked bodies included), relays 1xx interim responses the handler sends, writes
 * any status a handler's `Response` carries (also outside 200-599), streams bodies with
 * backpressure, and lets a fast path answer a request with bytes prepared in advance (the
 * proxy's cache hits) without building a `Request` or a `Response`.
 *
 * Deadlines are checked by one coarse interval per server (a quarter of the shortest deadline),
 * so they hold to within that granularity; this listener is an I/O adapter, not protocol code.
 * A body being read and a response being written extend their idle deadline only once 1 KiB
 * more has moved (or the body is complete), so a client that trickles a byte a second, or reads
 * its answer that slowly, is cut off after one idle period.
 * @module
 */
import { Http1Listener } from "./_http1_listener.ts";
import type { RequestHead } from "./_http1_head.ts";

export type { RequestHead } from "./_http1_head.ts";

/** What a handler learns about its request beyond the request itself. */
export interface Http1Info {
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;
  /** Sends a 1xx interim response (such as 103 Early Hints) before the final one. */
  interim(status: number, fields: readonly [string, string][]): Promise<void>;
}

/** Answers a request. */
export type Http1Handler = (request: Request, info: Http1Info) => Response | Promise<Response>;

/**
 * Answers a request with prepared bytes (a whole HTTP/1.1 response), or `undefined` to let the
 * handler answer. Called only for requests without a body.
 */
export type Http1FastPath = (
  head: RequestHead,
  field: (name: string) => string | null,
) => Uint8Array | undefined;

/** Options of {@link serveHttp1}. */
export interface Http1ServerOptions {
  /** Address to listen on. @default "127.0.0.1" */
  readonly hostname?: string;
  /** Port to listen on; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Stops the server when aborted. @default none */
  readonly signal?: AbortSignal;
  /** Called once listening, with the bound address. @default nothing */
  readonly onListen?: (addr: Deno.NetAddr) => void;
  /** Most open connections; one more gets a 503 and is closed. @default 1024 */
  readonly maxConnections?: number;
  /** Ms a request head may take to arrive (from the connection or its first byte). @default 10000 */
  readonly headerTimeoutMs?: number;
  /**
   * Ms a keep-alive connection may wait for its next request, and a body being read or a
   * response being written for its next KiB. @default 60000
   */
  readonly idleTimeoutMs?: number;
  /**
   * Largest request head in bytes: the request line, every field line and the blank line that
   * ends them, however the reads cut them. A larger head gets 431 and the connection closes.
   * @default 65536
   */
  readonly maxHeaderBytes?: number;
  /** Largest request body in bytes (chunked ones counted as they arrive); larger gets 413. @default 1048576 (1 MiB) */
  readonly maxBodyBytes?: number;
  /** Answers requests with prepared bytes before the handler sees them. @default none */
  readonly fastPath?: Http1FastPath;
}

/** A running {@link serveHttp1} server. */
export interface Http1Server {
  /** The bound address. */
  readonly addr: Deno.NetAddr;
  /** Resolves once the server stopped and every connection closed. */
  readonly finished: Promise<void>;
  /** Open connections now. */
  readonly connections: number;
  /** Stops accepting, closes idle connections and waits for the busy ones (at most 5 s). */
  shutdown(): Promise<void>;
}

/**
 * Serves `handler` over HTTP/1.1 on `Deno.listen`, with the bounds of {@link Http1ServerOptions}.
 *
 * @example A request, then a slow client cut off at its header deadline
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveHttp1 } from "./http1_server.ts";
 * const server = serveHttp1(() => new Response("hi"), { headerTimeoutMs: 100 });
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await response.text(), "hi");
 * const slow = await Deno.connect({ hostname: "127.0.0.1", port: server.addr.port });
 * await slow.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n"));
 * assert.equal(await slow.read(new Uint8Array(64)).catch(() => null), null);
 * slow.close();
 * await server.shutdown();
 * ```
 */
export function serveHttp1(handler: Http1Handler, options: Http1ServerOptions = {}): Http1Server {
  const maxConnections = options.maxConnections ?? 1024;
  const headerTimeout = options.headerTimeoutMs ?? 10_000;
  const idleTimeout = options.idleTimeoutMs ?? 60_000;
  const maxHeader = options.maxHeaderBytes ?? 64 * 1024;
  for (
    const [name, value] of Object.entries({ maxConnections, headerTimeout, idleTimeout, maxHeader })
  ) {
    if (!(value >= 1)) {
      throw new RangeError(`Cannot serve HTTP: ${name} ${value} must be a number >= 1`);
    }
  }
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  });
  const server = new Http1Listener(handler, listener, {
    maxConnections,
    headerTimeout,
    idleTimeout,
    maxHeader,
    maxBody: options.maxBodyBytes ?? 1024 * 1024,
    fastPath: options.fastPath,
  });
  const shutdown = () => server.shutdown();
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  options.onListen?.(server.addr);
  return {
    addr: server.addr,
    finished: server.finished,
    get connections() {
      return server.open.size;
    },
    shutdown,
  };
}
