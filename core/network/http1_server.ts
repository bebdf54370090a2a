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
import {
  ChunkedDecoder,
  HeadError,
  indexOfHeadEnd,
  parseRequestHead,
  type RequestHead,
} from "./_http1_head.ts";
import { bytesOf, errorBytes, isGone, REASONS, writeAll, writeResponse } from "./_http1_write.ts";

const latin1 = new TextDecoder("latin1");
const encoder = new TextEncoder();

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
  /** Largest request head in bytes; larger gets 431. @default 65536 */
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

/** Bytes a body or a response must move to extend its idle deadline. */
const MIN_PROGRESS = 1024;

class Connection {
  buf = new Uint8Array(16 * 1024);
  len = 0;
  /**
   * Waiting for a head (deadline applies), reading a body (idle deadline), busy in the handler
   * (none), or writing the response (idle deadline).
   */
  state: "head" | "body" | "busy" | "write" = "head";
  deadline = 0;
  closed = false;
  /** Bytes moved since the idle deadline was last extended. */
  window = 0;
  /** Writes to the socket, extending the idle deadline as the client takes the bytes. */
  readonly writer: { write(bytes: Uint8Array): Promise<number> };

  constructor(readonly conn: Deno.Conn, readonly idle: () => void) {
    this.writer = {
      write: async (bytes) => {
        const count = await conn.write(bytes);
        this.progressed(count, false);
        return count;
      },
    };
  }

  /** Counts `n` bytes moved; extends the idle deadline per MIN_PROGRESS bytes, or when `done`. */
  progressed(n: number, done: boolean): void {
    this.window += n;
    if (this.window >= MIN_PROGRESS || done) {
      this.window = 0;
      this.idle();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
      // Already closed by the peer's reset: nothing to release.
    }
  }

