/**
 * Private part of the origin client (http1_client.ts): reading the origin's response heads, each
 * 1xx interim one handed to the hooks as it arrives, until the final one (at most 100 interim
 * responses, heads of at most 256 KiB).
 * @module
 */
import { indexOfHeadEnd } from "../core/network/http1_framing.ts";
import type { ExchangeDeadline } from "./_http1_client_deadline.ts";
import type { OriginHooks } from "./http1_client.ts";

const latin1 = new TextDecoder("latin1");
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A final response head, and the bytes read past it (the start of the body). */
export interface FinalHead {
  /** The status code. */
  readonly status: number;
  /** The reason phrase, or "" when it has bytes a `Response` cannot carry. */
  readonly reason: string;
  /** Field lines in order, names lower-cased; lines that are no field are dropped. */
  readonly fields: [string, string][];
  /** The bytes read past the head: the start of the body. */
  readonly rest: Uint8Array;
}

/** The bytes read from the origin and not yet parsed. */
interface HeadBuffer {
  buf: Uint8Array;
  len: number;
}

/** Reads heads from `conn` until the final one; interim ones go to `hooks` (but 100 Continue). */
export async function readFinalHead(
  conn: Deno.Conn,
  deadline: ExchangeDeadline,
  hooks: OriginHooks | undefined,
): Promise<FinalHead> {
  const buffer: HeadBuffer = { buf: new Uint8Array(16 * 1024), len: 0 };
  for (let interim = 0; interim < 100; interim++) {
    const end = await readHead(conn, deadline, buffer);
    const lines = latin1.decode(buffer.buf.subarray(0, end)).split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(lines[0]);
    if (status === null) {
      throw new Error(`Cannot parse the status line "${lines[0].slice(0, 60)}"`);
    }
    const code = Number(status[1]);
    const fields = fieldsOf(lines);
    buffer.buf.copyWithin(0, end + 4, buffer.len);
    buffer.len -= end + 4;
    if (code >= 100 && code < 200 && code !== 101) {
      if (code !== 100) await hooks?.onInterim?.(code, fields);
      continue;
    }
    const reason = REASON.test(status[2] ?? "") ? status[2] ?? "" : "";
    return { status: code, reason, fields, rest: buffer.buf.slice(0, buffer.len) };
  }
  throw new Error("more than 100 interim responses");
}

/** Reads until `buffer` holds a whole head; returns where it ends (before its empty line). */
async function readHead(
  conn: Deno.Conn,
  deadline: ExchangeDeadline,
  buffer: HeadBuffer,
): Promise<number> {
  let end = indexOfHeadEnd(buffer.buf, buffer.len);
  while (end < 0) {
    if (buffer.len === buffer.buf.length) {
      if (buffer.len >= 256 * 1024) throw new Error("the response head is over 256 KiB");
      const grown = new Uint8Array(buffer.len * 2);
      grown.set(buffer.buf);
      buffer.buf = grown;
    }
    const n = await conn.read(buffer.buf.subarray(buffer.len)).catch((error) => {
      throw deadline.timedOut ? deadline.late() : error;
    });
    if (n === null) {
      throw deadline.timedOut
        ? deadline.late()
        : new Error("the origin closed the connection before a whole response head");
    }
    buffer.len += n;
    end = indexOfHeadEnd(buffer.buf, buffer.len);
  }
  return end;
}

/** The field lines of a head's `lines` (the status line first), names lower-cased. */
function fieldsOf(lines: readonly string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    const name = line.slice(0, Math.max(0, colon)).trim();
    // A line that is no field (or names no token) is dropped, as browsers and fetch do.
    if (colon > 0 && TOKEN.test(name)) {
      fields.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return fields;
}
