/**
 * HTTP/1.1 message framing shared by the bounded listener (`http1_server.ts`) and HTTP clients
 * built over the core (the caching proxy's origin client): where a head ends, a chunked body
 * decoder with a size cap, the error that says which status a framing fault answers with, and
 * writing byte strings whole to a socket (RFC 9112).
 *
 * @example Find the end of a head, then decode the chunked body after it
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf, ChunkedDecoder, indexOfHeadEnd } from "./http1_framing.ts";
 * const bytes = bytesOf("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n");
 * const end = indexOfHeadEnd(bytes, bytes.length);
 * const decoder = new ChunkedDecoder(1024);
 * const body = decoder.push(bytes.subarray(end + 4));
 * assert.equal(new TextDecoder().decode(body[0]), "ok");
 * assert.equal(decoder.done, true);
 * ```
 * @module
 */

/** Why a message was refused: the status to answer with (the connection then closes). */
export class HeadError extends Error {
  /** The status to answer with. */
  readonly status: number;
  /**
   * Creates the error.
   *
   * @example A head over the cap
   * ```ts
   * import assert from "node:assert/strict";
   * import { HeadError } from "./http1_framing.ts";
   * const error = new HeadError(431, "Cannot accept a head over 65536 bytes");
   * assert.equal(error.status, 431);
   * assert.equal(error.name, "HeadError");
   * ```
   */
  constructor(status: number, message: string) {
    super(message);
    this.name = "HeadError";
    this.status = status;
  }
}

/**
 * Decodes a chunked body incrementally: feed bytes, take the decoded ones; `done` once the last
 * chunk and the trailer section arrived. Throws a {@link HeadError} 413 past `max` bytes, 400
 * for a chunk it cannot parse.
 *
 * @example Chunks cut anywhere, and a body over the cap
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf, ChunkedDecoder, HeadError } from "./http1_framing.ts";
 * const decoder = new ChunkedDecoder(10);
 * const parts = [...decoder.push(bytesOf("3\r\nab")), ...decoder.push(bytesOf("c\r\n0\r\n\r\nGET"))];
 * assert.equal(parts.map((p) => new TextDecoder().decode(p)).join(""), "abc");
 * assert.equal(decoder.done, true);
 * assert.equal(new TextDecoder().decode(decoder.rest()), "GET");
 * assert.throws(() => new ChunkedDecoder(2).push(bytesOf("3\r\nabc\r\n")), HeadError);
 * ```
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
      this.#line(line);
    }
    this.#pending = joined.slice(at);
    return out;
  }

  /** Takes one line: the CRLF after a chunk's data, a trailer line, or a chunk size. */
  #line(line: string): void {
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

  /** Bytes received past the end of the body (the next message's). */
  rest(): Uint8Array {
    return this.#pending;
  }
}

/**
 * The index of the next CRLF in `bytes` from `from`, or -1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf, indexOfCrlf } from "./http1_framing.ts";
 * assert.equal(indexOfCrlf(bytesOf("ab\r\ncd\r\n"), 3), 6);
 * assert.equal(indexOfCrlf(bytesOf("ab"), 0), -1);
 * ```
 */
export function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 1 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  }
  return -1;
}

/**
 * The index of the blank line ending a head (`\r\n\r\n`) in `bytes[0, length)`, or -1; `from`
 * skips what an earlier search already looked at.
 *
 * @example A head, and one not ended yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf, indexOfHeadEnd } from "./http1_framing.ts";
 * const bytes = bytesOf("GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
 * assert.equal(indexOfHeadEnd(bytes, bytes.length), 23);
 * assert.equal(indexOfHeadEnd(bytes, 20), -1);
 * ```
 */
export function indexOfHeadEnd(bytes: Uint8Array, length: number, from = 0): number {
  for (let i = Math.max(3, from); i < length; i++) {
    if (bytes[i] === 10 && bytes[i - 1] === 13 && bytes[i - 2] === 10 && bytes[i - 3] === 13) {
      return i - 3;
    }
  }
  return -1;
}

const encoder = new TextEncoder();

/**
 * Bytes of `text`, one per character (header values are byte strings).
 *
 * @example Latin-1 stays one byte a character
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytesOf } from "./http1_framing.ts";
 * assert.deepEqual([...bytesOf("a\u00e9")], [97, 0xe9]);
 * ```
 */
export function bytesOf(text: string): Uint8Array {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return encoder.encode(text);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Something {@link writeAll} writes to: a socket, or a connection that counts what it writes. */
export interface Writer {
  /** Writes a prefix of `bytes`; resolves to the byte count written. */
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Writes all of `bytes` to `conn`, however many writes that takes.
 *
 * @example A writer that takes two bytes at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeAll } from "./http1_framing.ts";
 * const got: number[] = [];
 * const conn = { write: (b: Uint8Array) => (got.push(...b.subarray(0, 2)), Promise.resolve(Math.min(2, b.length))) };
 * await writeAll(conn, new Uint8Array([1, 2, 3, 4, 5]));
 * assert.deepEqual(got, [1, 2, 3, 4, 5]);
 * ```
 */
export async function writeAll(conn: Writer, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}
