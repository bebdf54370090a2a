/**
 * What a participant remembers of one transaction: its private workspace (writes nobody else
 * sees until commit), how many operations it saw, and, once prepared, its coordinator and when
 * to ask again.
 * @module
 */

/** One transaction at a participant. */
export interface ParticipantTx {
  /** The transaction. */
  readonly txid: string;
  /** Operations seen so far (reads and writes). */
  ops: number;
  /** The private workspace: values written, by key. */
  readonly workspace: Map<string, unknown>;
  /** `active` until it votes yes, then `prepared` (in doubt) until the decision. */
  state: "active" | "prepared";
  /** Time of the latest operation. */
  lastActive: number;
  /** Coordinator that sent "prepare" (the one to ask). */
  coordinator: string;
  /** Time of the yes vote. */
  preparedAt: number;
  /** When to ask the coordinator next. */
  nextQuery: number;
  /** Gap before the next query (doubles up to a cap). */
  queryDelay: number;
}

/**
 * A new active transaction `txid` at time `now`.
 *
 * @example A fresh transaction
 * ```ts
 * import assert from "node:assert/strict";
 * import { newParticipantTx } from "./_participant_tx.ts";
 * const tx = newParticipantTx("t1", 5, 200);
 * assert.equal(tx.state, "active");
 * assert.equal(tx.workspace.size, 0);
 * ```
 */
export function newParticipantTx(txid: string, now: number, queryMs: number): ParticipantTx {
  return {
    txid,
    ops: 0,
    workspace: new Map(),
    state: "active",
    lastActive: now,
    coordinator: "",
    preparedAt: 0,
    nextQuery: Infinity,
    queryDelay: queryMs,
  };
}
