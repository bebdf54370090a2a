/**
 * Private helper of the TCP transport: a frame writer that coalesces. Frames sent while a write
 * is in flight are packed into one buffer and handed to the sink in a single `write` call once
 * that write finishes, so pipelined small messages do not cost one syscall each. Partial writes
 * are continued until every byte is written.
 *
 * @module
 */
import { writeFrameHeader } from "./frame.ts";

/** The part of a socket that {@linkcode CoalescingWriter} writes to. */
export interface ByteSink {
  /** Writes some prefix of `bytes`; resolves to the number of bytes written. */
  write(bytes: Uint8Array): Promise<number>;
}

const INITIAL_CAPACITY = 16 * 1024;
/** Buffers above this size are dropped after use rather than kept for the next batch. */
const KEEP_CAPACITY = 1024 * 1024;
const HEADER_BYTES = 4;

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Packs frames into a buffer and writes each batch with one call per completed write.
 *
 * @example Three frames sent in one tick reach the sink in a single write
 * ```ts
 * import assert from "node:assert/strict";
 * import { CoalescingWriter } from "./_coalescing_writer.ts";
 *
 * const writes: Uint8Array[] = [];
 * const writer = new CoalescingWriter({
 *   write: (bytes) => Promise.resolve(writes.push(bytes.slice()) && bytes.length),
 * }, () => {});
 * for (const value of [1, 2, 3]) writer.send(new Uint8Array([value]));
 * await writer.flush();
 * assert.deepEqual(writes, [new Uint8Array([0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 0, 0, 1, 3])]);
 * ```
 */
export class CoalescingWriter {
  readonly #sink: ByteSink;
  readonly #onWriteError: (error: Error) => void;
  #buffer: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  #length = 0;
  #spare: Uint8Array | undefined;
  #writing = false;
  #waiters: Waiter[] = [];
  #failure: Error | undefined;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};

  /**
   * Creates a writer over `sink`.
   *
   * @param sink Where batches are written.
   * @param onWriteError Called once when a write rejects; the writer then fails.
   */
  constructor(sink: ByteSink, onWriteError: (error: Error) => void) {
    this.#sink = sink;
    this.#onWriteError = onWriteError;
  }

  /** Bytes accepted but not yet handed to the sink. */
  get pending(): number {
    return this.#length;
  }

  /** Resolves when no write is in flight. */
  get idle(): Promise<void> {
    return this.#idle;
  }

  /**
   * Queues one frame (header and a copy of `payload`); the write starts in a microtask, so every
   * frame sent in the same tick joins the same batch.
   *
   * @param payload The frame's payload; copied before this returns.
   * @throws {Error} The failure that stopped the writer, if it failed.
   */
  send(payload: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    const start = this.#length;
    const needed = start + HEADER_BYTES + payload.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, start));
      this.#buffer = grown;
    }
    writeFrameHeader(this.#buffer, start, payload.length);
    this.#buffer.set(payload, start + HEADER_BYTES);
    this.#length = needed;
    if (!this.#writing) {
      this.#writing = true;
      this.#idle = new Promise((resolve) => this.#markIdle = resolve);
      queueMicrotask(() => void this.#drain());
    }
  }

  /**
   * Resolves when every frame sent so far has been written.
   *
   * @returns A promise that rejects with the failure if the writer fails first.
   */
  flush(): Promise<void> {
    if (this.#failure && (this.#length > 0 || this.#writing)) {
      return Promise.reject(this.#failure);
    }
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Stops the writer: unwritten frames are dropped, pending flushes reject with `error`, and
   * later sends throw it.
   *
   * @param error Why the writer stopped.
   */
  fail(error: Error): void {
    if (this.#failure) return;
    this.#failure = error;
    const hadPending = this.#length > 0;
    this.#length = 0;
    this.#buffer = new Uint8Array(0);
    this.#spare = undefined;
    if (hadPending || this.#writing) this.#settle(error);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#length > 0 && !this.#failure) {
        const full = this.#buffer;
        const batch = full.subarray(0, this.#length);
        this.#buffer = this.#spare ?? new Uint8Array(INITIAL_CAPACITY);
        this.#spare = undefined;
        this.#length = 0;
        for (let offset = 0; offset < batch.length;) {
          const written = await this.#sink.write(batch.subarray(offset));
          if (written <= 0) {
            throw new Error(`Cannot write frames: the socket accepted ${written} bytes`);
          }
          offset += written;
        }
        if (full.length <= KEEP_CAPACITY && !this.#failure) this.#spare = full;
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.fail(failure);
      this.#onWriteError(failure);
    } finally {
      this.#writing = false;
      this.#markIdle();
    }
    if (!this.#failure) this.#settle();
  }

  #settle(error?: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) error ? waiter.reject(error) : waiter.resolve();
  }
}
