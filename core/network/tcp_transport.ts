/**
 * Framed TCP over `Deno.listen` and `Deno.connect`. Each frame is a 4-byte big-endian length
 * and a payload (see `encodeFrame` in `frame.ts`), so message boundaries survive the byte
 * stream and a plain socket client that writes a length and UTF-8 bytes gets answered.
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
import {
  FrameConnection,
  type FrameConnectionOptions,
  type FrameErrorHandler,
  type FrameHandler,
} from "./_frame_connection.ts";
import { FrameDecoder } from "./frame.ts";

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
 * @throws {RangeError} When `maxFrame` is not an integer from 0 to 4,294,967,295.
 * @throws {Deno.errors.AddrInUse} When the address is taken (other bind errors likewise).
 */
export function listenFrames(options: ListenFramesOptions): FrameListener {
  new FrameDecoder({ maxFrame: options.maxFrame }); // throws RangeError before binding
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
      try {
        options.onConnection?.(conn);
      } catch (error) {
        console.error(`archlab: onConnection threw for ${conn.remote}; closing it:`, error);
        void conn.close();
      }
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
