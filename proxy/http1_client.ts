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
import { ChunkedDecoder, indexOfHeadEnd } from "../core/network/_http1_head.ts";

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

/**
 * A final response whose status is outside what `Response` can be built with (200-599): built
 * as a 200, with `status` (and `ok`) shadowed on the instance by the real values.
 */
function oddStatusResponse(
  body: ReadableStream<Uint8Array> | null,
  status: number,
  init: ResponseInit,
): Response {
  const response = new Response(body, { ...init, status: 200 });
  Object.defineProperty(response, "status", { value: status });
  Object.defineProperty(response, "ok", { value: false });
  return response;
}

const latin1 = new TextDecoder("latin1");
const SKIPPED = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
]);

function bytesOf(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

function close(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (error) {
    if (!(error instanceof Deno.errors.BadResource)) throw error;
    // Closed already (by the deadline or the end of the body): nothing left to release.
  }
}

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

  const exchange = async (
    request: Request,
    url: URL,
    body: Uint8Array | null,
    hooks: OriginHooks | undefined,
  ): Promise<Response> => {
    let timedOut = false;
    let conn: Deno.Conn | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (conn !== undefined) close(conn);
    }, timeoutMs);
    const late = () => new Error(`no response head within ${timeoutMs} ms`);
    const abort = () => {
      if (conn !== undefined) close(conn);
    };
    request.signal.addEventListener("abort", abort, { once: true });
    try {
      conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port || 80) });
      if (timedOut) throw late();
      let head = `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n`;
      for (const [name, value] of request.headers) {
        if (!SKIPPED.has(name)) head += `${name}: ${value}\r\n`;
      }
      if (body !== null) head += `content-length: ${body.length}\r\n`;
      const headBytes = bytesOf(head + "connection: close\r\n\r\n");
      const message = body === null ? headBytes : new Uint8Array(headBytes.length + body.length);
      if (body !== null) {
        message.set(headBytes);
        message.set(body, headBytes.length);
      }
      await writeAll(conn, message);
      let buf = new Uint8Array(16 * 1024);
      let len = 0;
      for (let interim = 0; interim < 100; interim++) {
        let end = indexOfHeadEnd(buf, len);
        while (end < 0) {
          if (len === buf.length) {
            if (len >= 256 * 1024) throw new Error("the response head is over 256 KiB");
            const grown = new Uint8Array(len * 2);
            grown.set(buf);
            buf = grown;
          }
          const n = await conn.read(buf.subarray(len)).catch((error) => {
            throw timedOut ? late() : error;
          });
          if (n === null) {
            throw timedOut
              ? late()
              : new Error("the origin closed the connection before a whole response head");
          }
          len += n;
          end = indexOfHeadEnd(buf, len);
        }
        const lines = latin1.decode(buf.subarray(0, end)).split("\r\n");
        const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
        if (status === null) {
          throw new Error(`Cannot parse the status line "${lines[0].slice(0, 60)}"`);
        }
        const code = Number(status[1]);
        const fields: [string, string][] = [];
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(":");
          const name = line.slice(0, Math.max(0, colon)).trim();
          // A line that is no field (or names no token) is dropped, as browsers and fetch do.
          if (colon > 0 && TOKEN.test(name)) {
            fields.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
          }
        }
        buf.copyWithin(0, end + 4, len);
        len -= end + 4;
        if (code >= 100 && code < 200 && code !== 101) {
          if (code !== 100) await hooks?.onInterim?.(code, fields);
          continue;
        }
        clearTimeout(timer);
        const reason = REASON.test(status[2] ?? "") ? status[2] ?? "" : "";
        return respond(request, conn, code, reason, fields, buf.slice(0, len));
      }
      throw new Error("more than 100 interim responses");
    } catch (error) {
      clearTimeout(timer);
      if (conn !== undefined) close(conn);
      throw error;
    } finally {
      request.signal.removeEventListener("abort", abort);
    }
  };

  return async (request, hooks) => {
    const url = new URL(request.url);
    if (url.protocol !== "http:") return await fetch(request);
    const body = request.body === null ? null : new Uint8Array(await request.arrayBuffer());
    return await exchange(request, url, body, hooks);
  };
}

function respond(
  request: Request,
  conn: Deno.Conn,
  status: number,
  statusText: string,
  fields: [string, string][],
  rest: Uint8Array,
): Response {
  const headers = new Headers();
  for (const [name, value] of fields) headers.append(name, value);
  const encoding = headers.get("transfer-encoding")?.toLowerCase();
  const lengthText = headers.get("content-length");
  const noBody = request.method === "HEAD" || status === 204 || status === 304 || status === 101;
  const chunked = encoding !== undefined && encoding.split(",").at(-1)?.trim() === "chunked";
  const length = chunked || lengthText === null ? undefined : Number(lengthText.split(",")[0]);
  let stream: ReadableStream<Uint8Array> | null = null;
  if (noBody || length === 0) {
    close(conn);
  } else {
    const decoder = chunked ? new ChunkedDecoder(Number.MAX_SAFE_INTEGER) : undefined;
    let left = length ?? Infinity;
    let pending: Uint8Array | null = rest.length > 0 ? rest : null;
    const buffer = new Uint8Array(64 * 1024);
    stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        for (let spin = 0; spin < 1_000_000; spin++) {
          let bytes: Uint8Array;
          if (pending !== null) {
            bytes = pending;
            pending = null;
          } else {
            const n = await conn.read(buffer).catch((error) => {
              close(conn);
              throw error;
            });
            if (n === null) {
              close(conn);
              if (decoder !== undefined || left !== Infinity) {
                return controller.error(new Error("the origin closed the connection mid-body"));
              }
              return controller.close();
            }
            bytes = buffer.slice(0, n);
          }
          if (decoder !== undefined) {
            const parts = decoder.push(bytes);
            for (const part of parts) controller.enqueue(part);
            if (decoder.done) {
              close(conn);
              return controller.close();
            }
            if (parts.length > 0) return;
            continue;
          }
          const take = bytes.subarray(0, Math.min(bytes.length, left));
          left -= take.length;
          if (take.length > 0) controller.enqueue(take);
          if (left === 0) {
            close(conn);
            return controller.close();
          }
          if (take.length > 0) return;
        }
      },
      cancel() {
        close(conn);
      },
    }, { highWaterMark: 0 });
  }
  const init = { statusText, headers };
  return status >= 200 && status <= 599
    ? new Response(stream, { ...init, status })
    : oddStatusResponse(stream, status, init);
}
