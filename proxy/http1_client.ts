/**
 * An HTTP/1.1 client for the proxy's origin side, on `Deno.connect`: what Deno's `fetch` cannot
 * do here. `fetch` drops 1xx interim responses (a 103 Early Hints never reaches the caller) and
 * refuses to build a `Response` with a status outside 200-599. This client hands each interim
 * response to `onInterim` as it arrives, returns any final status (outside 200-599 as a
 * `Response` whose `status` reads the real code), streams bodies with backpressure (Content-Length,
 * chunked, or to the end of the connection), and gives up on an origin that sends no response
 * head within `timeoutMs`.
 *
 * Only `http:` URLs: anything else goes to `fetch`. Each request has its own connection
 * (`Connection: close`): nothing idles open between requests, and a request with side effects is
 * never retried on a connection the origin had closed.
 * @module
 */
import { bytesOf, writeAll } from "../core/network/http1_framing.ts";
import { closeConn } from "./_close_conn.ts";
import { ExchangeDeadline } from "./_http1_client_deadline.ts";
import { readFinalHead } from "./_http1_client_head.ts";
import { respond } from "./_http1_client_body.ts";

/** Hooks of one origin request. */
export interface OriginHooks {
  /** Called with each 1xx interim response (but 100 Continue) before the final response. */
  readonly onInterim?: (status: number, fields: [string, string][]) => void | Promise<void>;
}

/** A client as the proxy calls it: `fetch` plus hooks. */
export type OriginClient = (request: Request, hooks?: OriginHooks) => Promise<Response>;

/** Options of {@link createHttp1Client}. */
export interface Http1ClientOptions {
  /** Ms to wait for the response head (connecting included). @default 10000 */
  readonly timeoutMs?: number;
}

const SKIPPED = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
]);

/**
 * Creates an origin client.
 *
 * @example A 103 Early Hints, then the response
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHttp1Client } from "./http1_client.ts";
 * const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * (async () => {
 *   const conn = await listener.accept();
 *   await conn.read(new Uint8Array(1024));
 *   await conn.write(new TextEncoder().encode(
 *     "HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n" +
 *       "HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi",
 *   ));
 *   conn.close();
 * })();
 * const hints: number[] = [];
 * const client = createHttp1Client();
 * const response = await client(new Request(`http://127.0.0.1:${listener.addr.port}/`), {
 *   onInterim: (status) => void hints.push(status),
 * });
 * assert.deepEqual([hints, response.status, await response.text()], [[103], 200, "hi"]);
 * listener.close();
 * ```
 */
export function createHttp1Client(options: Http1ClientOptions = {}): OriginClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (request, hooks) => {
    const url = new URL(request.url);
    if (url.protocol !== "http:") return await fetch(request);
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    return await exchange(new ExchangeDeadline(request, timeoutMs), url, body, hooks);
  };
}

/** Sends the request `deadline` watches on a new connection; returns the final response. */
async function exchange(
  deadline: ExchangeDeadline,
  url: URL,
  body: Uint8Array | null,
  hooks: OriginHooks | undefined,
): Promise<Response> {
  const request = deadline.request;
  try {
    const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
    deadline.conn = conn;
    if (deadline.timedOut) throw deadline.late();
    await writeAll(conn, requestBytes(request, url, body));
    const head = await readFinalHead(conn, deadline, hooks);
    deadline.settle();
    return respond(request, conn, head);
  } catch (error) {
    deadline.settle();
    if (deadline.conn !== undefined) closeConn(deadline.conn);
    throw error;
  } finally {
    deadline.unwatch();
  }
}

/** The request as bytes: its head (with `Connection: close`) and `body`. */
function requestBytes(request: Request, url: URL, body: Uint8Array | null): Uint8Array {
  let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
  for (const [name, value] of request.headers) {
    if (!SKIPPED.has(name)) head += `${name}: ${value}\r\n`;
  }
  if (body !== null) head += `content-length: ${body.length}\r\n`;
  const headBytes = bytesOf(head + "connection: close\r\n\r\n");
  if (body === null) return headBytes;
  const message = new Uint8Array(headBytes.length + body.length);
  message.set(headBytes);
  message.set(body, headBytes.length);
  return message;
}
