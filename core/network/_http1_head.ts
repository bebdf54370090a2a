/**
 * HTTP/1.1 message framing for the bounded listener (http1_server.ts, RFC 9112): the request
 * head, with the checks that keep request smuggling and oversized heads out, and a chunked body
 * decoder with a size cap (the proxy's origin client uses it too).
 * @module
 */

/** A parsed request head. */
export interface RequestHead {
  /** The method, as sent (methods are case-sensitive). */
  readonly method: string;
  /** The request target as sent (origin-form `/path?q` or absolute-form). */
  readonly target: string;
  /** `1.0` or `1.1`. */
  readonly version: "1.0" | "1.1";
  /** Field lines in order, names lower-cased. */
  readonly fields: readonly [string, string][];
  /** `Content-Length`, when the body is framed by it. */
  readonly contentLength?: number;
  /** The body is chunked. */
  readonly chunked: boolean;
  /** The client asked to close after this exchange (or is HTTP/1.0 without keep-alive). */
  readonly close: boolean;
}

/** Why a head was refused: the status to answer with (the connection then closes). */
export class HeadError extends Error {
  /** The status to answer with. */
  readonly status: number;
  /** Creates the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HeadError";
    this.status = status;
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const MAX_FIELDS = 100;

/** Parses the head `text` (without the final empty line). */
export function parseRequestHead(text: string): RequestHead {
  const lines = text.split("\r\n");
  const start = lines[0].split(" ");
  if (start.length !== 3 || !TOKEN.test(start[0]) || start[1] === "") {
    throw new HeadError(400, `Cannot parse the request line "${lines[0].slice(0, 80)}"`);
  }
  const [method, target, protocol] = start;
  if (protocol !== "HTTP/1.1" && protocol !== "HTTP/1.0") {
    throw new HeadError(505, `Cannot serve protocol "${protocol.slice(0, 20)}": HTTP/1.1 only`);
  }
  if (lines.length - 1 > MAX_FIELDS) {
    throw new HeadError(
      431,
      `Cannot accept ${lines.length - 1} header fields: at most ${MAX_FIELDS}`,
    );
  }
  const fields: [string, string][] = [];
  let lengths: string[] = [];
  let encodings: string[] = [];
  let connection = "";
  let host = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // A space before the colon, folded lines and bad names are refused (RFC 9112 §5).
    if (!TOKEN.test(name)) {
      throw new HeadError(400, `Cannot parse the header line "${line.slice(0, 80)}"`);
    }
    const value = line.slice(colon + 1).trim();
    if (!FIELD_VALUE.test(value)) {
      throw new HeadError(400, `Cannot accept a control character in header "${name}"`);
    }
    const lower = name.toLowerCase();
    fields.push([lower, value]);
    if (lower === "content-length") {
      lengths = [
        ...lengths,
        ...value.split(",").map((v) => v.trim()),
      ];
    } else if (lower === "transfer-encoding") encodings = [...encodings, ...value.split(",")];
    else if (lower === "connection") connection += `,${value.toLowerCase()}`;
    else if (lower === "host") host++;
  }
  const version = protocol === "HTTP/1.1" ? "1.1" : "1.0";
  if (version === "1.1" && host !== 1) {
    throw new HeadError(400, `Cannot accept a request with ${host} Host fields: send exactly one`);
  }
  let contentLength: number | undefined;
  let chunked = false;
  if (encodings.length > 0) {
    if (lengths.length > 0) {
      throw new HeadError(400, "Cannot accept both Transfer-Encoding and Content-Length");
    }
    const codings = encodings.map((e) => e.trim().toLowerCase()).filter((e) => e !== "");
    if (codings.length !== 1 || codings[0] !== "chunked") {
      throw new HeadError(501, `Cannot decode Transfer-Encoding "${codings.join(", ")}"`);
    }
    chunked = true;
  } else if (lengths.length > 0) {
    if (!lengths.every((v) => /^\d{1,15}$/.test(v) && v === lengths[0])) {
      throw new HeadError(400, `Cannot read Content-Length "${lengths.join(", ")}"`);
    }
    contentLength = Number(lengths[0]);
  }
  const tokens = connection.split(",").map((t) => t.trim());
  const close = tokens.includes("close") || (version === "1.0" && !tokens.includes("keep-alive"));
  return { method, target, version, fields, contentLength, chunked, close };
}

/** The value of field `name` (lower-case) in `head`, repeated fields joined by ", ", or null. */
export function fieldOf(head: RequestHead, name: string): string | null {
  let value: string | null = null;
  for (const [n, v] of head.fields) {
    if (n === name) value = value === null ? v : `${value}, ${v}`;
  }
  return value;
}

/**
 * Decodes a chunked body incrementally: feed bytes, take the decoded ones; `done` once the last
 * chunk and the trailer section arrived. Throws a {@link HeadError} 413 past `max` bytes.
 */
export class ChunkedDecoder {
  #pending = new Uint8Array(0);
  #left = 0;
  #state: "size" | "data" | "crlf" | "trailer" = "size";
  #total = 0;
  /** The body ended. */
  done = false;

  /** Creates a decoder that refuses bodies over `max` bytes. */
  constructor(readonly max: number) {}

  /** Feeds `bytes`; returns the body bytes they complete. */
  push(bytes: Uint8Array): Uint8Array[] {
    const joined = new Uint8Array(this.#pending.length + bytes.length);
    joined.set(this.#pending);
    joined.set(bytes, this.#pending.length);
    let at = 0;
    const out: Uint8Array[] = [];
    while (at < joined.length && !this.done) {
      if (this.#state === "data") {
        const take = Math.min(this.#left, joined.length - at);
        out.push(joined.slice(at, at + take));
        at += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = "crlf";
        continue;
      }
      const eol = indexOfCrlf(joined, at);
      if (eol < 0) {
        if (joined.length - at > 4096) {
          throw new HeadError(400, "Cannot parse a chunk: line too long");
        }
        break;
      }
      const line = new TextDecoder().decode(joined.subarray(at, eol));
      at = eol + 2;
      if (this.#state === "crlf") {
        if (line !== "") throw new HeadError(400, "Cannot parse a chunk: no CRLF after its data");
        this.#state = "size";
      } else if (this.#state === "trailer") {
        if (line === "") this.done = true;
      } else {
        const size = /^([0-9a-fA-F]{1,12})(;.*)?$/.exec(line);
        if (size === null) {
          throw new HeadError(400, `Cannot parse chunk size "${line.slice(0, 20)}"`);
        }
        this.#left = parseInt(size[1], 16);
        this.#total += this.#left;
        if (this.#total > this.max) {
          throw new HeadError(413, `Cannot accept a body over ${this.max} bytes`);
        }
        this.#state = this.#left === 0 ? "trailer" : "data";
      }
    }
    this.#pending = joined.slice(at);
    return out;
  }

  /** Bytes received past the end of the body (the next request's). */
  rest(): Uint8Array {
    return this.#pending;
  }
}

/** The index of the next CRLF in `bytes` from `from`, or -1. */
export function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/** The index of the blank line ending a head (`\r\n\r\n`) in `bytes`, or -1. */
export function indexOfHeadEnd(bytes: Uint8Array, length: number, from = 0): number {
  for (let i = Math.max(3, from); i < length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i - 3;
    }
  }
  return -1;
}
