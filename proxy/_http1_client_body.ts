/**
 * Private part of the origin client (http1_client.ts): the final response, its body streamed
 * from the connection with backpressure (framed by Content-Length, chunked, or by the end of the
 * connection), and a status outside 200-599 carried on a `Response` all the same.
 * @module
 */
import { ChunkedDecoder } from "../core/network/http1_framing.ts";
import { closeConn } from "./_close_conn.ts";
import type { FinalHead } from "./_http1_client_head.ts";

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

/** The response of `head` to `request`, its body read from `conn` as the caller reads it. */
export function respond(request: Request, conn: Deno.Conn, head: FinalHead): Response {
  const { status, fields } = head;
  const headers = new Headers();
  for (const [name, value] of fields) headers.append(name, value);
  const encoding = headers.get("transfer-encoding")?.toLowerCase();
  const lengthText = headers.get("content-length");
  const noBody = request.method === "HEAD" || status === 204 || status === 304 || status === 101;
  const chunked = encoding !== undefined && encoding.split(",").at(-1)?.trim() === "chunked";
  const length = chunked || lengthText === null ? undefined : Number(lengthText.split(",")[0]);
  let stream: ReadableStream<Uint8Array> | null = null;
  if (noBody || length === 0) {
    closeConn(conn);
  } else {
    const source = new OriginBody(conn, chunked, length, head.rest);
    stream = new ReadableStream<Uint8Array>(source, { highWaterMark: 0 });
  }
  const init = { statusText: head.reason, headers };
  return status >= 200 && status <= 599
    ? new Response(stream, { ...init, status })
    : oddStatusResponse(stream, status, init);
}

/** A body read from the origin connection only as the stream is pulled. */
class OriginBody {
  readonly #conn: Deno.Conn;
  readonly #decoder: ChunkedDecoder | undefined;
  /** Bytes left of a Content-Length body; Infinity when it ends with the connection. */
  #left: number;
  /** Body bytes read with the head, given first. */
  #pending: Uint8Array | null;
  readonly #buffer = new Uint8Array(64 * 1024);

  constructor(conn: Deno.Conn, chunked: boolean, length: number | undefined, rest: Uint8Array) {
    this.#conn = conn;
    this.#decoder = chunked ? new ChunkedDecoder(Number.MAX_SAFE_INTEGER) : undefined;
    this.#left = length ?? Infinity;
    this.#pending = rest.length > 0 ? rest : null;
  }

  /** Enqueues the next body bytes, or ends the stream (with an error when the origin cut it). */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    const conn = this.#conn;
    for (let spin = 0; spin < 1_000_000; spin++) {
      const bytes = await this.#next();
      if (bytes === null) {
        closeConn(conn);
        if (this.#decoder !== undefined || this.#left !== Infinity) {
          return controller.error(new Error("the origin closed the connection mid-body"));
        }
        return controller.close();
      }
      if (this.#decoder !== undefined) {
        const parts = this.#decoder.push(bytes);
        for (const part of parts) controller.enqueue(part);
        if (this.#decoder.done) {
          closeConn(conn);
          return controller.close();
        }
        if (parts.length > 0) return;
        continue;
      }
      const take = bytes.subarray(0, Math.min(bytes.length, this.#left));
      this.#left -= take.length;
      if (take.length > 0) controller.enqueue(take);
      if (this.#left === 0) {
        closeConn(conn);
        return controller.close();
      }
      if (take.length > 0) return;
    }
  }

  /** The client stopped reading: the connection closes. */
  cancel(): void {
    closeConn(this.#conn);
  }

  /** The pending bytes, else the next read from the connection; `null` at its end. */
  async #next(): Promise<Uint8Array | null> {
    const pending = this.#pending;
    if (pending !== null) {
      this.#pending = null;
      return pending;
    }
    const n = await this.#conn.read(this.#buffer).catch((error) => {
      closeConn(this.#conn);
      throw error;
    });
    return n === null ? null : this.#buffer.slice(0, n);
  }
}
