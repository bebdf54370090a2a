/**
 * Writing HTTP/1.1 responses for the bounded listener (http1_server.ts): status lines and fields as byte strings,
 * bodies framed by length, chunks or the end of the connection, and the small error answers the
 * listener makes itself.
 * @module
 */
import type { RequestHead } from "./_http1_head.ts";
import { wallClock } from "../real_runtime.ts";
import { bytesOf, writeAll, type Writer } from "./http1_framing.ts";

export { bytesOf, writeAll, type Writer } from "./http1_framing.ts";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
]);
export const REASONS: Record<number, string> = {
  100: "Continue",
  103: "Early Hints",
  200: "OK",
  204: "No Content",
  206: "Partial Content",
  304: "Not Modified",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  413: "Content Too Large",
  416: "Range Not Satisfiable",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};
const encoder = new TextEncoder();

/** The client went away or the connection was closed under us: nothing more to write. */
export function isGone(error: unknown): boolean {
  return error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted ||
    error instanceof Deno.errors.NotConnected;
}

let dateSecond = -1;
let dateText = "";
function httpDate(): string {
  const ms = wallClock();
  const second = Math.floor(ms / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(ms).toUTCString();
  }
  return dateText;
}

/** An error answer that closes the connection. */
export function errorBytes(status: number, message: string): Uint8Array {
  const body = JSON.stringify({ error: message });
  return bytesOf(
    `HTTP/1.1 ${status} ${REASONS[status] ?? "Error"}\r\ncontent-type: application/json\r\n` +
      `content-length: ${
        encoder.encode(body).length
      }\r\nconnection: close\r\ndate: ${httpDate()}\r\n\r\n${body}`,
  );
}

/**
 * Writes `response` to `conn` as the answer to `head`: hop-by-hop fields dropped, a `Date` added
 * when missing, the body framed by its `Content-Length`, else chunked (HTTP/1.1) or by closing
 * (HTTP/1.0); returns whether the connection may carry another request.
 */
export async function writeResponse(
  conn: Writer,
  head: RequestHead,
  response: Response,
  closing: boolean,
): Promise<boolean> {
  const status = response.status;
  let text = `HTTP/1.1 ${status} ${response.statusText || REASONS[status] || "Status"}\r\n`;
  let length: string | null = null;
  let dated = false;
  for (const [n, v] of response.headers) {
    if (n === "content-length") length = v;
    if (HOP_BY_HOP.has(n)) continue;
    if (n === "date") dated = true;
    text += `${n}: ${v}\r\n`;
  }
  if (!dated) text += `date: ${httpDate()}\r\n`;
  const source = response.body;
  const noBody = head.method === "HEAD" || status < 200 || status === 204 || status === 304;
  let keepOpen = !head.close && !closing;
  if (noBody || source === null) {
    await source?.cancel();
    if (noBody && length !== null && status !== 204) text += `content-length: ${length}\r\n`;
    if (!noBody) text += "content-length: 0\r\n";
    if (!keepOpen) text += "connection: close\r\n";
    await writeAll(conn, bytesOf(text + "\r\n"));
    return keepOpen;
  }
  const framing = length !== null ? "length" : head.version === "1.1" ? "chunked" : "close";
  if (framing === "length") text += `content-length: ${length}\r\n`;
  else if (framing === "chunked") text += "transfer-encoding: chunked\r\n";
  else keepOpen = false;
  if (!keepOpen) text += "connection: close\r\n";
  const reader = source.getReader();
  let sent = 0;
  try {
    await writeAll(conn, bytesOf(text + "\r\n"));
    for (;;) {
      let read: Awaited<ReturnType<typeof reader.read>>;
      try {
        read = await reader.read();
      } catch (error) {
        // The body failed midway (the origin dropped it): the only signal left is to close
        // without the final chunk, so the client sees an incomplete body.
        void error;
        return false;
      }
      if (read.done) break;
      const chunk = read.value;
      if (chunk.length === 0) continue;
      sent += chunk.length;
      if (framing === "chunked") {
        const framed = new Uint8Array(chunk.length + 16);
        const prefix = encoder.encode(`${chunk.length.toString(16)}\r\n`);
        framed.set(prefix);
        framed.set(chunk, prefix.length);
        framed.set([13, 10], prefix.length + chunk.length);
        await writeAll(conn, framed.subarray(0, prefix.length + chunk.length + 2));
      } else {
        await writeAll(conn, chunk);
      }
    }
    if (framing === "chunked") await writeAll(conn, encoder.encode("0\r\n\r\n"));
  } catch (error) {
    await reader.cancel(error);
    throw error;
  }
  return keepOpen && (framing !== "length" || sent === Number(length));
}
