/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): reading a request body, framed
 * by its `Content-Length` or chunked, within the size cap and the idle deadline; a client that
 * expects `100 Continue` gets it first.
 * @module
 */
import { ChunkedDecoder, fieldOf, HeadError, type RequestHead } from "./_http1_head.ts";
import { writeAll } from "./_http1_write.ts";
import type { Connection } from "./_http1_connection.ts";
import type { Http1Settings } from "./_http1_settings.ts";

const CONTINUE = new TextEncoder().encode("HTTP/1.1 100 Continue\r\n\r\n");

/**
 * Reads the body of `head` from `c`: `null` when it has none. Throws a {@link HeadError} (413
 * over `maxBody`, 400 when the client closes midway) that the listener answers with.
 */
export async function readBody(
  c: Connection,
  head: RequestHead,
  server: Http1Settings,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (!head.chunked && !head.contentLength) return null;
  if ((head.contentLength ?? 0) > server.maxBody) {
    throw new HeadError(
      413,
      `Cannot accept a body of ${head.contentLength} bytes: at most ${server.maxBody}`,
    );
  }
  c.moving("body");
  if (fieldOf(head, "expect")?.toLowerCase() === "100-continue" && head.version === "1.1") {
    await writeAll(c.conn, CONTINUE);
  }
  return head.chunked ? await readChunked(c, server.maxBody) : await readLength(c, head);
}

/** Reads a body of `Content-Length` bytes. */
async function readLength(c: Connection, head: RequestHead): Promise<Uint8Array<ArrayBuffer>> {
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

/** Reads a chunked body of at most `maxBody` bytes; what follows it stays buffered. */
async function readChunked(c: Connection, maxBody: number): Promise<Uint8Array<ArrayBuffer>> {
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
}
