/**
 * Binding a Node server before returning, as `Deno.listen` and `Deno.serve` do.
 * @module
 */
import * as net from "node:net";
import { errors, systemError } from "./errors.ts";
import type { NetAddr } from "./types.ts";

/** A TCP address as Deno reports it. */
export function netAddr(hostname: string | undefined, port: number | undefined): NetAddr {
  return { transport: "tcp", hostname: hostname ?? "", port: port ?? 0 };
}

/**
 * Binds and listens before returning, as `Deno.listen` does (Node's `listen` with a host binds
 * a tick later). Bind errors are thrown as `Deno.errors`; a failing `listen(2)` after a
 * successful bind means the port is taken.
 */
export function bindNow(server: net.Server, hostname: string, port: number): void {
  const host = hostname === "localhost" ? "127.0.0.1" : hostname;
  const family = net.isIP(host);
  if (family === 0) {
    throw new TypeError(
      `Cannot listen on "${hostname}": on Node, archlab listens on an IP address or "localhost"; give 127.0.0.1, 0.0.0.0 or ::1`,
    );
  }
  const create = (net as unknown as {
    _createServerHandle?: (host: string, port: number, family: number) => object | number;
  })._createServerHandle;
  if (typeof create !== "function") {
    throw new Error(
      `Cannot listen on ${host}:${port}: this runtime's node:net has no _createServerHandle, which archlab needs to bind at once as Deno.listen does; use Node 20+ or Deno`,
    );
  }
  const handle = create(host, port, family);
  if (typeof handle === "number") throw systemError(handle, "bind", host, port);
  const swallow = (): void => {};
  server.once("error", swallow); // a failed listen(2) is also emitted a tick later
  server.listen(handle);
  if (!server.listening) {
    throw new errors.AddrInUse(`listen EADDRINUSE: address already in use ${host}:${port}`);
  }
  server.off("error", swallow);
}
