/**
 * Framed TCP over `Deno.listen` and `Deno.connect`. Each frame is a 4-byte big-endian length
 * and a payload (see `encodeFrame` in `frame.ts`), so message boundaries survive the byte
 * stream and a plain socket client that writes a length and UTF-8 bytes gets answered.
 *
 * A {@linkcode FrameListener} serves many connections at once, one read loop per connection; a
 * connection that sends a too-large, truncated or garbage frame is closed and reported alone.
 * Its resources are bounded whatever the peers do: a cap on connections, a budget of bytes that
 * all unfinished frames share, a deadline for each frame header and a minimum pace for each
 * frame in progress (a slowloris peer is cut off). A connection that breaks a bound is closed
 * and reported with a {@linkcode ConnectionLimitError}. Memory is then at most `maxBuffered`
 * plus a 64 KiB read buffer per connection.
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
import {
  checkConnectionOptions,
  FrameConnection,
  type FrameConnectionOptions,
  type FrameErrorHandler,
  type FrameHandler,
} from "./_frame_connection.ts";
import { ConnectionLimitError } from "./connection_limit_error.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder } from "./frame.ts";
import { DEFAULT_MAX_BUFFERED, FrameBudget } from "./frame_budget.ts";
import type { TcpListening } from "./_tcp_listening.ts";

export {
  type ConnectionLimitDetails,
  ConnectionLimitError,
  type ConnectionLimitReason,
} from "./connection_limit_error.ts";
export { DEFAULT_MAX_BUFFERED, FrameBudget } from "./frame_budget.ts";
export {
  FrameConnection,
  type FrameConnectionOptions,
  type FrameErrorHandler,
  type FrameHandler,
  type FrameSocket,
} from "./_frame_connection.ts";

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
  /**
   * The most open connections; one more is closed as soon as it is accepted and reported to
   * `onError` with a {@linkcode ConnectionLimitError} (`"connections"`).
   * @default {1024}
   */
  maxConnections?: number;
  /**
   * Bytes that the unfinished frames of all connections may hold together; a connection whose
   * frame would take more is closed and reported with a {@linkcode ConnectionLimitError}
   * (`"budget"`). At least `maxFrame`, so that one frame of the largest size can arrive.
   * @default {Math.max(DEFAULT_MAX_BUFFERED, maxFrame)} (64 MiB with the default `maxFrame`)
   */
  maxBuffered?: number;
  /**
   * Milliseconds a frame header may take from its first byte to its fourth.
   * @default {10000}
   */
  headerTimeout?: number;
  /**
   * Milliseconds of a window in which a frame in progress must complete or bring at least
   * `minReadBytes` bytes (a slowloris peer is closed after one window). Connections may stay
   * quiet between frames: the machines of a lab keep theirs open as the way back to a peer.
   * @default {30000}
   */
  idleTimeout?: number;
  /**
   * Bytes a frame in progress must bring in each `idleTimeout` window.
   * @default {1024}
   */
  minReadBytes?: number;
}

