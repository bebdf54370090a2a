/**
 * Length-prefixed framing for byte streams such as TCP: a frame is a 4-byte big-endian unsigned
 * length followed by that many payload bytes. {@linkcode encodeFrame} builds one frame;
 * {@linkcode FrameDecoder} turns arbitrary chunks back into whole payloads, so message boundaries
 * survive a stream that merges and splits writes.
 *
 * @example Round trip a message through a stream split at an arbitrary point
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, FrameDecoder } from "./frame.ts";
 *
 * const wire = encodeFrame(new TextEncoder().encode("waku waku"));
 * const decoder = new FrameDecoder();
 * assert.deepEqual(decoder.push(wire.subarray(0, 6)), []);
 * const [frame] = decoder.push(wire.subarray(6));
 * assert.equal(new TextDecoder().decode(frame), "waku waku");
 * decoder.end();
 * ```
 *
 * @module
 */

/** The largest payload, in bytes, that a {@linkcode FrameDecoder} accepts by default: 16 MiB. */
export const DEFAULT_MAX_FRAME: number = 16 * 1024 * 1024;

const HEADER_BYTES = 4;
const MAX_LENGTH = 0xffff_ffff;
/** First allocation for a payload that spans chunks; grown by doubling up to its length. */
const MIN_PARTIAL = 64 * 1024;

/**
 * Encodes one frame: the payload's length as a 4-byte big-endian unsigned integer, then the
 * payload bytes (copied).
 *
 * @example Encode a three-byte payload
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./frame.ts";
 *
 * assert.deepEqual(encodeFrame(new Uint8Array([7, 8, 9])), new Uint8Array([0, 0, 0, 3, 7, 8, 9]));
 * ```
 *
 * @param payload The bytes to frame.
 * @returns A new array holding the header and the payload.
 * @throws {RangeError} When the payload is longer than 4,294,967,295 bytes.
 */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length > MAX_LENGTH) {
    throw new RangeError(
      `Cannot encode frame: payload length ${payload.length} exceeds ${MAX_LENGTH}, the largest a 4-byte header holds`,
    );
  }
  const frame = new Uint8Array(HEADER_BYTES + payload.length);
  writeFrameHeader(frame, 0, payload.length);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/**
 * Writes a frame header, `length` as a 4-byte big-endian unsigned integer, into `target` at
 * `offset`; for callers that pack several frames into one buffer without a copy per frame.
 *
 * @example Pack two frames into one buffer
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFrameHeader } from "./frame.ts";
 *
 * const buffer = new Uint8Array(9);
 * writeFrameHeader(buffer, 0, 1);
 * buffer[4] = 42;
 * writeFrameHeader(buffer, 5, 0);
 * assert.deepEqual(buffer, new Uint8Array([0, 0, 0, 1, 42, 0, 0, 0, 0]));
 * ```
 *
 * @param target The buffer to write into; needs 4 bytes from `offset`.
 * @param offset Where the header starts.
 * @param length The payload length, an integer from 0 to 4,294,967,295.
 */
export function writeFrameHeader(target: Uint8Array, offset: number, length: number): void {
  target[offset] = length >>> 24;
  target[offset + 1] = (length >>> 16) & 0xff;
  target[offset + 2] = (length >>> 8) & 0xff;
  target[offset + 3] = length & 0xff;
}

/** Why a {@linkcode FrameError} was raised. */
export type FrameErrorReason = "too-large" | "truncated";

/** Structured details of a {@linkcode FrameError}. */
export interface FrameErrorDetails {
  /** The declared payload length, when the header was read. */
  length?: number;
  /** The largest payload the decoder accepts (for `"too-large"`). */
  max?: number;
  /** The bytes of the incomplete frame received before the stream ended (for `"truncated"`). */
  received?: number;
}

/**
 * A byte stream that does not hold well-formed frames: a header declares a payload larger than
 * the decoder accepts (`"too-large"`, also what garbage bytes usually look like), or the stream
 * ended in the middle of a frame (`"truncated"`). The stream cannot be resynchronised; close it.
 *
 * @example Tell a hostile length from a cut-off stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameDecoder, FrameError } from "./frame.ts";
 *
 * const decoder = new FrameDecoder({ maxFrame: 10 });
 * assert.throws(() => decoder.push(new Uint8Array([0, 0, 0, 11])), (error: unknown) =>
 *   error instanceof FrameError && error.reason === "too-large" && error.length === 11 &&
 *   error.max === 10);
 * ```
 */