  /** Reads more bytes into the buffer; `false` at the end of the stream. */
  async more(limit: number): Promise<boolean> {
    if (this.len === this.buf.length) {
      if (this.buf.length >= limit) return true;
      const grown = new Uint8Array(Math.min(limit, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    const n = await this.conn.read(this.buf.subarray(this.len));
    if (n === null) return false;
    this.len += n;
    return true;
  }

  /** Drops the first `n` buffered bytes. */
  consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
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
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const fastPath = options.fastPath;
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
  const addr = listener.addr;
  const open = new Set<Connection>();
  const running = new Set<Promise<void>>();
  let closing = false;
  const clock = () => performance.now();

  // One coarse timer enforces every connection's deadline.
  const tick = setInterval(() => {
    const now = clock();
    for (const c of open) {
      if (c.state !== "busy" && now > c.deadline) c.close();
    }
  }, Math.max(10, Math.min(headerTimeout, idleTimeout) / 4));

  const serveConnection = async (c: Connection) => {
    const remoteAddr = c.conn.remoteAddr as Deno.NetAddr;
    let served = 0;
    for (;;) {
      // The head: by its deadline, and no bigger than maxHeader.
      c.state = "head";
      c.deadline = clock() + (served === 0 || c.len > 0 ? headerTimeout : idleTimeout);
      let end = indexOfHeadEnd(c.buf, c.len);
      while (end < 0) {
        if (c.len >= maxHeader) {
          await writeAll(c.conn, errorBytes(431, `Cannot accept a head over ${maxHeader} bytes`));
          return;
        }
        const before = c.len;
        if (!await c.more(maxHeader + 4)) return;
        if (before === 0 && served > 0) c.deadline = clock() + headerTimeout;
        end = indexOfHeadEnd(c.buf, c.len, Math.max(0, before - 3));
      }
      c.state = "busy";
      let head: RequestHead;
      try {
        head = parseRequestHead(latin1.decode(c.buf.subarray(0, end)));
      } catch (error) {
        if (!(error instanceof HeadError)) throw error;
        await writeAll(c.conn, errorBytes(error.status, error.message));
        return;
      }
      c.consume(end + 4);
      const field = (name: string): string | null => {
        let value: string | null = null;
        for (const [n, v] of head.fields) {
          if (n === name) value = value === null ? v : `${value}, ${v}`;
        }
        return value;
      };
      if (fastPath !== undefined && !head.chunked && !head.contentLength) {
        const bytes = fastPath(head, field);
        if (bytes !== undefined) {
          c.state = "write";
          c.window = 0;
          c.deadline = clock() + idleTimeout;
          await writeAll(c.writer, bytes);
          served++;
          if (head.close || closing) return;
          continue;
        }
      }
      let body: Uint8Array<ArrayBuffer> | null;
      try {
        body = await readBody(c, head, field);
      } catch (error) {
        if (!(error instanceof HeadError)) throw error;
        await writeAll(c.conn, errorBytes(error.status, error.message));
        return;
      }
      c.state = "busy";
      const keepOpen = await answer(c, head, field, body, remoteAddr);
      served++;
      if (!keepOpen || head.close || closing) return;
    }
  };

  const readBody = async (
    c: Connection,
    head: RequestHead,
    field: (name: string) => string | null,
  ): Promise<Uint8Array<ArrayBuffer> | null> => {
    if (!head.chunked && !head.contentLength) return null;
    if ((head.contentLength ?? 0) > maxBody) {
      throw new HeadError(
        413,
        `Cannot accept a body of ${head.contentLength} bytes: at most ${maxBody}`,
      );
    }
    c.state = "body";
    c.window = 0;
    c.deadline = clock() + idleTimeout;
    if (field("expect")?.toLowerCase() === "100-continue" && head.version === "1.1") {
      await writeAll(c.conn, encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    if (!head.chunked) {
      const length = head.contentLength!;
      while (c.len < length) {
        const before = c.len;
        if (!await c.more(length)) {
          throw new HeadError(400, "Cannot read the body: the client closed");
        }
        c.progressed(c.len - before, c.len >= length);
      }
      const body = c.buf.slice(0, length);
      c.consume(length);
      return body;
    }
    const decoder = new ChunkedDecoder(maxBody);
    const parts: Uint8Array[] = [];
    parts.push(...decoder.push(c.buf.subarray(0, c.len)));
    c.len = 0;
    while (!decoder.done) {
      if (!await c.more(c.buf.length)) {
        throw new HeadError(400, "Cannot read the body: the client closed");
      }
      c.progressed(c.len, false);
      parts.push(...decoder.push(c.buf.subarray(0, c.len)));
      c.len = 0;
    }
    const rest = decoder.rest();
    c.buf.set(rest);
    c.len = rest.length;
    const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      body.set(p, at);
      at += p.length;
    }
    return body;
  };

  /** Runs the handler and writes its response; returns whether the connection may stay open. */
  const answer = async (
    c: Connection,
    head: RequestHead,
    field: (name: string) => string | null,
    body: Uint8Array<ArrayBuffer> | null,
    remoteAddr: Deno.NetAddr,
  ): Promise<boolean> => {
    let started = false;
    const info: Http1Info = {
      remoteAddr,
      interim: async (status, fields) => {
        if (started || head.version !== "1.1" || status < 100 || status > 199 || status === 101) {
          return;
        }
        let text = `HTTP/1.1 ${status} ${REASONS[status] ?? "Interim"}\r\n`;
        for (const [n, v] of fields) text += `${n}: ${v}\r\n`;
        await writeAll(c.conn, bytesOf(text + "\r\n"));
      },
    };
    let request: Request;
    try {
      const host = field("host") ?? `${addr.hostname}:${addr.port}`;
      const url = head.target.startsWith("/") ? `http://${host}${head.target}` : head.target;
      const headers = new Headers();
      for (const [n, v] of head.fields) headers.append(n, v);
      request = new Request(url, {
        method: head.method,
        headers,
        body: head.method === "GET" || head.method === "HEAD" ? null : body,
      });
    } catch (error) {
      // A target or field the URL and Headers parsers refuse: the client's request is bad.
      if (!(error instanceof TypeError)) throw error;
      await writeAll(c.conn, errorBytes(400, `Cannot read the request: ${error.message}`));
      return false;
    }
    let response: Response;
    try {
      response = await handler(request, info);
    } catch (error) {
      // The handler failed: the client gets a 500 that says why; the connection closes.
      await writeAll(c.conn, errorBytes(500, `Cannot answer: ${(error as Error).message}`));
      return false;
    }
    started = true;
    c.state = "write";
    c.window = 0;
    c.deadline = clock() + idleTimeout;
    return await writeResponse(c.writer, head, response, closing);
  };

  const accept = async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (closing || error instanceof Deno.errors.BadResource) return;
        throw error;
      }
      if (open.size >= maxConnections) {
        // Over the cap: say so and hang up (best effort: a client that does not read gets a reset).
        writeAll(conn, errorBytes(503, `Cannot accept more than ${maxConnections} connections`))
          .catch((error) => {
            if (!isGone(error)) throw error;
          })
          .finally(() => conn.close());
        continue;
      }
      // A response leaves in several writes (head, then body or chunks): without this, Nagle's
      // algorithm holds each later write until the client's delayed ACK, 40 ms per request.
      (conn as Deno.TcpConn).setNoDelay?.(true);
      const c = new Connection(conn, () => c.deadline = clock() + idleTimeout);
      open.add(c);
      const task = serveConnection(c).catch((error) => {
        if (!isGone(error)) throw error;
        // The client went away (or hit a deadline): the connection just ends.
      }).finally(() => {
        c.close();
        open.delete(c);
        running.delete(task);
      });
      running.add(task);
    }
  };

  const accepting = accept();
  const finished = (async () => {
    await accepting;
    for (let round = 0; round < 1000 && running.size > 0; round++) await Promise.all(running);
    clearInterval(tick);
  })();

  const shutdown = async () => {
    if (!closing) {
      closing = true;
      listener.close();
      for (const c of open) if (c.state === "head" || c.state === "body") c.close();
      const force = setTimeout(() => {
        for (const c of open) c.close();
      }, 5_000);
      await finished;
      clearTimeout(force);
    }
    await finished;
  };
  options.signal?.addEventListener("abort", () => void shutdown(), { once: true });
  options.onListen?.(addr);
  return {
    addr,
    finished,
    get connections() {
      return open.size;
    },
    shutdown,
  };
}
