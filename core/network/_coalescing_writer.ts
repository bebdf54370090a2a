/**
 * Private helper of the TCP transport: a frame writer that coalesces. Frames sent while a write
 * is in flight are packed into one buffer and handed to the sink in a single `write` call once
 * that write finishes, so pipelined small messages do not cost one syscall each. Partial writes
 * are continued until every byte is written.
 *
 * @module
 */
import { writeFrameHeader } from "./frame.ts";

/** A promise with its settle functions (`Promise.withResolvers` is not on Node 20). */
interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
  reject(reason?: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void, reject!: (reason?: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The part of a socket that {@linkcode CoalescingWriter} writes to. */
export interface ByteSink {
  /** Writes some prefix of `bytes`; resolves to the number of bytes written. */
  write(bytes: Uint8Array): Promise<number>;
}

const INITIAL_CAPACITY = 16 * 1024;
/** Buffers above this size are dropped after use rather than kept for the next batch. */
const KEEP_CAPACITY = 1024 * 1024;
const HEADER_BYTES = 4;

/** Options for {@linkcode CoalescingWriter}. */
export interface CoalescingWriterOptions {
  /**
   * The peer's address, quoted in errors.
   * @default {"the peer"}
   */
  peer?: string;
  /**
   * Called once with the socket's error when a write rejects; the writer has failed by then.
   * @default {undefined}
   */
  onWriteError?: (error: Error) => void;
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
 * });
 * for (const value of [1, 2, 3]) writer.send(new Uint8Array([value]));
 * await writer.flush();
 * assert.deepEqual(writes, [new Uint8Array([0, 0, 0, 1, 1, 0, 0, 0, 1, 2, 0, 0, 0, 1, 3])]);
 * ```
 */
export class CoalescingWriter {
  readonly #sink: ByteSink;
  readonly #peer: string;
  readonly #onWriteError: (error: Error) => void;
  #buffer: Uint8Array = new Uint8Array(INITIAL_CAPACITY);
  #length = 0;
  #spare: Uint8Array | undefined;
  #writing = false;
  /** Settled when the current run of writes ends; created only when someone flushes. */
  #flushed: Deferred<void> | undefined;
  /** Resolved when the current run of writes ends; created only when someone asks. */
  #idle: Deferred<void> | undefined;
  #failure: Error | undefined;

  /**
   * Creates a writer over `sink`.
   *
   * @param sink Where batches are written.
   * @param options Who is written to, and who hears about a failed write.
   */
  constructor(sink: ByteSink, options: CoalescingWriterOptions = {}) {
    this.#sink = sink;
    this.#peer = options.peer ?? "the peer";
    this.#onWriteError = options.onWriteError ?? (() => {});
  }

  /** Bytes accepted but not yet handed to the sink. */
  get pending(): number {
    return this.#length;
  }

  /** Resolves when no write is in flight. */
  get idle(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    this.#idle ??= deferred();
    return this.#idle.promise;
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
    this.#flushed ??= deferred();
    return this.#flushed.promise;
  }

  /**
   * Stops the writer: unwritten frames are dropped, pending flushes reject with an error naming
   * the peer and `cause`, and later sends throw it.
   *
   * @param cause Why the writer stopped.
   */
  fail(cause: Error): void {
    if (this.#failure) return;
    const error = new Error(`Cannot flush frames to ${this.#peer}: ${cause.message}`, { cause });
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
          const written = await this.#sink.write(offset === 0 ? batch : batch.subarray(offset));
          if (written <= 0) {
            throw new Error(`Cannot write frames: the socket accepted ${written} bytes`);
          }
          offset += written;
        }
        if (full.length <= KEEP_CAPACITY && !this.#failure) this.#spare = full;
      }
    } catch (error) {
      const cause = error instanceof Error ? error : new Error(String(error));
      this.fail(cause);
      this.#onWriteError(cause);
    } finally {
      this.#writing = false;
      this.#idle?.resolve();
      this.#idle = undefined;
    }
    if (!this.#failure) this.#settle();
  }

  #settle(error?: Error): void {
    const flushed = this.#flushed;
    this.#flushed = undefined;
    if (error) flushed?.reject(error);
    else flushed?.resolve();
  }
}