export class FrameError extends Error {
  /** What went wrong. */
  readonly reason: FrameErrorReason;
  /** The declared payload length, when the header was read. */
  readonly length?: number;
  /** The largest payload the decoder accepts (for `"too-large"`). */
  readonly max?: number;
  /** The bytes of the incomplete frame received before the stream ended (for `"truncated"`). */
  readonly received?: number;

  /**
   * Creates a frame error; the decoder raises these, callers only catch them.
   *
   * @param reason What went wrong.
   * @param details Structured details, also used to build the message.
   */
  constructor(reason: FrameErrorReason, details: FrameErrorDetails = {}) {
    super(describe(reason, details));
    this.name = "FrameError";
    this.reason = reason;
    this.length = details.length;
    this.max = details.max;
    this.received = details.received;
  }
}

function describe(reason: FrameErrorReason, { length, max, received }: FrameErrorDetails): string {
  if (reason === "too-large") {
    return `Cannot decode frame: length ${length} exceeds the maximum ${max} (raise maxFrame or send smaller messages)`;
  }
  return length === undefined
    ? `Cannot decode frame: stream ended after ${received} of ${HEADER_BYTES} header bytes (the peer closed mid-frame)`
    : `Cannot decode frame: stream ended after ${received} of ${length} payload bytes (the peer closed mid-frame)`;
}

/** Options for {@linkcode FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * The largest payload accepted, in bytes; a header declaring more throws a `"too-large"`
   * {@linkcode FrameError} before any payload is buffered.
   * @default {DEFAULT_MAX_FRAME}
   */
  maxFrame?: number;
  /**
   * Called before the decoder allocates memory for a frame that spans chunks, with the number of
   * bytes it is about to add to {@linkcode FrameDecoder.held}; throw to refuse. The throw leaves
   * `push` and the decoder is then unusable (every later push throws the same error). A listener
   * uses this to share one memory budget among its connections.
   * @default {undefined} (no check)
   */
  reserve?: (bytes: number) => void;
}

/** What a {@linkcode FrameDecoder} is in the middle of between two pushes. */
export type FramePending = "none" | "header" | "payload";

/**
 * Incremental frame decoder: push stream chunks in, get every completed payload out.
 *
 * Frames that lie wholly inside one chunk are returned as `subarray` views of that chunk (no
 * copy), so do not overwrite a chunk while its frames are in use; a frame that spans chunks is
 * copied into its own array, so the decoder never keeps a reference to a pushed chunk.
 *
 * @example Decode frames coalesced into one chunk and split across two
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame, FrameDecoder } from "./frame.ts";
 *
 * const bytes = (...values: number[]) => new Uint8Array(values);
 * const wire = new Uint8Array(
 *   [bytes(1), bytes(), bytes(2, 3)].flatMap((payload) => [...encodeFrame(payload)]),
 * );
 * const decoder = new FrameDecoder();
 * assert.deepEqual(decoder.push(wire.subarray(0, 10)), [bytes(1), bytes()]);
 * assert.equal(decoder.buffered, 1);
 * assert.deepEqual(decoder.push(wire.subarray(10)), [bytes(2, 3)]);
 * assert.equal(decoder.buffered, 0);
 * ```
 */
export class FrameDecoder {
  readonly #maxFrame: number;
  /** Header bytes received so far for the next frame (0 to 3 between pushes). */
  #headerFill = 0;
  #header = 0;
  /** Declared length of the frame being collected, or -1 while reading a header. */
  #length = -1;
  #partial: Uint8Array = new Uint8Array(0);
  #partialFill = 0;
  #failure: Error | undefined;
  readonly #reserve: ((bytes: number) => void) | undefined;

  /**
   * Creates a decoder.
   *
   * @param options Limits.
   * @throws {RangeError} When `maxFrame` is not an integer from 0 to 4,294,967,295.
   */
  constructor(options: FrameDecoderOptions = {}) {
    const maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    if (!Number.isInteger(maxFrame) || maxFrame < 0 || maxFrame > MAX_LENGTH) {
      throw new RangeError(
        `Cannot create frame decoder: maxFrame ${maxFrame} is not an integer from 0 to ${MAX_LENGTH}`,
      );
    }
    this.#maxFrame = maxFrame;
    this.#reserve = options.reserve;
  }

  /**
   * Bytes of memory held for the incomplete frame: the buffer its payload is copied into, which
   * grows by doubling as bytes arrive (never past the declared length), so it is at most twice
   * what was received, and at least the first chunk's share (64 KiB at most).
   *
   * @example A partial payload holds its buffer; completing the frame hands it over
   * ```ts
   * import assert from "node:assert/strict";
   * import { FrameDecoder } from "./frame.ts";
   *
   * const decoder = new FrameDecoder();
   * decoder.push(new Uint8Array([0, 0, 0, 3, 1]));
   * assert.equal(decoder.held, 3);
   * assert.equal(decoder.pending, "payload");
   * decoder.push(new Uint8Array([2, 3]));
   * assert.equal(decoder.held, 0);
   * assert.equal(decoder.pending, "none");
   * ```
   */
  get held(): number {
    return this.#partial.length;
  }

