/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): accepting connections under
 * the cap, one coarse timer that enforces every connection's deadline, and the shutdown that
 * closes idle connections and waits for the busy ones.
 * @module
 */
import { errorBytes, isGone, writeAll } from "./_http1_write.ts";
import { Connection } from "./_http1_connection.ts";
import { serveConnection } from "./_http1_exchange.ts";
import type { Http1Settings } from "./_http1_settings.ts";
import type { Http1FastPath, Http1Handler } from "./http1_server.ts";
import type { TcpListening } from "./_tcp_listening.ts";

/** The options of a listener, resolved to their defaults and checked. */
export interface Http1Limits {
  /** Most open connections. */
  readonly maxConnections: number;
  /** Ms a request head may take to arrive. */
  readonly headerTimeout: number;
  /** Ms a keep-alive connection may wait, and a body or response take for its next KiB. */
  readonly idleTimeout: number;
  /** Largest request head in bytes. */
  readonly maxHeader: number;
  /** Largest request body in bytes. */
  readonly maxBody: number;
  /** Answers requests without a body with prepared bytes, when set. */
  readonly fastPath: Http1FastPath | undefined;
}

/** A listening server: its connections, the tasks serving them, and whether it is closing. */
export class Http1Listener implements Http1Settings {
  readonly addr: Deno.NetAddr;
  readonly fastPath: Http1FastPath | undefined;
  readonly headerTimeout: number;
  readonly idleTimeout: number;
  readonly maxHeader: number;
  readonly maxBody: number;
  /** Most open connections; one more gets a 503 and is closed. */
  readonly maxConnections: number;
  /** Shutting down: accepts nothing more, keeps no connection open after its exchange. */
  closing = false;
  /** Open connections. */
  readonly open: Set<Connection> = new Set();
  /** Resolves once the listener stopped and every connection closed. */
  readonly finished: Promise<void>;
  readonly #running = new Set<Promise<void>>();

  /** Starts serving `handler` on `listener`. */
  constructor(
    readonly handler: Http1Handler,
    readonly listener: TcpListening,
    limits: Http1Limits,
  ) {
    this.addr = listener.addr;
    this.fastPath = limits.fastPath;
    this.headerTimeout = limits.headerTimeout;
    this.idleTimeout = limits.idleTimeout;
    this.maxHeader = limits.maxHeader;
    this.maxBody = limits.maxBody;
    this.maxConnections = limits.maxConnections;
    // One coarse timer enforces every connection's deadline.
    const tick = setInterval(() => {
      const now = performance.now();
      for (const c of this.open) {
        if (c.state !== "busy" && now > c.deadline) c.close();
      }
    }, Math.max(10, Math.min(this.headerTimeout, this.idleTimeout) / 4));
    const accepting = this.#accept();
    this.finished = (async () => {
      await accepting;
      for (let round = 0; round < 1000 && this.#running.size > 0; round++) {
        await Promise.all(this.#running);
      }
      clearInterval(tick);
    })();
  }

  /** Stops accepting, closes idle connections and waits for the busy ones (at most 5 s). */
  async shutdown(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.listener.close();
      for (const c of this.open) if (c.state === "head" || c.state === "body") c.close();
      const force = setTimeout(() => {
        for (const c of this.open) c.close();
      }, 5_000);
      await this.finished;
      clearTimeout(force);
    }
    await this.finished;
  }

  async #accept(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.listener.accept();
      } catch (error) {
        if (this.closing || error instanceof Deno.errors.BadResource) return;
        throw error;
      }
      if (this.open.size >= this.maxConnections) this.#refuse(conn);
      else this.#serve(conn);
    }
  }

  /** Over the cap: says so and hangs up (best effort: a client that does not read gets a reset). */
  #refuse(conn: Deno.Conn): void {
    writeAll(conn, errorBytes(503, `Cannot accept more than ${this.maxConnections} connections`))
      .catch((error) => {
        if (!isGone(error)) throw error;
      })
      .finally(() => conn.close());
  }

  #serve(conn: Deno.Conn): void {
    // A response leaves in several writes (head, then body or chunks): without this, Nagle's
    // algorithm holds each later write until the client's delayed ACK, 40 ms per request.
    (conn as Deno.TcpConn).setNoDelay?.(true);
    const c = new Connection(conn, this.idleTimeout);
    this.open.add(c);
    const task = serveConnection(this, c).catch((error) => {
      if (!isGone(error)) throw error;
      // The client went away (or hit a deadline): the connection just ends.
    }).finally(() => {
      c.close();
      this.open.delete(c);
      this.#running.delete(task);
    });
    this.#running.add(task);
  }
}
