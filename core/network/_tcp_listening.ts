/**
 * Private: what the TCP accept loops need of a listener. Deno's `Deno.TcpListener` has it, and so
 * has the npm build's stand-in for `Deno.listen`, which has no `TcpListener` type to name.
 *
 * @module
 */

/** A TCP listener as the accept loops use it: its address, `accept()` and `close()`. */
export interface TcpListening {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** The next connection. */
  accept(): Promise<Deno.TcpConn>;
  /** Stops listening. */
  close(): void;
}