  /** Whether the decoder is between frames, inside a header, or inside a payload. */
  get pending(): FramePending {
    if (this.#length >= 0) return "payload";
    return this.#headerFill > 0 ? "header" : "none";
  }

  /** Bytes received that belong to a frame not yet complete (header bytes included). */
  get buffered(): number {
    return this.#length < 0 ? this.#headerFill : HEADER_BYTES + this.#partialFill;
  }

  /**
   * Feeds the next chunk of the stream.
   *
   * @param chunk Bytes in stream order; may hold any number of frames or part of one.
   * @returns Every payload completed by this chunk, in order (possibly none).
   * @throws {FrameError} `"too-large"` as soon as a header declares more than `maxFrame`; the
   * stream is then unusable and every later push throws the same error (payloads completed
   * earlier in the same chunk are not returned).
   * @throws {Error} Whatever `reserve` threw when it refused memory for a frame, likewise for good.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure) throw this.#failure;
    const frames: Uint8Array[] = [];
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      if (this.#length >= 0) {
        offset = this.#fillPartial(chunk, offset, frames);
        continue;
      }
      let length: number;
      if (this.#headerFill === 0 && end - offset >= HEADER_BYTES) {
        length = ((chunk[offset] << 24) | (chunk[offset + 1] << 16) | (chunk[offset + 2] << 8) |
          chunk[offset + 3]) >>> 0;
        offset += HEADER_BYTES;
      } else {
        while (this.#headerFill < HEADER_BYTES && offset < end) {
          this.#header = ((this.#header << 8) | chunk[offset++]) >>> 0;
          this.#headerFill++;
        }
        if (this.#headerFill < HEADER_BYTES) break;
        length = this.#header;
        this.#header = 0;
        this.#headerFill = 0;
      }
      if (length > this.#maxFrame) {
        this.#failure = new FrameError("too-large", { length, max: this.#maxFrame });
        throw this.#failure;
      }
      if (end - offset >= length) {
        frames.push(chunk.subarray(offset, offset + length));
        offset += length;
      } else {
        const size = Math.min(length, Math.max(MIN_PARTIAL, end - offset));
        this.#claim(size);
        this.#length = length;
        this.#partial = new Uint8Array(size);
        this.#partialFill = 0;
      }
    }
    return frames;
  }

  /**
   * Declares the end of the stream. Resets the decoder so it can be reused.
   *
   * @throws {FrameError} `"truncated"` when part of a header or payload is still buffered.
   */
  end(): void {
    const length = this.#length;
    const received = length < 0 ? this.#headerFill : this.#partialFill;
    this.#length = -1;
    this.#header = 0;
    this.#headerFill = 0;
    this.#partial = new Uint8Array(0);
    this.#partialFill = 0;
    this.#failure = undefined;
    if (length >= 0) throw new FrameError("truncated", { length, received });
    if (received > 0) throw new FrameError("truncated", { received });
  }

  /** Asks `reserve` for `bytes` more; a refusal fails the decoder for good. */
  #claim(bytes: number): void {
    if (this.#reserve === undefined) return;
    try {
      this.#reserve(bytes);
    } catch (error) {
      this.#failure = error instanceof Error ? error : new Error(String(error));
      throw this.#failure;
    }
  }

  /** Copies payload bytes of a frame that spans chunks; returns the new offset in `chunk`. */
  #fillPartial(chunk: Uint8Array, offset: number, frames: Uint8Array[]): number {
    const length = this.#length;
    const take = Math.min(length - this.#partialFill, chunk.length - offset);
    const needed = this.#partialFill + take;
    if (needed > this.#partial.length) {
      const size = Math.min(length, Math.max(needed, this.#partial.length * 2));
      this.#claim(size - this.#partial.length);
      const grown = new Uint8Array(size);
      grown.set(this.#partial.subarray(0, this.#partialFill));
      this.#partial = grown;
    }
    this.#partial.set(chunk.subarray(offset, offset + take), this.#partialFill);
    this.#partialFill = needed;
    if (needed === length) {
      frames.push(this.#partial);
      this.#partial = new Uint8Array(0);
      this.#partialFill = 0;
      this.#length = -1;
    }
    return offset + take;
  }
}
