/**
 * Private part of the TCP transport: {@linkcode FrameConnection}, one framed connection over
 * any connected socket, and its option and callback types. Import them from
 * `tcp_transport.ts`, which re-exports them.
 *
 * The header and idle timeouts run on host timers (`setTimeout`), not on a runtime's: this is the
 * adapter between real sockets and the runtime, below any process, and what it times is how the
 * operating system delivers bytes, which no seed replays. The simulator never uses it, and the
 * real runtime of a `TcpNetwork` counts its timers as the machine's own activity
 * (`activity().timers`), which a peer's half-sent frame is not.
 *
 * @module
 */
import { CoalescingWriter } from "./_coalescing_writer.ts";
import { ConnectionLimitError } from "./connection_limit_error.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder, type FrameError } from "./frame.ts";
import type { FrameBudget } from "./frame_budget.ts";

/** The part of a connected socket that a {@linkcode FrameConnection} uses (a `Deno.Conn` fits). */
export interface FrameSocket {
  /** The peer's address. */
  readonly remoteAddr: Deno.Addr;
  /** Reads into `buffer`; resolves to the byte count, or `null` at end of stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes a prefix of `bytes`; resolves to the byte count written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes the socket; pending reads and writes reject. */
  close(): void;
  /** Disables Nagle's algorithm, when the socket is TCP. */
  setNoDelay?(noDelay?: boolean): void;
}

/** Receives each payload, in order, with the connection it came on. */
export type FrameHandler = (payload: Uint8Array, conn: FrameConnection) => void;

/** Receives a connection's failure (a `FrameError` for bad frames); the connection is closed. */
export type FrameErrorHandler = (error: Error, conn: FrameConnection) => void;

/** Options for a {@linkcode FrameConnection}. */
export interface FrameConnectionOptions {
  /**
   * The largest payload accepted in either direction, in bytes.
   * @default {DEFAULT_MAX_FRAME}
   */
  maxFrame?: number;
  /**
   * Called for each received payload. Payloads may be views of a shared read chunk: copy one
   * before mutating it.
   * @default {undefined} (received frames are discarded)
   */
  onFrame?: FrameHandler;
  /**
   * Called once when the connection fails: a bad frame, an exception thrown by `onFrame`, or an
   * unexpected socket error. A peer that resets or closes cleanly is not a failure.
   * @default {undefined} (the failure is written with `console.error`)
   */
  onError?: FrameErrorHandler;
  /**
   * Called once after the connection is closed, whoever closed it.
   * @default {undefined}
   */
  onClose?: (conn: FrameConnection) => void;
  /**
   * A budget of buffered bytes shared with other connections: before this connection grows the
   * buffer of a frame that spans reads it takes the bytes from the budget, and when the budget
   * cannot give them the connection is closed with a {@linkcode ConnectionLimitError}
   * (`"budget"`). Bytes come back when the frame completes or the connection closes.
   * @default {undefined} (each connection bounded by `maxFrame` alone)
   */
  budget?: FrameBudget;
  /**
   * Milliseconds a frame header may take from its first byte to its fourth; a slower one closes
   * the connection with a {@linkcode ConnectionLimitError} (`"header-timeout"`).
   * @default {undefined} (no limit)
   */
  headerTimeout?: number;
  /**
   * Milliseconds of a window in which a frame in progress must either complete or bring at
   * least `minReadBytes` bytes; otherwise the connection is closed with a
   * {@linkcode ConnectionLimitError} (`"idle-timeout"`). A peer trickling a byte a second is
   * cut off after one window. Between frames a connection may stay quiet for as long as it likes.
   * @default {undefined} (no limit)
   */
  idleTimeout?: number;
  /**
   * Bytes a frame in progress must bring in each `idleTimeout` window (0: any byte will do, so
   * only a window without a single byte closes the connection).
   * @default {1024}
   */
  minReadBytes?: number;
}

const READ_BUFFER = 64 * 1024;

