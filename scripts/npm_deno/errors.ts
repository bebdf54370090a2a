/**
 * The `Deno.errors` classes archlab's sources and users test with `instanceof`, and the mapping
 * from Node's system error codes to them.
 * @module
 */
import { getSystemErrorMap, getSystemErrorName } from "node:util";

class DenoError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The error classes of `Deno.errors` that archlab's sources and users test with `instanceof`. */
export const errors = {
  NotFound: class NotFound extends DenoError {},
  PermissionDenied: class PermissionDenied extends DenoError {},
  ConnectionRefused: class ConnectionRefused extends DenoError {},
  ConnectionReset: class ConnectionReset extends DenoError {},
  ConnectionAborted: class ConnectionAborted extends DenoError {},
  NotConnected: class NotConnected extends DenoError {},
  AddrInUse: class AddrInUse extends DenoError {},
  AddrNotAvailable: class AddrNotAvailable extends DenoError {},
  BrokenPipe: class BrokenPipe extends DenoError {},
  TimedOut: class TimedOut extends DenoError {},
  Interrupted: class Interrupted extends DenoError {},
  BadResource: class BadResource extends DenoError {},
  Http: class Http extends DenoError {},
};

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

const ERROR_CODES: Readonly<Record<string, ErrorClass>> = {
  ENOENT: errors.NotFound,
  ENOTFOUND: errors.NotFound,
  EAI_NONAME: errors.NotFound,
  EACCES: errors.PermissionDenied,
  EPERM: errors.PermissionDenied,
  ECONNREFUSED: errors.ConnectionRefused,
  ECONNRESET: errors.ConnectionReset,
  ECONNABORTED: errors.ConnectionAborted,
  ENOTCONN: errors.NotConnected,
  EADDRINUSE: errors.AddrInUse,
  EADDRNOTAVAIL: errors.AddrNotAvailable,
  EPIPE: errors.BrokenPipe,
  ERR_STREAM_DESTROYED: errors.BrokenPipe,
  ERR_STREAM_WRITE_AFTER_END: errors.BrokenPipe,
  ETIMEDOUT: errors.TimedOut,
};

/** Maps a Node system error to the `Deno.errors` class Deno throws for it. */
export function toDenoError(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const ErrorClass = typeof code === "string" ? ERROR_CODES[code] : undefined;
  if (!ErrorClass || !(error instanceof Error)) return error;
  return new ErrorClass(error.message, { cause: error });
}

/** A `Deno.errors` error for a libuv error number returned by a Node handle. */
export function systemError(errno: number, action: string, host: string, port: number): unknown {
  const code = getSystemErrorName(errno);
  const text = getSystemErrorMap().get(errno)?.[1] ?? code;
  return toDenoError(
    Object.assign(new Error(`${action} ${code}: ${text} ${host}:${port}`), { code }),
  );
}
