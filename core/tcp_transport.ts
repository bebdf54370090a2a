/**
 * Framed TCP over `Deno.listen` and `Deno.connect`. Each frame is a 4-byte big-endian length
 * and a payload (see `encodeFrame` in `frame.ts`), so message boundaries survive the byte stream and
 * a plain socket client that writes a length and UTF-8 bytes gets answered.
 *
 * A {@linkcode FrameListener} serves many connections at once, one read loop per connection; a
 * connection that sends a too-large, truncated or garbage frame is closed and reported alone.
 * {@linkcode FrameConnection.send} coalesces: frames sent while a write is in flight leave in
 * one `write` when it finishes.
 *
 * @example Echo one message over loopback
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameConnection, listenFrames } from "./tcp_transport.ts";
 *
 * const server = listenFrames({ onFrame: (payload, conn) => conn.send(payload) });
 * const { promise, resolve } = Promise.withResolvers<string>();
 * const client = await FrameConnection.connect(server.hostname, server.port, {
 *   onFrame: (payload) => resolve(new TextDecoder().decode(payload)),
 * });
 * client.send(new TextEncoder().encode("waku waku"));
 * assert.equal(await promise, "waku waku");
 * await client.close();
 * await server.close();
 * ```
 *
 * @module
 */
import { CoalescingWriter } from "./_coalescing_writer.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder, type FrameError } from "./frame.ts";

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

/** Receives a connection's failure ({@linkcode FrameError} for bad frames); the connection is closed. */
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
}

const READ_BUFFER = 64 * 1024;

/**
 * One framed TCP connection: send payloads with coalesced writes, receive them through
 * `onFrame`. Obtain one with {@linkcode FrameConnection.connect}, from a
 * {@linkcode FrameListener}, or by wrapping an open socket.
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
    return new FrameConnection(socket, options);
  }

  /**
   * Wraps an open socket and starts reading from it.
   *
   * @param socket A connected socket, e.g. from `Deno.connect` or `Deno.Listener.accept`.
   * @param options Limits and callbacks.
   * @throws {RangeError} When `maxFrame` is not an integer from 0 to 4,294,967,295.
   */
  constructor(socket: FrameSocket, options: FrameConnectionOptions = {}) {
    this.#maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#decoder = new FrameDecoder({ maxFrame: this.#maxFrame });
    this.#socket = socket;
    this.#onFrame = options.onFrame;
    this.#onError = options.onError;
    this.#onClose = options.onClose;
    const address = socket.remoteAddr;
    this.remote = address.transport === "tcp" || address.transport === "udp"
      ? formatAddress(address.hostname, address.port)
      : String((address as { path?: string }).path ?? address.transport);
    this.#writer = new CoalescingWriter(socket, (error) => this.#writeFailed(error));
    this.closed = new Promise((resolve) => this.#resolveClosed = resolve);
    socket.setNoDelay?.(true);
    void this.#run();
  }

  /**
   * Queues one frame for sending and returns at once; frames sent while a write is in flight
   * are coalesced into the next single write.
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
  async flush(): Promise<void> {
    try {
      await this.#writer.flush();
    } catch (error) {
      throw new Error(`Cannot flush frames to ${this.remote}: ${(error as Error).message}`, {
        cause: error,
      });
    }
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
        const frames = this.#decoder.push(buffer.slice(0, count));
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

/** Options for {@linkcode listenFrames}. */
export interface ListenFramesOptions {
  /**
   * The address to bind.
   * @default {"127.0.0.1"}
   */
  hostname?: string;
  /**
   * The TCP port; 0 picks a free one (read it back from {@linkcode FrameListener.port}).
   * @default {0}
   */
  port?: number;
  /**
   * The largest payload accepted on each connection, in bytes.
   * @default {DEFAULT_MAX_FRAME}
   */
  maxFrame?: number;
  /** Called for each received payload with the connection it came on. */
  onFrame: FrameHandler;
  /**
   * Called when a connection fails (it is then closed; other connections carry on).
   * @default {undefined} (the failure is written with `console.error`)
   */
  onError?: FrameErrorHandler;
  /**
   * Called for each accepted connection, before any of its frames.
   * @default {undefined}
   */
  onConnection?: (conn: FrameConnection) => void;
}

/** A listening frame server returned by {@linkcode listenFrames}. */
export interface FrameListener {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** The open connections. */
  readonly connections: ReadonlySet<FrameConnection>;
  /** Stops accepting, then closes every connection (flushing what each has queued). */
  close(): Promise<void>;
}

/**
 * Listens for framed TCP connections and serves them all concurrently.
 *
 * @example Answer a plain socket client that frames by hand
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenFrames } from "./tcp_transport.ts";
 *
 * const server = listenFrames({ onFrame: (payload, conn) => conn.send(payload) });
 * const socket = await Deno.connect({ hostname: server.hostname, port: server.port });
 * await socket.write(new Uint8Array([0, 0, 0, 2, 104, 105])); // length 2, "hi"
 * const reply = new Uint8Array(6);
 * for (let got = 0; got < 6;) got += (await socket.read(reply.subarray(got))) ?? 6;
 * assert.deepEqual(reply, new Uint8Array([0, 0, 0, 2, 104, 105]));
 * socket.close();
 * await server.close();
 * ```
 *
 * @param options Address, limits and callbacks.
 * @returns The listener, already accepting.
 */
export function listenFrames(options: ListenFramesOptions): FrameListener {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    transport: "tcp",
  });
  const connections = new Set<FrameConnection>();
  const connectionOptions: FrameConnectionOptions = {
    maxFrame: options.maxFrame,
    onFrame: options.onFrame,
    onError: options.onError,
    onClose: (conn) => connections.delete(conn),
  };
  let closing = false;
  const accepting = (async () => {
    while (!closing) {
      let socket: Deno.TcpConn;
      try {
        socket = await listener.accept();
      } catch (error) {
        if (closing) break;
        if (error instanceof Deno.errors.ConnectionAborted) continue;
        console.error(
          `archlab: stopped accepting on ${listener.addr.hostname}:${listener.addr.port}:`,
          error,
        );
        break;
      }
      if (closing) {
        socket.close();
        break;
      }
      const conn = new FrameConnection(socket, connectionOptions);
      connections.add(conn);
      options.onConnection?.(conn);
    }
  })();
  return {
    hostname: listener.addr.hostname,
    port: listener.addr.port,
    connections,
    async close(): Promise<void> {
      if (!closing) {
        closing = true;
        try {
          listener.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Promise.all([...connections].map((conn) => conn.close()));
    },
  };
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
