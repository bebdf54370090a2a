/**
 * `Deno.listen` and `Deno.connect` for TCP on `node:net`: pull-style `read`/`write` over a
 * `net.Socket`, and a listener bound before it is returned.
 * @module
 */
import * as net from "node:net";
import { bindNow, netAddr } from "./_bind.ts";
import { errors, toDenoError } from "./errors.ts";
import type { Listener, NetAddr, TcpConn } from "./types.ts";

const HIGH_WATER = 256 * 1024;

/** A connected TCP socket with Deno's pull-style `read`/`write` over a `net.Socket`. */
export class NodeTcpConn implements TcpConn {
  readonly localAddr: NetAddr;
  readonly remoteAddr: NetAddr;
  readonly #socket: net.Socket;
  readonly #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #closed = false;
  #error: unknown;
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket) {
    this.#socket = socket;
    this.localAddr = netAddr(socket.localAddress, socket.localPort);
    this.remoteAddr = netAddr(socket.remoteAddress, socket.remotePort);
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
      if (this.#buffered > HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#ended = true;
      this.#notify();
    });
    socket.on("error", (error) => {
      this.#error ??= toDenoError(error);
      this.#notify();
    });
    socket.on("close", () => {
      this.#ended = true;
      this.#notify();
    });
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    for (;;) {
      if (this.#closed) throw new errors.BadResource("Cannot read: the connection is closed");
      if (this.#chunks.length > 0) return this.#take(buffer);
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#closed) {
      return Promise.reject(new errors.BadResource("Cannot write: the connection is closed"));
    }
    return new Promise((resolve, reject) => {
      this.#socket.write(bytes, (error) => {
        if (error) reject(toDenoError(error));
        else resolve(bytes.length);
      });
    });
  }

  close(): void {
    if (this.#closed) throw new errors.BadResource("Cannot close: the connection is closed");
    this.#closed = true;
    this.#socket.destroy();
    this.#notify();
  }

  async closeWrite(): Promise<void> {
    await new Promise<void>((resolve) => this.#socket.end(resolve));
  }

  setNoDelay(noDelay = true): void {
    this.#socket.setNoDelay(noDelay);
  }

  setKeepAlive(keepAlive = true): void {
    this.#socket.setKeepAlive(keepAlive);
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  #take(buffer: Uint8Array): number {
    let count = 0;
    while (count < buffer.length && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const n = Math.min(chunk.length, buffer.length - count);
      buffer.set(n === chunk.length ? chunk : chunk.subarray(0, n), count);
      count += n;
      if (n === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(n);
    }
    this.#buffered -= count;
    if (this.#buffered <= HIGH_WATER && this.#socket.isPaused()) this.#socket.resume();
    return count;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A bound TCP listener whose `accept` resolves to {@link NodeTcpConn}s. */
export class NodeTcpListener implements Listener {
  readonly addr: NetAddr;
  readonly #server: net.Server;
  readonly #pending: NodeTcpConn[] = [];
  readonly #waiters: { resolve: (conn: NodeTcpConn) => void; reject: (e: unknown) => void }[] = [];
  #closed = false;

  constructor(server: net.Server) {
    this.#server = server;
    const address = server.address() as net.AddressInfo;
    this.addr = netAddr(address.address, address.port);
    server.on("error", (error) => {
      for (const waiter of this.#waiters.splice(0)) waiter.reject(toDenoError(error));
    });
    server.on("connection", (socket: net.Socket) => {
      const conn = new NodeTcpConn(socket);
      const waiter = this.#waiters.shift();
      if (waiter) waiter.resolve(conn);
      else this.#pending.push(conn);
    });
  }

  accept(): Promise<NodeTcpConn> {
    if (this.#closed) {
      return Promise.reject(new errors.BadResource("Cannot accept: the listener is closed"));
    }
    const conn = this.#pending.shift();
    if (conn) return Promise.resolve(conn);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  close(): void {
    if (this.#closed) throw new errors.BadResource("Cannot close: the listener is closed");
    this.#closed = true;
    this.#server.close();
    for (const conn of this.#pending.splice(0)) conn.close();
    for (const waiter of this.#waiters.splice(0)) {
      waiter.reject(new errors.BadResource("Cannot accept: the listener is closed"));
    }
  }

  ref(): void {
    this.#server.ref();
  }

  unref(): void {
    this.#server.unref();
  }

  async *[Symbol.asyncIterator](): AsyncIterableIterator<NodeTcpConn> {
    for (;;) {
      try {
        yield await this.accept();
      } catch (error) {
        if (this.#closed) return;
        throw error;
      }
    }
  }
}

/** Options of {@linkcode listen} and {@linkcode connect}. */
export interface ListenOptions {
  hostname?: string;
  port?: number;
  transport?: "tcp";
}

/** Binds a TCP listener at once, as `Deno.listen` does. */
export function listen(options: ListenOptions): NodeTcpListener {
  if ((options.transport ?? "tcp") !== "tcp") {
    throw new TypeError(`Cannot listen: transport "${options.transport}" is not supported on Node`);
  }
  const server = net.createServer({ allowHalfOpen: true });
  bindNow(server, options.hostname ?? "0.0.0.0", options.port ?? 0);
  return new NodeTcpListener(server);
}

/** Connects over TCP; rejects with a `Deno.errors` class, as `Deno.connect` does. */
export function connect(options: ListenOptions & { port: number }): Promise<NodeTcpConn> {
  if ((options.transport ?? "tcp") !== "tcp") {
    throw new TypeError(
      `Cannot connect: transport "${options.transport}" is not supported on Node`,
    );
  }
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({
      host: options.hostname ?? "127.0.0.1",
      port: options.port,
      allowHalfOpen: true,
    });
    const failed = (error: Error): void => {
      socket.destroy();
      reject(toDenoError(error));
    };
    socket.once("error", failed);
    socket.once("connect", () => {
      socket.off("error", failed);
      resolve(new NodeTcpConn(socket));
    });
  });
}
