/**
 * The records of the write-ahead logs kept in stable storage: a participant logs that it
 * prepared (with its workspace and locks) before it votes yes, and the outcome when it learns it;
 * the coordinator logs its decision before it sends phase 2, and the end once every participant
 * acknowledged it. Recovery reads nothing else.
 * @module
 */
import type { Decision } from "./messages.ts";

/** A lock mode: shared for reads, exclusive for writes. */
export type LockMode = "S" | "X";

/** Participant: voted yes on `txid`; it can no longer abort on its own. */
export interface PreparedRecord {
  /** Record type. */
  readonly type: "prepared";
  /** The transaction. */
  readonly txid: string;
  /** The coordinator to ask after a crash. */
  readonly coordinator: string;
  /** The private workspace: the values to install if the decision is commit. */
  readonly writes: readonly (readonly [string, unknown])[];
  /** The locks to take again after a crash. */
  readonly locks: readonly (readonly [string, LockMode])[];
  /** Participant time of the vote. */
  readonly at: number;
}

/** Participant: learned (or, before voting, chose) the outcome of `txid`. */
export interface OutcomeRecord {
  /** Record type. */
  readonly type: "outcome";
  /** The transaction. */
  readonly txid: string;
  /** Commit or abort. */
  readonly decision: Decision;
  /** Ms it waited between voting yes and learning the decision (0 when it never voted yes). */
  readonly blockedMs: number;
}

/** Coordinator: the decision on `txid`, forced to the log before phase 2. */
export interface DecisionRecord {
  /** Record type. */
  readonly type: "decision";
  /** The transaction. */
  readonly txid: string;
  /** Commit or abort. */
  readonly decision: Decision;
  /** Participants the decision involves. */
  readonly participants: readonly string[];
}

/** Coordinator: every participant acknowledged the decision on `txid`. */
export interface EndRecord {
  /** Record type. */
  readonly type: "end";
  /** The transaction. */
  readonly txid: string;
}

/** Any record of a transaction log. */
export type LogRecord = PreparedRecord | OutcomeRecord | DecisionRecord | EndRecord;
