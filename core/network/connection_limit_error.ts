/**
 * {@linkcode ConnectionLimitError}: why a frame listener closed a connection that broke one of
 * its bounds (the memory budget, the connection cap, the header or the idle timeout). The
 * listener's `onError` receives it; `reason` tells which bound.
 *
 * @example Tell a refused connection from a slow one
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionLimitError } from "./connection_limit_error.ts";
 *
 * const error = new ConnectionLimitError("idle-timeout", { peer: "127.0.0.1:5000", limit: 30000 });
 * assert.equal(error.reason, "idle-timeout");
 * assert.match(error.message, /127\.0\.0\.1:5000/);
 * ```
 *
 * @module
 */

/** Which bound a connection broke. */
export type ConnectionLimitReason =
  | "budget"
  | "connections"
  | "header-timeout"
  | "idle-timeout";

/** Structured details of a {@linkcode ConnectionLimitError}. */
export interface ConnectionLimitDetails {
  /** The peer's address, `host:port`. */
  peer: string;
  /** The bound: bytes (`budget`), connections (`connections`) or milliseconds (timeouts). */
  limit: number;
  /** For `budget`: the bytes the connection asked for beyond what it held. */
  requested?: number;
  /** For `idle-timeout`: the bytes received in the last window. */
  received?: number;
}

/**
 * A connection closed by its listener for breaking a bound; the stream itself may have been
 * well formed.
 *
 * @example The message names the peer and what to raise
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionLimitError } from "./connection_limit_error.ts";
 *
 * const error = new ConnectionLimitError("budget", { peer: "10.0.0.1:9", limit: 100, requested: 64 });
 * assert.equal(error.name, "ConnectionLimitError");
 * assert.match(error.message, /^Cannot buffer frame from 10\.0\.0\.1:9/);
 * assert.match(error.message, /maxBuffered/);
 * ```
 */
export class ConnectionLimitError extends Error {
  /** Which bound was broken. */
  readonly reason: ConnectionLimitReason;
  /** The peer's address. */
  readonly peer: string;
  /** The bound (bytes, connections or milliseconds). */
  readonly limit: number;
  /** For `budget`: the bytes asked for. */
  readonly requested?: number;
  /** For `idle-timeout`: the bytes received in the last window. */
  readonly received?: number;

  /**
   * Creates the error; listeners raise these, callers only catch them.
   *
   * @param reason Which bound was broken.
   * @param details The peer and the bound, also used to build the message.
   */
  constructor(reason: ConnectionLimitReason, details: ConnectionLimitDetails) {
    super(describe(reason, details));
    this.name = "ConnectionLimitError";
    this.reason = reason;
    this.peer = details.peer;
    this.limit = details.limit;
    this.requested = details.requested;
    this.received = details.received;
  }
}

function describe(reason: ConnectionLimitReason, details: ConnectionLimitDetails): string {
  const { peer, limit, requested, received } = details;
  switch (reason) {
    case "budget":
      return `Cannot buffer frame from ${peer}: ${requested} more bytes would exceed the listener's budget of ${limit} bytes for unfinished frames (raise maxBuffered, or send smaller frames)`;
    case "connections":
      return `Cannot accept connection from ${peer}: the listener is at its cap of ${limit} open connections (raise maxConnections, or close idle ones)`;
    case "header-timeout":
      return `Cannot read frame header from ${peer}: it did not complete within ${limit} ms of its first byte (raise headerTimeout for slow links)`;
    case "idle-timeout":
      return `Cannot read frame from ${peer}: only ${received} bytes arrived in ${limit} ms in the middle of a frame (raise idleTimeout or lower minReadBytes for slow links)`;
  }
}
