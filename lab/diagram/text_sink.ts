/**
 * Where the diagram writers put their text: a {@link TextSink} takes it piece by piece. An array
 * joined at the end makes the text a string (what `--trace FILE` writes); a {@link ByteSink}
 * turns it into UTF-8 as it goes, a quarter megabyte at a time, so a results folder's big files
 * never exist as one string of millions of pieces (which the garbage collector has to carry
 * into its old generation, then copy whole to encode it).
 * @module
 */

/** Takes text, piece by piece. */
export interface TextSink {
  /** Appends each part. */
  push(...parts: string[]): void;
}

/** Characters gathered before they are encoded. */
const CHUNK = 1 << 18;

const encoder = new TextEncoder();

/**
 * A sink that encodes what it takes as UTF-8 in chunks, each part followed by `separator`.
 *
 * @example Lines, then the bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteSink } from "./text_sink.ts";
 * const sink = new ByteSink("\n");
 * sink.push("a", "b");
 * sink.push("ü");
 * const text = new TextDecoder().decode(sink.bytes());
 * assert.equal(text, "a\nb\nü\n");
 * ```
 */
export class ByteSink implements TextSink {
  readonly #separator: string;
  readonly #chunks: Uint8Array[] = [];
  #text = "";
  #size = 0;

  /** A sink that writes `separator` after each part. @default "" */
  constructor(separator = "") {
    this.#separator = separator;
  }

  /** Appends each part (and the separator after it). */
  push(...parts: string[]): void {
    for (const part of parts) this.#text += part + this.#separator;
    if (this.#text.length >= CHUNK) this.#encode();
  }

  /** The chunks encoded so far, the rest of the text included. */
  chunks(): readonly Uint8Array[] {
    this.#encode();
    return this.#chunks;
  }

  /** Everything as one array of bytes. */
  bytes(): Uint8Array {
    const chunks = this.chunks();
    if (chunks.length === 1) return chunks[0];
    const all = new Uint8Array(this.#size);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    return all;
  }

  /** Writes everything to `path` (created or truncated), with one write. */
  writeTo(path: string): Promise<void> {
    return Deno.writeFile(path, this.bytes());
  }

  #encode(): void {
    if (this.#text === "") return;
    const bytes = encoder.encode(this.#text);
    this.#chunks.push(bytes);
    this.#size += bytes.length;
    this.#text = "";
  }
}
