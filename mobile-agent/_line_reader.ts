/**
 * Splits a byte stream into lines in time linear in its size, with a bound on the length of a
 * line: bytes are kept as the chunks they came in and joined once, when their newline arrives
 * (never `text += chunk` followed by a search from the start, which is quadratic: a 60 MB line
 * without a newline took 20 s that way). Shared by the sandbox (reading its child) and the child
 * (reading its node); imports nothing that needs a permission.
 * @module
 */

const NEWLINE = 10;

/**
 * Cuts chunks of bytes into UTF-8 lines of at most `maxLineBytes` bytes (newline excluded).
 *
 * @example Lines split across chunks
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineSplitter } from "./_line_reader.ts";
 * const bytes = new TextEncoder().encode("ab\ncde\n");
 * const lines: string[] = [];
 * const splitter = new LineSplitter(10);
 * assert.equal(splitter.push(bytes.subarray(0, 4), (l) => lines.push(l)), true);
 * assert.equal(splitter.pending, 1);
 * assert.equal(splitter.push(bytes.subarray(4), (l) => lines.push(l)), true);
 * assert.deepEqual(lines, ["ab", "cde"]);
 * assert.equal(splitter.push(new Uint8Array(11), (l) => lines.push(l)), false);
 * ```
 */
export class LineSplitter {
  readonly #max: number;
  readonly #decoder = new TextDecoder();
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;

  /** Creates a splitter that refuses lines longer than `maxLineBytes` bytes. */
  constructor(maxLineBytes: number) {
    if (!(maxLineBytes > 0)) {
      throw new RangeError(`Cannot split lines: maxLineBytes ${maxLineBytes} must be > 0`);
    }
    this.#max = maxLineBytes;
  }

  /** Bytes of the unfinished line held so far. */
  get pending(): number {
    return this.#pendingBytes;
  }

  /**
   * Takes the next chunk and calls `onLine` for every line it completes; returns false, having
   * kept nothing more, as soon as a line grows past the bound (the caller then stops).
   */
  push(chunk: Uint8Array, onLine: (line: string) => void): boolean {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl >= 0; nl = chunk.indexOf(NEWLINE, start)) {
      if (this.#pendingBytes + nl - start > this.#max) return this.#overflow();
      onLine(this.#take(chunk.subarray(start, nl)));
      start = nl + 1;
    }
    const rest = chunk.length - start;
    if (rest === 0) return true;
    if (this.#pendingBytes + rest > this.#max) return this.#overflow();
    // A copy: a stream may reuse the chunk's buffer once this call returns.
    this.#pending.push(chunk.slice(start));
    this.#pendingBytes += rest;
    return true;
  }

  #overflow(): false {
    this.#pending = [];
    this.#pendingBytes = 0;
    return false;
  }

  #take(last: Uint8Array): string {
    if (this.#pending.length === 0) return this.#decoder.decode(last);
    const whole = new Uint8Array(this.#pendingBytes + last.length);
    let at = 0;
    for (const piece of this.#pending) {
      whole.set(piece, at);
      at += piece.length;
    }
    whole.set(last, at);
    this.#pending = [];
    this.#pendingBytes = 0;
    return this.#decoder.decode(whole);
  }
}