/**
 * One framed TCP connection: send payloads with coalesced writes, receive them through
 * `onFrame`. Obtain one with {@linkcode FrameConnection.connect}, from the
 * `listenFrames` server in `tcp_transport.ts`, or by wrapping an open socket.
 *
 * When the peer ends the stream, frames still queued are flushed and the connection closes.
 *
 * @example Pipeline frames and wait until they are written
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameConnection, listenFrames } from "./tcp_transport.ts";
 *
 * const received: number[] = [];
 * const { promise: allReceived, resolve } = Promise.withResolvers<void>();
 * const server = listenFrames({
 *   onFrame: (payload) => received.push(payload[0]) === 3 && resolve(),
 * });
 * const client = await FrameConnection.connect(server.hostname, server.port);
 * for (const value of [1, 2, 3]) client.send(new Uint8Array([value]));
 * await client.flush();
 * await allReceived;
 * assert.deepEqual(received, [1, 2, 3]);
 * await client.close();
 * await server.close();
 * ```
 */
export class FrameConnection {
  /** The peer's address as `host:port` (IPv6 hosts in brackets). */
  readonly remote: string;
  /** Resolves once the connection is closed and its socket operations have finished. */
  readonly closed: Promise<void>;
  readonly #socket: FrameSocket;
  readonly #decoder: FrameDecoder;
  readonly #writer: CoalescingWriter;
  readonly #maxFrame: number;
  readonly #onFrame: FrameHandler | undefined;
  readonly #onError: FrameErrorHandler | undefined;
  readonly #onClose: ((conn: FrameConnection) => void) | undefined;
  #closing = false;
  #socketClosed = false;
  #failure: Error | undefined;
  #resolveClosed: () => void = () => {};
  readonly #budget: FrameBudget | undefined;
  /** Bytes taken from the budget and not yet given back. */
  #charged = 0;
  readonly #headerTimeout: number | undefined;
  readonly #idleTimeout: number | undefined;
  readonly #minReadBytes: number;
  #headerTimer: ReturnType<typeof setTimeout> | undefined;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Bytes received since the idle window started. */
  #windowBytes = 0;

