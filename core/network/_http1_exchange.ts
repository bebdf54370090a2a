/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): serving one connection,
 * request after request. Each head arrives by its deadline and within its size cap; a fast path
 * may answer it with prepared bytes, otherwise the body is read and the handler answers.
 * @module
 */
import {
  fieldOf,
  HeadError,
  indexOfHeadEnd,
  parseRequestHead,
  type RequestHead,
} from "./_http1_head.ts";
import { errorBytes, writeAll } from "./_http1_write.ts";
import { readBody } from "./_http1_body.ts";
import { answer } from "./_http1_answer.ts";
import type { Connection } from "./_http1_connection.ts";
import type { Http1Settings } from "./_http1_settings.ts";

const latin1 = new TextDecoder("latin1");

/** Serves requests on `c` until the client closes, asks to, or one exchange ends it. */
export async function serveConnection(server: Http1Settings, c: Connection): Promise<void> {
  for (let served = 0;; served++) {
    const head = await readHead(server, c, served);
    if (head === undefined) return;
    const keepOpen = await exchange(server, c, head);
    if (!keepOpen || head.close || server.closing) return;
  }
}

/**
 * Reads the next head, by its deadline and no bigger than `maxHeader`; `undefined` when the
 * client closed or the head was refused (then answered with its error).
 */
async function readHead(
  server: Http1Settings,
  c: Connection,
  served: number,
): Promise<RequestHead | undefined> {
  const { headerTimeout, maxHeader } = server;
  c.state = "head";
  c.deadline = performance.now() +
    (served === 0 || c.len > 0 ? headerTimeout : server.idleTimeout);
  // The head counts whole, its ending blank line included, however the reads cut it: one that
  // has not ended within `maxHeader` bytes, or ends past them, is over the cap.
  let end = indexOfHeadEnd(c.buf, c.len);
  while (end < 0 && c.len < maxHeader) {
    const before = c.len;
    if (!await c.more(maxHeader)) return undefined;
    if (before === 0 && served > 0) c.deadline = performance.now() + headerTimeout;
    end = indexOfHeadEnd(c.buf, c.len, Math.max(0, before - 3));
  }
  if (end < 0 || end + 4 > maxHeader) {
    await writeAll(c.conn, errorBytes(431, `Cannot accept a head over ${maxHeader} bytes`));
    return undefined;
  }
  c.state = "busy";
  let head: RequestHead;
  try {
    head = parseRequestHead(latin1.decode(c.buf.subarray(0, end)));
  } catch (error) {
    if (!(error instanceof HeadError)) throw error;
    await writeAll(c.conn, errorBytes(error.status, error.message));
    return undefined;
  }
  c.consume(end + 4);
  return head;
}

/** Answers `head` (fast path, or body then handler); returns whether the connection may stay open. */
async function exchange(server: Http1Settings, c: Connection, head: RequestHead): Promise<boolean> {
  const fastPath = server.fastPath;
  if (fastPath !== undefined && !head.chunked && !head.contentLength) {
    const bytes = fastPath(head, (name) => fieldOf(head, name));
    if (bytes !== undefined) {
      c.moving("write");
      await writeAll(c, bytes);
      return true;
    }
  }
  let body: Uint8Array<ArrayBuffer> | null;
  try {
    body = await readBody(c, head, server);
  } catch (error) {
    if (!(error instanceof HeadError)) throw error;
    await writeAll(c.conn, errorBytes(error.status, error.message));
    return false;
  }
  c.state = "busy";
  return await answer(server, c, head, body);
}
