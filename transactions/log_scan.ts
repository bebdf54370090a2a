/**
 * Reading a transaction log at boot (recovery) or in an audit: what a participant decided and
 * what it still waits on; what a coordinator decided and which decisions are not yet
 * acknowledged by every participant.
 * @module
 */
import type { LogRecord, PreparedRecord } from "./log_records.ts";
import type { Decision } from "./messages.ts";

/** What a participant's log says. */
export interface ParticipantLogScan {
  /** Outcome of every transaction it logged one for. */
  readonly outcomes: Map<string, Decision>;
  /** Prepared transactions with no outcome yet: in doubt. */
  readonly inDoubt: PreparedRecord[];
  /** Longest logged wait between a yes vote and the decision, in ms. */
  readonly blockedMs: number;
}

/**
 * Scans a participant's log.
 *
 * @example One transaction decided, one in doubt
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanParticipantLog } from "./log_scan.ts";
 * const prepared = (txid: string) => ({ type: "prepared" as const, txid, coordinator: "tm@c.lab", writes: [], locks: [], at: 0 });
 * const scan = scanParticipantLog([
 *   prepared("t1"), prepared("t2"),
 *   { type: "outcome", txid: "t1", decision: "commit", blockedMs: 12 },
 * ]);
 * assert.deepEqual([...scan.outcomes], [["t1", "commit"]]);
 * assert.deepEqual(scan.inDoubt.map((r) => r.txid), ["t2"]);
 * assert.equal(scan.blockedMs, 12);
 * ```
 */
export function scanParticipantLog(log: readonly LogRecord[]): ParticipantLogScan {
  const outcomes = new Map<string, Decision>();
  const prepared = new Map<string, PreparedRecord>();
  let blockedMs = 0;
  for (const record of log) {
    if (record.type === "prepared") prepared.set(record.txid, record);
    else if (record.type === "outcome") {
      prepared.delete(record.txid);
      outcomes.set(record.txid, record.decision);
      blockedMs = Math.max(blockedMs, record.blockedMs);
    }
  }
  return { outcomes, inDoubt: [...prepared.values()], blockedMs };
}

/** A logged decision and the participants it involves. */
export interface LoggedDecision {
  /** Commit or abort. */
  readonly decision: Decision;
  /** Participants the decision involves. */
  readonly participants: string[];
}

/** What a coordinator's log says. */
export interface CoordinatorLogScan {
  /** Every logged decision, by transaction. */
  readonly decisions: Map<string, LoggedDecision>;
  /** Decisions without an "end" record: some participant may not have applied them yet. */
  readonly unended: string[];
}

/**
 * Scans a coordinator's log.
 *
 * @example A decision still to be acknowledged
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanCoordinatorLog } from "./log_scan.ts";
 * const scan = scanCoordinatorLog([
 *   { type: "decision", txid: "t1", decision: "commit", participants: ["a@p1.lab"] },
 *   { type: "decision", txid: "t2", decision: "abort", participants: ["a@p1.lab"] },
 *   { type: "end", txid: "t2" },
 * ]);
 * assert.equal(scan.decisions.get("t2")?.decision, "abort");
 * assert.deepEqual(scan.unended, ["t1"]);
 * ```
 */
export function scanCoordinatorLog(log: readonly LogRecord[]): CoordinatorLogScan {
  const decisions = new Map<string, LoggedDecision>();
  const ended = new Set<string>();
  for (const record of log) {
    if (record.type === "decision") {
      decisions.set(record.txid, {
        decision: record.decision,
        participants: [...record.participants],
      });
    } else if (record.type === "end") ended.add(record.txid);
  }
  return { decisions, unended: [...decisions.keys()].filter((txid) => !ended.has(txid)) };
}