  /**
   * Connects to a frame server.
   *
   * @param hostname The server's host name or address.
   * @param port The server's TCP port.
   * @param options Limits and callbacks.
   * @returns The open connection, already reading.
   * @throws {Deno.errors.ConnectionRefused} When nothing listens there; the message names the
   * address (other connect errors keep their class and gain the address too).
   */
  static async connect(
    hostname: string,
    port: number,
    options: FrameConnectionOptions = {},
  ): Promise<FrameConnection> {
    let socket: Deno.TcpConn;
    try {
      socket = await Deno.connect({ hostname, port, transport: "tcp" });
    } catch (error) {
      throw withAddress(error, formatAddress(hostname, port));
    }
    try {
      return new FrameConnection(socket, options);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /**
   * Wraps an open socket and starts reading from it.
   *
   * @param socket A connected socket, e.g. from `Deno.connect` or `Deno.Listener.accept`.
   * @param options Limits and callbacks.
   * @throws {RangeError} When `maxFrame` is not an integer from 0 to 4,294,967,295, or a timeout
   * or `minReadBytes` is negative or not a number.
   */
  constructor(socket: FrameSocket, options: FrameConnectionOptions = {}) {
    this.#maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    checkConnectionOptions(options);
    this.#headerTimeout = options.headerTimeout;
    this.#idleTimeout = options.idleTimeout;
    this.#minReadBytes = options.minReadBytes ?? 1024;
    this.#budget = options.budget;
    const budget = this.#budget;
    this.#decoder = new FrameDecoder({
      maxFrame: this.#maxFrame,
      reserve: budget && ((bytes) => {
        if (!budget.take(bytes)) {
          throw new ConnectionLimitError("budget", {
            peer: this.remote,
            limit: budget.max,
            requested: bytes,
          });
        }
        this.#charged += bytes;
      }),
    });
    this.#socket = socket;
    this.#onFrame = options.onFrame;
    this.#onError = options.onError;
    this.#onClose = options.onClose;
    const address = socket.remoteAddr;
    this.remote = address.transport === "tcp" || address.transport === "udp"
      ? formatAddress(address.hostname, address.port)
      : String((address as { path?: string }).path ?? address.transport);
    this.#writer = new CoalescingWriter(socket, {
      peer: this.remote,
      onWriteError: (error) => this.#writeFailed(error),
    });
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    socket.setNoDelay?.(true);
    void this.#run();
  }

  /**
   * Queues one frame for sending and returns at once; frames sent while a write is in flight
   * are coalesced into the next single write. Sending never waits: to bound the memory held for
   * a slow peer, `await flush()` now and then.
   *
   * @param payload The bytes to send; copied before this returns.
   * @throws {RangeError} When the payload is longer than `maxFrame`.
   * @throws {Error} When the connection is closed or closing.
   */
  send(payload: Uint8Array): void {
    if (this.#closing) {
      throw new Error(`Cannot send frame: connection to ${this.remote} is closed`);
    }
    if (payload.length > this.#maxFrame) {
      throw new RangeError(
        `Cannot send frame: length ${payload.length} exceeds the maximum ${this.#maxFrame} (raise maxFrame or send smaller messages)`,
      );
    }
    this.#writer.send(payload);
  }

  /**
   * Resolves when every frame sent so far has been written to the socket.
   *
   * @returns A promise that rejects if the connection closes before then.
   */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Flushes queued frames, then closes the socket. Safe to call more than once.
   *
   * @returns A promise that resolves with {@linkcode FrameConnection.closed}.
   */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      try {
        await this.#writer.flush();
      } catch {
        // The socket failed while flushing; closing is all that is left to do.
      }
      this.#closeSocket();
    }
    return await this.closed;
  }

  /**
   * Closes the connection at once, dropping what is queued, and reports `reason` through
   * `onError` (a listener does this to a connection that breaks one of its bounds). Does nothing
   * when the connection is already closing.
   *
   * @param reason Why; passed to `onError` once the socket is closed.
   */
  abort(reason: Error): void {
    if (this.#closing) return;
    this.#failure ??= reason;
    this.#closing = true;
    this.#closeSocket();
  }

  async #run(): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER);
    try {
      while (!this.#closing) {
        const count = await this.#socket.read(buffer);
        if (this.#closing) break;
        if (count === null) {
          this.#decoder.end();
          break;
        }
        // One copy per read: payloads are views of this chunk and may outlive the next read.
        let frames: Uint8Array[];
        try {
          frames = this.#decoder.push(buffer.slice(0, count));
        } finally {
          this.#settle();
        }
        this.#watch(count, frames.length);
        const onFrame = this.#onFrame;
        if (onFrame) {
          for (let i = 0; i < frames.length && !this.#closing; i++) onFrame(frames[i], this);
        }
      }
    } catch (error) {
      if (!this.#closing) this.#failure ??= readFailure(error, this.#decoder);
    }
    if (!this.#failure) {
      // Clean end (by the peer or by close()): let queued frames leave first.
      try {
        await this.#writer.flush();
      } catch {
        // The peer is gone; there is nobody left to tell.
      }
    }
    this.#closing = true;
    this.#closeSocket();
    this.#stopTimers();
    this.#settle(true);
    this.#writer.fail(new Error("the connection is closed"));
    await this.#writer.idle;
    if (this.#failure) this.#report(this.#failure);
    this.#resolveClosed();
    try {
      this.#onClose?.(this);
    } catch (error) {
      this.#report(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Gives back to the budget what the decoder no longer holds (everything when `all`). */
  #settle(all = false): void {
    const held = all ? 0 : this.#decoder.held;
    if (this.#charged > held) {
      this.#budget?.release(this.#charged - held);
      this.#charged = held;
    }
  }

  /** Starts, keeps or stops the header and idle timers after a read of `count` bytes. */
  #watch(count: number, completed: number): void {
    if (completed > 0) this.#stopTimers();
    const pending = this.#decoder.pending;
    if (pending === "none") {
      this.#stopTimers();
      return;
    }
    if (pending === "payload" && this.#headerTimer !== undefined) {
      clearTimeout(this.#headerTimer);
      this.#headerTimer = undefined;
    }
    const headerTimeout = this.#headerTimeout;
    if (pending === "header" && headerTimeout !== undefined && this.#headerTimer === undefined) {
      this.#headerTimer = setTimeout(() => {
        this.#headerTimer = undefined;
        this.abort(
          new ConnectionLimitError("header-timeout", {
            peer: this.remote,
            limit: headerTimeout,
          }),
        );
      }, headerTimeout);
    }
    if (this.#idleTimeout === undefined) return;
    if (this.#idleTimer === undefined) {
      this.#windowBytes = count;
      this.#startIdleWindow(this.#idleTimeout);
    } else {
      this.#windowBytes += count;
    }
  }

  #startIdleWindow(idleTimeout: number): void {
    this.#idleTimer = setTimeout(() => {
      this.#idleTimer = undefined;
      const received = this.#windowBytes;
      if (this.#closing || (received > 0 && received >= this.#minReadBytes)) {
        this.#windowBytes = 0;
        if (!this.#closing) this.#startIdleWindow(idleTimeout);
        return;
      }
      this.abort(
        new ConnectionLimitError("idle-timeout", {
          peer: this.remote,
          limit: idleTimeout,
          received,
        }),
      );
    }, idleTimeout);
  }

  #stopTimers(): void {
    clearTimeout(this.#headerTimer);
    clearTimeout(this.#idleTimer);
    this.#headerTimer = undefined;
    this.#idleTimer = undefined;
  }

  #writeFailed(error: Error): void {
    if (this.#closing) return;
    if (!isPeerGone(error)) this.#failure ??= error;
    this.#closing = true;
    this.#closeSocket();
  }

  #closeSocket(): void {
    if (this.#socketClosed) return;
    this.#socketClosed = true;
    try {
      this.#socket.close();
    } catch {
      // Already closed by the runtime.
    }
  }

  #report(error: Error): void {
    try {
      if (this.#onError) this.#onError(error, this);
      else console.error(`archlab: closed connection with ${this.remote}: ${error.message}`);
    } catch (thrown) {
      console.error(`archlab: onError threw while reporting ${error.message}:`, thrown);
    }
  }
}

/**
 * Checks the timeouts and `minReadBytes` of `options` (a listener calls this before binding).
 *
 * @throws {RangeError} When a timeout is not a number of ms from 0 to 2,147,483,647, or
 * `minReadBytes` is not a non-negative integer.
 */
export function checkConnectionOptions(options: FrameConnectionOptions): void {
  for (const name of ["headerTimeout", "idleTimeout"] as const) {
    const value = options[name];
    if (value !== undefined && !(value >= 0 && value <= 2 ** 31 - 1)) {
      throw new RangeError(
        `Cannot open frame connection: ${name} ${value} is not a number of ms from 0 to 2147483647`,
      );
    }
  }
  const minReadBytes = options.minReadBytes;
  if (minReadBytes !== undefined && !(Number.isSafeInteger(minReadBytes) && minReadBytes >= 0)) {
    throw new RangeError(
      `Cannot open frame connection: minReadBytes ${minReadBytes} is not a non-negative integer`,
    );
  }
}

function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

function isPeerGone(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.ConnectionAborted;
}

/** A reset after whole frames is an abrupt but clean end; mid-frame it is a truncation. */
function readFailure(error: unknown, decoder: FrameDecoder): Error | undefined {
  if (isPeerGone(error)) {
    try {
      decoder.end();
      return undefined;
    } catch (truncated) {
      return truncated as FrameError;
    }
  }
  return error instanceof Error ? error : new Error(String(error));
}

function withAddress(error: unknown, address: string): unknown {
  if (!(error instanceof Error)) return error;
  const reason = error instanceof Deno.errors.ConnectionRefused
    ? "connection refused (is a server listening there?)"
    : error.message;
  const ErrorClass = error.constructor as new (message: string, options: ErrorOptions) => Error;
  try {
    return new ErrorClass(`Cannot connect to ${address}: ${reason}`, { cause: error });
  } catch {
    return new Error(`Cannot connect to ${address}: ${reason}`, { cause: error });
  }
}
