/**
 * The all-or-nothing check: given the coordinator's decision log and every participant's
 * outcomes, did every participant of a committed transaction apply it, and no participant apply
 * a transaction that did not commit?
 * @module
 */
import type { CoordinatorStatus, Decision, ParticipantStatus } from "./messages.ts";

/** What {@link checkAtomicity} found. */
export interface AtomicityReport {
  /** Transactions with a logged decision. */
  readonly transactions: number;
  /** Of those, committed. */
  readonly committed: number;
  /** Of those, aborted. */
  readonly aborted: number;
  /** Transactions some participant still waits on (voted yes, no decision yet). */
  readonly inDoubt: number;
  /** Every broken promise, one line each. */
  readonly violations: readonly string[];
  /** Processes whose state was missing, so that some transactions could not be checked. */
  readonly unchecked: readonly string[];
  /** No violation, nobody in doubt, nothing unchecked. */
  readonly holds: boolean;
}

/**
 * Checks all-or-nothing across `participants` (by address) against the coordinator's log. With
 * no `coordinator` (it did not answer) only the participants are compared with each other.
 *
 * @example A committed transaction missing at one participant
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAtomicity } from "./atomicity_check.ts";
 * const coordinator = {
 *   kind: "tx-coordinator-status" as const, incarnation: 1, voting: 0, unacknowledged: 0,
 *   decisions: { t1: { decision: "commit" as const, participants: ["a@p1.lab", "b@p2.lab"] } },
 * };
 * const status = (outcomes: Record<string, "commit" | "abort">) => ({
 *   kind: "tx-participant-status" as const, data: {}, outcomes, inDoubt: [], active: 0, blockedMs: 0,
 * });
 * const ok = checkAtomicity(coordinator, { "a@p1.lab": status({ t1: "commit" }), "b@p2.lab": status({ t1: "commit" }) });
 * assert.ok(ok.holds);
 * const broken = checkAtomicity(coordinator, { "a@p1.lab": status({ t1: "commit" }), "b@p2.lab": status({}) });
 * assert.deepEqual(broken.violations, ["t1: committed, but b@p2.lab did not apply it"]);
 * ```
 */
export function checkAtomicity(
  coordinator: CoordinatorStatus | undefined,
  participants: Readonly<Record<string, ParticipantStatus>>,
): AtomicityReport {
  const violations: string[] = [];
  const unchecked = new Set<string>();
  if (coordinator === undefined) unchecked.add("the coordinator");
  const decisions = coordinator?.decisions ?? {};
  const inDoubt = new Set<string>();
  for (const status of Object.values(participants)) {
    for (const d of status.inDoubt) inDoubt.add(d.txid);
  }
  let committed = 0, aborted = 0;
  for (const [txid, { decision, participants: involved }] of Object.entries(decisions)) {
    if (decision === "commit") committed++;
    else aborted++;
    if (decision !== "commit") continue;
    for (const p of involved) {
      const status = participants[p];
      if (status === undefined) unchecked.add(p);
      else if (status.outcomes[txid] !== "commit" && !inDoubt.has(txid)) {
        violations.push(`${txid}: committed, but ${p} did not apply it`);
      }
    }
  }
  const seen = new Map<string, Map<Decision, string>>();
  for (const [p, status] of Object.entries(participants)) {
    for (const [txid, outcome] of Object.entries(status.outcomes)) {
      let outcomes = seen.get(txid);
      if (outcomes === undefined) seen.set(txid, outcomes = new Map());
      outcomes.set(outcome, p);
      if (
        coordinator !== undefined && outcome === "commit" &&
        decisions[txid]?.decision !== "commit"
      ) {
        violations.push(`${txid}: ${p} applied it, but the coordinator did not decide commit`);
      }
    }
  }
  for (const [txid, outcomes] of seen) {
    if (outcomes.size > 1) {
      violations.push(
        `${txid}: ${outcomes.get("commit")} committed it and ${outcomes.get("abort")} aborted it`,
      );
    }
  }
  return {
    transactions: committed + aborted,
    committed,
    aborted,
    inDoubt: inDoubt.size,
    violations,
    unchecked: [...unchecked],
    holds: violations.length === 0 && inDoubt.size === 0 && unchecked.size === 0,
  };
}
