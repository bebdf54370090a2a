/**
 * The messages of transactions, a closed union keyed on `kind`: clients ask the coordinator to
 * begin and end (BEGIN_TRANSACTION, END_TRANSACTION) and ask participants to read, write and
 * abort (READ, WRITE, ABORT_TRANSACTION); the coordinator runs two-phase commit with the
 * participants (prepare, vote, decision, ack) and answers in-doubt participants' queries.
 * @module
 */

/** What the coordinator decided: every participant applies it, or none does. */
export type Decision = "commit" | "abort";

/** How a transaction ended, as its client sees it. */
export type Outcome = "committed" | "aborted";

/** A participant's answer to "prepare": yes promises to commit if told so, even after a crash. */
export type Vote = "yes" | "no";

/** Why a participant refused a read, a write or an abort. */
export type RefusalReason = "conflict" | "unknown" | "prepared" | "invalid";

/** Client → coordinator (request): BEGIN_TRANSACTION. */
export interface BeginRequest {
  /** Message kind. */
  readonly kind: "tx-begin";
}

/** Coordinator → client (reply): the new transaction's id. */
export interface BeginReply {
  /** Message kind. */
  readonly kind: "tx-begun";
  /** The transaction. */
  readonly txid: string;
}

/**
 * Client → coordinator (request): END_TRANSACTION, commit what was done. `participants` maps
 * each participant the transaction touched to how many operations it sent there, so that a
 * participant that lost some of them (it restarted) votes no.
 */
export interface EndRequest {
  /** Message kind. */
  readonly kind: "tx-end";
  /** The transaction. */
  readonly txid: string;
  /** Operations sent to each participant, by address. */
  readonly participants: Readonly<Record<string, number>>;
}

/** Coordinator → client (reply): how the transaction ended. */
export interface OutcomeReply {
  /** Message kind. */
  readonly kind: "tx-outcome";
  /** The transaction. */
  readonly txid: string;
  /** Committed or aborted. */
  readonly outcome: Outcome;
}

/** Client → participant (request): READ; `n` numbers the operations at this participant. */
export interface ReadRequest {
  /** Message kind. */
  readonly kind: "tx-read";
  /** The transaction. */
  readonly txid: string;
  /** The key. */
  readonly key: string;
  /** Number of this operation at this participant: 1, 2, ... */
  readonly n: number;
}

/** Client → participant (request): WRITE into the transaction's private workspace. */
export interface WriteRequest {
  /** Message kind. */
  readonly kind: "tx-write";
  /** The transaction. */
  readonly txid: string;
  /** The key. */
  readonly key: string;
  /** The value. */
  readonly value: unknown;
  /** Number of this operation at this participant: 1, 2, ... */
  readonly n: number;
}

/** Client → participant (request): ABORT_TRANSACTION before END. */
export interface AbortRequest {
  /** Message kind. */
  readonly kind: "tx-abort";
  /** The transaction. */
  readonly txid: string;
}

/** Participant → client (reply): the value read (`null` when the key has none). */
export interface ValueReply {
  /** Message kind. */
  readonly kind: "tx-value";
  /** The key. */
  readonly key: string;
  /** The value. */
  readonly value: unknown;
}

/** Participant → client (reply): the write or abort was done. */
export interface DoneReply {
  /** Message kind. */
  readonly kind: "tx-done";
  /** The transaction. */
  readonly txid: string;
}

/** Participant → client (reply): the operation was refused; the transaction is aborted there. */
export interface RefusedReply {
  /** Message kind. */
  readonly kind: "tx-refused";
  /** The transaction. */
  readonly txid: string;
  /** Why it was refused. */
  readonly reason: RefusalReason;
  /** A message for people: what failed and what to do. */
  readonly detail: string;
}

/** Coordinator → participant: phase 1, "can you commit `txid` after `ops` operations?" */
export interface PrepareMessage {
  /** Message kind. */
  readonly kind: "tx-prepare";
  /** The transaction. */
  readonly txid: string;
  /** Operations the client sent to this participant. */
  readonly ops: number;
}

/** Participant → coordinator: the vote, sent after a yes was written to the participant's log. */
export interface VoteMessage {
  /** Message kind. */
  readonly kind: "tx-vote";
  /** The transaction. */
  readonly txid: string;
  /** Yes or no. */
  readonly vote: Vote;
  /** Why a no. */
  readonly reason?: string;
}

