/**
 * Errors a transaction's client catches: it was aborted (retry it), or its outcome could not be
 * learned (the coordinator is unreachable; the participants will learn it, the client did not).
 * @module
 */

/** Why a transaction was aborted before its end. */
export type AbortReason =
  | "conflict"
  | "unknown"
  | "prepared"
  | "invalid"
  | "timeout"
  | "unreachable";

/**
 * The transaction was aborted: a lock conflict, a participant that lost it, a timeout. Nothing
 * it wrote was applied anywhere; the caller may retry with a new transaction.
 *
 * @example A conflict
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransactionAbortedError } from "./transaction_errors.ts";
 * const error = new TransactionAbortedError("t1", "conflict", "Cannot lock \"x\"");
 * assert.equal(error.reason, "conflict");
 * assert.match(error.message, /^Cannot complete transaction "t1": aborted \(conflict\)/);
 * ```
 */
export class TransactionAbortedError extends Error {
  /** The transaction. */
  readonly txid: string;
  /** Why it was aborted. */
  readonly reason: AbortReason;
  /** Creates the error. */
  constructor(txid: string, reason: AbortReason, detail: string) {
    super(`Cannot complete transaction "${txid}": aborted (${reason}): ${detail}`);
    this.name = "TransactionAbortedError";
    this.txid = txid;
    this.reason = reason;
  }
}

/**
 * END got no answer from the coordinator after every attempt: the transaction committed or
 * aborted, everywhere alike, but this client does not know which.
 *
 * @example In doubt
 * ```ts
 * import assert from "node:assert/strict";
 * import { TransactionInDoubtError } from "./transaction_errors.ts";
 * const error = new TransactionInDoubtError("t1", 3);
 * assert.equal(error.attempts, 3);
 * assert.match(error.message, /outcome unknown after 3 attempts/);
 * ```
 */
export class TransactionInDoubtError extends Error {
  /** The transaction. */
  readonly txid: string;
  /** END requests sent. */
  readonly attempts: number;
  /** Creates the error. */
  constructor(txid: string, attempts: number) {
    super(
      `Cannot learn how transaction "${txid}" ended: outcome unknown after ${attempts} attempts; ` +
        "its participants will still agree; ask the coordinator again later",
    );
    this.name = "TransactionInDoubtError";
    this.txid = txid;
    this.attempts = attempts;
  }
}
