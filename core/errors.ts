/**
 * Errors that callers of the core catch, with structured fields.
 * @module
 */

/**
 * A wait (receive, request, synchronous send) ran past its timeout.
 *
 * @example Catching a timeout
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "./errors.ts";
 * const error = new TimeoutError("receive", 100);
 * assert.equal(error.timeout, 100);
 * assert.match(error.message, /Cannot receive: no answer within 100 ms/);
 * ```
 */
export class TimeoutError extends Error {
  /** The action that timed out. */
  readonly action: string;
  /** The timeout in milliseconds. */
  readonly timeout: number;
  /** Creates the error for `action` after `timeout` ms. */
  constructor(action: string, timeout: number, detail = "") {
    super(
      `Cannot ${action}: no answer within ${timeout} ms${detail ? ` (${detail})` : ""}; ` +
        "raise the timeout or check that the peer is up",
    );
    this.name = "TimeoutError";
    this.action = action;
    this.timeout = timeout;
  }
}

/**
 * A message was addressed to a process that does not exist.
 *
 * @example Unknown process
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownProcessError } from "./errors.ts";
 * const error = new UnknownProcessError("kv@m9.lab");
 * assert.match(error.message, /process "kv@m9.lab" is unknown/);
 * ```
 */
export class UnknownProcessError extends Error {
  /** The address that could not be resolved. */
  readonly address: string;
  /** Creates the error for `address`. */
  constructor(address: string, detail = "spawn it first or check the name") {
    super(`Cannot deliver message: process "${address}" is unknown; ${detail}`);
    this.name = "UnknownProcessError";
    this.address = address;
  }
}

/**
 * The process's machine crashed or the process was stopped while it waited.
 *
 * @example Stopped process
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessStoppedError } from "./errors.ts";
 * assert.match(new ProcessStoppedError("kv@m1.lab").message, /kv@m1.lab/);
 * ```
 */
export class ProcessStoppedError extends Error {
  /** The stopped process. */
  readonly address: string;
  /** Creates the error for `address`. */
  constructor(address: string) {
    super(`Cannot continue: process "${address}" was stopped (its machine crashed or shut down)`);
    this.name = "ProcessStoppedError";
    this.address = address;
  }
}
