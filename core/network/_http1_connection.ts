/**
 * Private part of the bounded HTTP/1.1 listener (http1_server.ts): one client connection, its
 * read buffer, the phase it is in and its deadline. Its `write` counts the bytes the client takes
 * and extends the idle deadline as they move.
 * @module
 */
import type { Writer } from "./_http1_write.ts";

/** Bytes a body or a response must move to extend its idle deadline. */
const MIN_PROGRESS = 1024;

/**
 * What a connection is doing: waiting for a head (header deadline), reading a body (idle
 * deadline), busy in the handler (no deadline), or writing the response (idle deadline).
 */
export type ConnectionState = "head" | "body" | "busy" | "write";

/** One client connection of the listener. */
export class Connection implements Writer {
  /** Bytes read and not yet consumed: `buf[0, len)`. */
  buf: Uint8Array<ArrayBuffer> = new Uint8Array(16 * 1024);
  /** How many bytes of `buf` hold data. */
  len = 0;
  /** What the connection is doing, which says which deadline applies. */
  state: ConnectionState = "head";
  /** `performance.now()` past which the server closes the connection (but when busy). */
  deadline = 0;
  /** Closed already. */
  closed = false;
  /** Bytes moved since the idle deadline was last extended. */
  window = 0;
  /** The client's address. */
  readonly remoteAddr: Deno.NetAddr;

  /** Wraps `conn`; `idleTimeout` is the ms a body or response may take for its next KiB. */
  constructor(readonly conn: Deno.Conn, readonly idleTimeout: number) {
    this.remoteAddr = conn.remoteAddr as Deno.NetAddr;
  }

  /** Writes to the socket, extending the idle deadline as the client takes the bytes. */
  async write(bytes: Uint8Array): Promise<number> {
    const count = await this.conn.write(bytes);
    this.progressed(count, false);
    return count;
  }

  /** Enters `state` (reading a body or writing a response) with a fresh idle deadline. */
  moving(state: "body" | "write"): void {
    this.state = state;
    this.window = 0;
    this.deadline = performance.now() + this.idleTimeout;
  }

  /** Counts `n` bytes moved; extends the idle deadline per MIN_PROGRESS bytes, or when `done`. */
  progressed(n: number, done: boolean): void {
    this.window += n;
    if (this.window >= MIN_PROGRESS || done) {
      this.window = 0;
      this.deadline = performance.now() + this.idleTimeout;
    }
  }

  /** Closes the socket, unless closed already. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.conn.close();
    } catch (error) {
      if (!(error instanceof Deno.errors.BadResource)) throw error;
      // Already closed by the peer's reset: nothing to release.
    }
  }

  /** Reads more bytes into the buffer; `false` at the end of the stream. */
  async more(limit: number): Promise<boolean> {
    if (this.len === this.buf.length) {
      if (this.buf.length >= limit) return true;
      const grown = new Uint8Array(Math.min(limit, this.buf.length * 2));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    const n = await this.conn.read(this.buf.subarray(this.len));
    if (n === null) return false;
    this.len += n;
    return true;
  }

  /** Drops the first `n` buffered bytes. */
  consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
}
