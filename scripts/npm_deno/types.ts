/**
 * Types of the `Deno` members that archlab's sources name, for the npm build's Node
 * implementation (see `mod.ts`).
 * @module
 */

/** A TCP or UDP address. */
export interface NetAddr {
  transport: "tcp" | "udp";
  hostname: string;
  port: number;
}
/** A Unix socket address. */
export interface UnixAddr {
  transport: "unix" | "unixpacket";
  path: string;
}
/** Any socket address. */
export type Addr = NetAddr | UnixAddr;
/** A connected socket. */
export interface Conn {
  readonly localAddr: Addr;
  readonly remoteAddr: Addr;
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  close(): void;
  closeWrite(): Promise<void>;
  ref(): void;
  unref(): void;
}
/** A connected TCP socket. */
export interface TcpConn extends Conn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  setNoDelay(noDelay?: boolean): void;
  setKeepAlive(keepAlive?: boolean): void;
}
/** A TCP listener. */
export interface Listener extends AsyncIterable<TcpConn> {
  readonly addr: NetAddr;
  accept(): Promise<TcpConn>;
  close(): void;
  ref(): void;
  unref(): void;
}
/** A running HTTP server. */
export interface HttpServer<A extends Addr = Addr> {
  readonly addr: A;
  readonly finished: Promise<void>;
  shutdown(): Promise<void>;
  ref(): void;
  unref(): void;
}
