/**
 * The error a communicator raises when a receive or a collective cannot complete.
 * @module
 */

/**
 * A receive or a collective operation could not complete: some ranks sent nothing in time
 * (they crashed, or they did not call the same operation), or the ranks called different
 * collectives.
 *
 * @example Which rank is missing
 * ```ts
 * import assert from "node:assert/strict";
 * import { CommunicatorError } from "./mpi_errors.ts";
 * const error = new CommunicatorError("barrier", [2], "rank 2 (spmd@rank2.lab) sent nothing within 500 ms");
 * assert.deepEqual(error.missing, [2]);
 * assert.match(error.message, /^Cannot complete barrier: rank 2/);
 * ```
 */
export class CommunicatorError extends Error {
  /** The operation that failed: `recv`, `barrier`, `bcast`, `gather`, ... or `init`. */
  readonly operation: string;
  /** Ranks that did not answer (empty when the ranks disagreed on the operation). */
  readonly missing: readonly number[];

  /** Creates the error for `operation`, naming the `missing` ranks and why. */
  constructor(operation: string, missing: readonly number[], detail: string) {
    super(`Cannot complete ${operation}: ${detail}`);
    this.name = "CommunicatorError";
    this.operation = operation;
    this.missing = missing;
  }
}
