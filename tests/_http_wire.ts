/**
 * HTTP/1.1 on raw sockets for the caching conformance suite: an origin that can send what
 * `Deno.serve` cannot (1xx, any status, repeated field lines, a dropped connection), and a
 * client that sees interim responses and any status as sent.
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Reads from `conn` until `done(bytes)` says the message is whole or the peer closes. */
async function readUntil(
  conn: Deno.Conn,
  done: (bytes: Uint8Array) => boolean,
): Promise<Uint8Array> {
  let bytes = new Uint8Array(0);
  const buffer = new Uint8Array(64 * 1024);
  for (let i = 0; i < 10_000 && !done(bytes); i++) {
    const n = await conn.read(buffer);
    if (n === null) break;
    const grown = new Uint8Array(bytes.length + n);
    grown.set(bytes);
    grown.set(buffer.subarray(0, n), bytes.length);
    bytes = grown;
  }
  return bytes;
}

function headEnd(bytes: Uint8Array, from = 0): number {
  for (let i = from; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

/** What an origin answers to one request. */
export interface WireAnswer {
  readonly status: number;
  readonly headers: [string, string][];
  readonly body: string | null;
  readonly interim: [number, [string, string][]][];
  readonly disconnect?: boolean;
}

/** A raw-socket origin answering with `answer`: 1xx, any status, repeated field lines, a dropped connection. */
export function listenWire(
  answer: (method: string, target: string, headers: Headers) => WireAnswer,
): { readonly port: number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serveOne = async (conn: Deno.Conn) => {
    try {
      const bytes = await readUntil(conn, (b) => {
        const end = headEnd(b);
        if (end < 0) return false;
        const length = /\r\ncontent-length: *(\d+)/i.exec(decoder.decode(b.subarray(0, end)));
        return b.length >= end + 4 + Number(length?.[1] ?? 0);
      });
      const head = decoder.decode(bytes.subarray(0, Math.max(0, headEnd(bytes)))).split("\r\n");
      const [method, target] = head[0].split(" ");
      const headers = new Headers();
      for (const line of head.slice(1)) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.append(line.slice(0, colon), line.slice(colon + 1).trim());
      }
      const a = answer(method, target, headers);
      if (a.disconnect) return;
      let out = "";
      for (const [status, fields] of a.interim) {
        out += `HTTP/1.1 ${status} Interim\r\n${
          fields.map(([n, v]) => `${n}: ${v}\r\n`).join("")
        }\r\n`;
      }
      const body = a.body === null ? "" : a.body;
      out += `HTTP/1.1 ${a.status} Status\r\n`;
      for (const [n, v] of a.headers) out += `${n}: ${v}\r\n`;
      if (a.status !== 304 && a.status !== 204) {
        out += `content-length: ${encoder.encode(body).length}\r\n`;
      }
      out += `connection: close\r\n\r\n${method === "HEAD" ? "" : body}`;
      await conn.write(encoder.encode(out));
    } finally {
      conn.close();
    }
  };
  (async () => {
    for await (const conn of listener) {
      serveOne(conn).catch((error: Error) => {
        // The cache hung up first (as it may on a disconnect case): the case's own checks judge.
        if (
          !(error instanceof Deno.errors.BrokenPipe || error instanceof Deno.errors.ConnectionReset)
        ) {
          throw error;
        }
      });
    }
  })();
  return { port: listener.addr.port, close: () => listener.close() };
}

/** A response as a raw client reads it. */
export interface Seen {
  readonly interim: [number, [string, string][]][];
  readonly status: number;
  readonly headers: [string, string][];
  readonly text: string;
}

function parseHead(text: string): { status: number; headers: [string, string][] } {
  const lines = text.split("\r\n");
  const status = Number(lines[0].split(" ")[1]);
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.push([line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]);
  }
  return { status, headers };
}

function dechunk(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < 100_000; i++) {
    const eol = decoder.decode(bytes.subarray(at, at + 20)).indexOf("\r\n");
    if (eol < 0) break;
    const size = parseInt(decoder.decode(bytes.subarray(at, at + eol)), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(at + eol + 2, at + eol + 2 + size));
    at += eol + 2 + size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** One request over a fresh connection (`Connection: close`), read to the end. */
export async function exchange(
  port: number,
  method: string,
  target: string,
  headers: [string, string][],
  body: string | undefined,
): Promise<Seen> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const bodyBytes = body === undefined ? new Uint8Array(0) : encoder.encode(body);
    let head = `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\n`;
    for (const [n, v] of headers) head += `${n}: ${v}\r\n`;
    if (body !== undefined) head += `content-length: ${bodyBytes.length}\r\n`;
    head += "connection: close\r\n\r\n";
    const request = new Uint8Array([...encoder.encode(head), ...bodyBytes]);
    await conn.write(request);
    const bytes = await readUntil(conn, () => false);
    const interim: Seen["interim"] = [];
    let at = 0;
    for (let i = 0; i < 10; i++) {
      const end = headEnd(bytes, at);
      if (end < 0) {
        throw new Error(`Cannot read the response: no complete head in ${bytes.length} bytes`);
      }
      const parsed = parseHead(decoder.decode(bytes.subarray(at, end)));
      at = end + 4;
      if (parsed.status >= 100 && parsed.status < 200) {
        interim.push([parsed.status, parsed.headers]);
        continue;
      }
      let rest = bytes.subarray(at);
      const te = parsed.headers.find(([n]) => n === "transfer-encoding")?.[1];
      if (te?.toLowerCase().includes("chunked")) rest = dechunk(rest);
      return { interim, ...parsed, text: method === "HEAD" ? "" : decoder.decode(rest) };
    }
    throw new Error("Cannot read the response: more than 10 interim responses");
  } finally {
    conn.close();
  }
}