/** A listening frame server returned by {@linkcode listenFrames}. */
export interface FrameListener {
  /** The bound address. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** The open connections. */
  readonly connections: ReadonlySet<FrameConnection>;
  /** Bytes held now by the unfinished frames of all connections (at most `maxBuffered`). */
  readonly buffered: number;
  /** Connections closed at once because `maxConnections` were open. */
  readonly refused: number;
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
 * @throws {RangeError} When `maxFrame` is not an integer from 0 to 4,294,967,295, `maxBuffered`
 * is smaller than `maxFrame`, `maxConnections` is not a positive integer, or a timeout is negative.
 * @throws {Deno.errors.AddrInUse} When the address is taken (other bind errors likewise).
 */
export function listenFrames(options: ListenFramesOptions): FrameListener {
  const { budget, maxConnections } = checkLimits(options); // throws RangeError before binding
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    transport: "tcp",
  });
  const connections = new Set<FrameConnection>();
  const state: AcceptState = {
    connections,
    refusing: new Set(),
    connectionOptions: {
      maxFrame: options.maxFrame,
      onFrame: options.onFrame,
      onError: options.onError,
      onClose: (conn) => connections.delete(conn),
      budget,
      headerTimeout: options.headerTimeout ?? 10_000,
      idleTimeout: options.idleTimeout ?? 30_000,
      minReadBytes: options.minReadBytes,
    },
    maxConnections,
    onConnection: options.onConnection,
    closing: false,
    refused: 0,
  };
  const accepting = acceptAll(listener, state);
  return {
    hostname: listener.addr.hostname,
    port: listener.addr.port,
    connections,
    get buffered(): number {
      return budget.used;
    },
    get refused(): number {
      return state.refused;
    },
    async close(): Promise<void> {
      if (!state.closing) {
        state.closing = true;
        try {
          listener.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Promise.all([...connections, ...state.refusing].map((conn) => conn.close()));
    },
  };
}

/** What the accept loop of a {@linkcode listenFrames} listener keeps and shares with it. */
interface AcceptState {
  /** The open connections. */
  readonly connections: Set<FrameConnection>;
  /** Connections over the cap, being closed. */
  readonly refusing: Set<FrameConnection>;
  /** The options every accepted connection gets. */
  readonly connectionOptions: FrameConnectionOptions;
  readonly maxConnections: number;
  readonly onConnection: ((conn: FrameConnection) => void) | undefined;
  /** Set by `close()`: the loop stops. */
  closing: boolean;
  /** Connections closed at once because `maxConnections` were open. */
  refused: number;
}

/** Accepts connections on `listener` until it closes, admitting each one. */
async function acceptAll(
  listener: TcpListening,
  state: AcceptState,
): Promise<void> {
  while (!state.closing) {
    let socket: Deno.TcpConn;
    try {
      socket = await listener.accept();
    } catch (error) {
      if (state.closing) break;
      if (error instanceof Deno.errors.ConnectionAborted) continue;
      console.error(
        `archlab: stopped accepting on ${listener.addr.hostname}:${listener.addr.port}:`,
        error,
      );
      break;
    }
    if (state.closing) {
      socket.close();
      break;
    }
    admit(socket, state);
  }
}

/**
 * Serves an accepted `socket`, or, with `maxConnections` open, closes it at once and reports it
 * with a {@linkcode ConnectionLimitError}.
 */
function admit(socket: Deno.TcpConn, state: AcceptState): void {
  const { connections, refusing, connectionOptions, maxConnections } = state;
  if (connections.size >= maxConnections) {
    state.refused++;
    const extra = new FrameConnection(socket, {
      ...connectionOptions,
      onFrame: undefined,
      onClose: (conn) => refusing.delete(conn),
    });
    refusing.add(extra);
    extra.abort(
      new ConnectionLimitError("connections", { peer: extra.remote, limit: maxConnections }),
    );
    return;
  }
  const conn = new FrameConnection(socket, connectionOptions);
  connections.add(conn);
  try {
    state.onConnection?.(conn);
  } catch (error) {
    console.error(`archlab: onConnection threw for ${conn.remote}; closing it:`, error);
    void conn.close();
  }
}

function checkLimits(
  options: ListenFramesOptions,
): { budget: FrameBudget; maxConnections: number } {
  const maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
  new FrameDecoder({ maxFrame }); // throws RangeError for a bad maxFrame
  const maxBuffered = options.maxBuffered ?? Math.max(DEFAULT_MAX_BUFFERED, maxFrame);
  if (!Number.isSafeInteger(maxBuffered) || maxBuffered < maxFrame) {
    throw new RangeError(
      `Cannot listen for frames: maxBuffered ${maxBuffered} must be an integer of at least maxFrame (${maxFrame}) bytes`,
    );
  }
  const maxConnections = options.maxConnections ?? 1024;
  if (!Number.isSafeInteger(maxConnections) || maxConnections < 1) {
    throw new RangeError(
      `Cannot listen for frames: maxConnections ${maxConnections} must be a positive integer`,
    );
  }
  checkConnectionOptions(options);
  return { budget: new FrameBudget(maxBuffered), maxConnections };
}