/** Coordinator → participant: phase 2, the logged decision (also the answer to a query). */
export interface DecisionMessage {
  /** Message kind. */
  readonly kind: "tx-decision";
  /** The transaction. */
  readonly txid: string;
  /** Commit or abort. */
  readonly decision: Decision;
}

/** Participant → coordinator: the decision is applied (the coordinator may forget it). */
export interface AckMessage {
  /** Message kind. */
  readonly kind: "tx-ack";
  /** The transaction. */
  readonly txid: string;
}

/** Participant → coordinator: "I voted yes and heard nothing: what was decided?" */
export interface QueryMessage {
  /** Message kind. */
  readonly kind: "tx-query";
  /** The transaction. */
  readonly txid: string;
}

/** Anyone → participant (request): the committed value of `key`, outside any transaction. */
export interface PeekRequest {
  /** Message kind. */
  readonly kind: "tx-peek";
  /** The key. */
  readonly key: string;
}

/** Anyone → participant or coordinator (request): its state, for audits and the lab. */
export interface StatusRequest {
  /** Message kind. */
  readonly kind: "tx-status";
}

/** A prepared transaction a participant is blocked on. */
export interface InDoubt {
  /** The transaction. */
  readonly txid: string;
  /** Its coordinator, the only one who may decide. */
  readonly coordinator: string;
  /** Ms since the participant voted yes. */
  readonly waitingMs: number;
  /** Keys it holds locked meanwhile. */
  readonly locks: readonly string[];
}

/** Participant → anyone (reply): committed data, outcomes and blocked transactions. */
export interface ParticipantStatus {
  /** Message kind. */
  readonly kind: "tx-participant-status";
  /** Committed values by key. */
  readonly data: Readonly<Record<string, unknown>>;
  /** Every transaction this participant logged an outcome for. */
  readonly outcomes: Readonly<Record<string, Decision>>;
  /** Transactions it voted yes on and still waits to hear about. */
  readonly inDoubt: readonly InDoubt[];
  /** Transactions begun here and not yet prepared. */
  readonly active: number;
  /** Longest wait, in ms, between voting yes and learning the decision. */
  readonly blockedMs: number;
}

/** Coordinator → anyone (reply): its decision log. */
export interface CoordinatorStatus {
  /** Message kind. */
  readonly kind: "tx-coordinator-status";
  /** Incarnation: how many times the coordinator started. */
  readonly incarnation: number;
  /** Every logged decision with the participants it involves. */
  readonly decisions: Readonly<
    Record<string, { readonly decision: Decision; readonly participants: readonly string[] }>
  >;
  /** Transactions collecting votes. */
  readonly voting: number;
  /** Decisions not yet acknowledged by every participant. */
  readonly unacknowledged: number;
}

/** Every message of the transaction protocol. */
export type TxMessage =
  | BeginRequest
  | BeginReply
  | EndRequest
  | OutcomeReply
  | ReadRequest
  | WriteRequest
  | AbortRequest
  | ValueReply
  | DoneReply
  | RefusedReply
  | PrepareMessage
  | VoteMessage
  | DecisionMessage
  | AckMessage
  | QueryMessage
  | PeekRequest
  | StatusRequest
  | ParticipantStatus
  | CoordinatorStatus;

/**
 * Whether `body` is an object with a string `kind` and, when `txid` is asked for, a string
 * `txid`: the first check every handler makes on a message from the network.
 *
 * @example Checking a message
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTxMessage } from "./messages.ts";
 * assert.ok(isTxMessage({ kind: "tx-ack", txid: "t1" }, true));
 * assert.ok(!isTxMessage({ kind: "tx-ack" }, true));
 * assert.ok(!isTxMessage("tx-ack", false));
 * ```
 */
export function isTxMessage(body: unknown, withTxid: boolean): body is TxMessage {
  if (typeof body !== "object" || body === null) return false;
  const record = body as Record<string, unknown>;
  if (typeof record.kind !== "string" || !record.kind.startsWith("tx-")) return false;
  return !withTxid || (typeof record.txid === "string" && record.txid !== "");
}
