/**
 * The part of the `Deno` namespace that archlab's sources use (TCP listen/connect, `serve`, the
 * error classes and their types), implemented on Node's `node:net` and `node:http`.
 * `scripts/build_npm.ts` copies this folder into the npm package as `src/_deno/` and makes every
 * source file that names `Deno.` import `Deno` from it; on Deno the real namespace is used.
 *
 * `@deno/shim-deno` 0.19 does not fit here: on Node 20 its `Deno.listen` throws (it reads the
 * socket before Node has bound it), it reports the requested port (0) instead of the bound one,
 * and a refused `Deno.connect` never settles.
 *
 * Node binds asynchronously while `Deno.listen` and `Deno.serve` return a bound address at
 * once, so `_bind.ts` binds through `net._createServerHandle`, the undocumented helper Node's
 * own `cluster` module uses; listening on a host name other than `localhost` is refused.
 * @module
 */
import { errors } from "./errors.ts";
import { serve } from "./serve.ts";
import { connect, listen } from "./tcp.ts";
import type * as types from "./types.ts";

const nodeDeno = { errors, listen, connect, serve };

/**
 * The `Deno` namespace for the npm build: the real one when running on Deno, otherwise the
 * Node implementation of the members archlab uses.
 */
export const Deno: typeof nodeDeno = (globalThis as unknown as { Deno?: typeof nodeDeno }).Deno ??
  nodeDeno;

/** The types of the `Deno` members archlab's sources name. */
export declare namespace Deno {
  /** A TCP or UDP address. */
  export type NetAddr = types.NetAddr;
  /** A Unix socket address. */
  export type UnixAddr = types.UnixAddr;
  /** Any socket address. */
  export type Addr = types.Addr;
  /** A connected socket. */
  export type Conn = types.Conn;
  /** A connected TCP socket. */
  export type TcpConn = types.TcpConn;
  /** A TCP listener. */
  export type Listener = types.Listener;
  /** A running HTTP server. */
  export type HttpServer<A extends Addr = Addr> = types.HttpServer<A>;
}
