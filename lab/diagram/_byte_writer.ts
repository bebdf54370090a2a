/**
 * A growing buffer of UTF-8 bytes that text is written into piece by piece: strings met again
 * and again (names, kinds, quoted once) are encoded once and copied as bytes, numbers written as
 * digits, so a file of 20,000 events is made without a string per line (which the garbage
 * collector would carry, then the encoder flatten and copy).
 * @module
 */

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `text`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { utf8 } from "./_byte_writer.ts";
 * assert.deepEqual([...utf8("ü")], [0xc3, 0xbc]);
 * ```
 */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Bytes written one piece after another into a buffer that grows by doubling.
 *
 * @example A line of bytes, text and numbers
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteWriter, utf8 } from "./_byte_writer.ts";
 * const w = new ByteWriter(4);
 * w.bytes(utf8('{"n":'));
 * w.number(1234);
 * w.text(',"t":');
 * w.number(140.79);
 * w.text(',"s":"ü"}');
 * assert.equal(new TextDecoder().decode(w.view()), '{"n":1234,"t":140.79,"s":"ü"}');
 * ```
 */
export class ByteWriter {
  /** The buffer; the bytes written are `buf[0..at)`. */
  buf: Uint8Array;
  /** How many bytes are written. */
  at = 0;

  /** An empty writer with room for `size` bytes at first. @default 65536 */
  constructor(size = 1 << 16) {
    this.buf = new Uint8Array(Math.max(size, 16));
  }

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const buf = new Uint8Array(size);
    buf.set(this.buf.subarray(0, this.at));
    this.buf = buf;
  }

  /** Appends `b`. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.at + n > this.buf.length) this.room(n);
    const buf = this.buf;
    let at = this.at;
    if (n > 48) {
      buf.set(b, at);
      at += n;
    } else {
      for (let i = 0; i < n; i++) buf[at++] = b[i];
    }
    this.at = at;
  }

  /** Appends `src[start..end)` (a copy, without a view of it while it is short). */
  range(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.at + n > this.buf.length) this.room(n);
    const buf = this.buf;
    let at = this.at;
    if (n > 256) {
      buf.set(src.subarray(start, end), at);
      at += n;
    } else {
      for (let i = start; i < end; i++) buf[at++] = src[i];
    }
    this.at = at;
  }

  /** Appends one byte (an ASCII character code). */
  byte(c: number): void {
    if (this.at >= this.buf.length) this.room(1);
    this.buf[this.at++] = c;
  }

  /** Appends `text` as UTF-8 (a copy per character while it is ASCII). */
  text(text: string): void {
    const n = text.length;
    if (this.at + n > this.buf.length) this.room(n);
    const buf = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        this.at = at;
        return this.bytes(utf8(text.slice(i)));
      }
      buf[at++] = c;
    }
    this.at = at;
  }

  /**
   * Appends `n` as JSON writes it (`null` when it is not finite): digit by digit (no string) for
   * an integer, or a fraction of at most three decimals (a time rounded to µs), below 10^9.
   */
  number(n: number): void {
    if ((n | 0) === n && n >= 0) return this.#digits(n);
    if (n >= 0 && n < 1e9) {
      const k = Math.round(n * 1000);
      if (k % 1000 === 0 && k / 1000 === n) return this.#digits(k / 1000);
      if (k / 1000 === n) {
        const int = Math.floor(k / 1000), frac = k - int * 1000;
        this.#digits(int);
        if (this.at + 4 > this.buf.length) this.room(4);
        const buf = this.buf;
        buf[this.at++] = 0x2e; // .
        buf[this.at++] = 48 + Math.floor(frac / 100);
        if (frac % 100 !== 0) {
          buf[this.at++] = 48 + Math.floor(frac / 10) % 10;
          if (frac % 10 !== 0) buf[this.at++] = 48 + frac % 10;
        }
        return;
      }
    }
    if (Number.isInteger(n) && n >= 0 && n < 1e15) return this.#digits(n);
    this.text(Number.isFinite(n) ? `${n}` : "null");
  }

  /** Appends the digits of `n`, a non-negative integer below 10^15. */
  #digits(n: number): void {
    if (this.at + 16 > this.buf.length) this.room(16);
    const buf = this.buf;
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let at = this.at + digits;
    this.at = at;
    do {
      buf[--at] = 48 + (n % 10);
      n = Math.floor(n / 10);
    } while (n > 0);
  }

  /** The bytes written (a view of the buffer: valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.at);
  }
}
