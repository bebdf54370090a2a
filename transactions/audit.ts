/**
 * An auditor: once the clients are done, it asks the coordinator and every participant for
 * their state until nobody is in doubt or busy (blocked participants recover first), then checks
 * all-or-nothing and adds up the data.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { canonical } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import { numberOption, stringOption } from "./_options.ts";
import { type AtomicityReport, checkAtomicity } from "./atomicity_check.ts";
import type { CoordinatorStatus, ParticipantStatus } from "./messages.ts";

/** Options of {@link audit}. */
export interface AuditOptions {
  /** The coordinator's address. */
  readonly coordinator: string;
  /** Every participant's address. */
  readonly participants: readonly string[];
  /** How long to keep asking while someone is in doubt, busy or silent, in ms. @default 15000 */
  readonly settleMs?: number;
  /** Pause between two rounds of questions, in ms. @default 100 */
  readonly pollMs?: number;
  /** Ms to wait for each answer. @default 1000 */
  readonly timeout?: number;
}

/** What {@link audit} found. */
export interface Audit {
  /** The coordinator's last answer, if any. */
  readonly coordinator?: CoordinatorStatus;
  /** Each participant's last answer, by address. */
  readonly participants: Readonly<Record<string, ParticipantStatus>>;
  /** Processes that did not answer in the last round. */
  readonly silent: readonly string[];
  /** The all-or-nothing verdict. */
  readonly atomicity: AtomicityReport;
  /** Sum of every numeric value held by the participants. */
  readonly total: number;
  /** Whether the last round found everyone answering, nobody in doubt and nothing running. */
  readonly settled: boolean;
  /** Rounds of questions asked. */
  readonly rounds: number;
}

/**
 * Audits the transaction system from process `ctx`.
 *
 * @example Auditing two quiet participants
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { audit, type Audit } from "./audit.ts";
 * import { transactionCoordinator } from "./coordinator_process.ts";
 * import { transactionParticipant } from "./participant_process.ts";
 * const sim = new Simulator({ seed: 6 });
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * sim.machine("p1.lab").spawn("bank", transactionParticipant({ initial: { a: 60 } }));
 * sim.machine("p2.lab").spawn("bank", transactionParticipant({ initial: { b: 40 } }));
 * let result: Audit | undefined;
 * sim.machine("audit.lab").spawn("auditor", async (ctx) => {
 *   result = await audit(ctx, { coordinator: "tm@coord.lab", participants: ["bank@p1.lab", "bank@p2.lab"] });
 * });
 * await sim.run();
 * assert.equal(result!.total, 100);
 * assert.ok(result!.settled && result!.atomicity.holds);
 * ```
 */
export async function audit(ctx: ProcessContext, options: AuditOptions): Promise<Audit> {
  const owner = "an audit";
  const coordinator = canonical(stringOption(owner, "coordinator", options?.coordinator));
  const participants = (options.participants ?? []).map((p) => canonical(p));
  const settleMs = numberOption(owner, "settleMs", options.settleMs, 15000);
  const pollMs = numberOption(owner, "pollMs", options.pollMs, 100, 1);
  const timeout = numberOption(owner, "timeout", options.timeout, 1000, 1);
  const ask = async <S>(address: string): Promise<S | undefined> => {
    // Three tries: without the reliable channel a question or its answer may be lost.
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return (await ctx.request<S>(address, { kind: "tx-status" }, { timeout })).body;
      } catch (error) {
        if (error instanceof UnknownProcessError) return undefined;
        if (!(error instanceof TimeoutError)) throw error;
      }
    }
    return undefined;
  };
  const deadline = ctx.now() + settleMs;
  let rounds = 0;
  for (;;) {
    rounds++;
    const silent: string[] = [];
    const statuses: Record<string, ParticipantStatus> = {};
    for (const p of participants) {
      const status = await ask<ParticipantStatus>(p);
      if (status === undefined) silent.push(p);
      else statuses[p] = status;
    }
    const tm = await ask<CoordinatorStatus>(coordinator);
    if (tm === undefined) silent.push(coordinator);
    const busy = Object.values(statuses).some((s) => s.inDoubt.length > 0 || s.active > 0) ||
      (tm?.voting ?? 0) > 0;
    const settled = silent.length === 0 && !busy;
    if (settled || ctx.now() >= deadline) {
      let total = 0;
      for (const s of Object.values(statuses)) {
        for (const value of Object.values(s.data)) if (typeof value === "number") total += value;
      }
      return {
        coordinator: tm,
        participants: statuses,
        silent,
        atomicity: checkAtomicity(tm, statuses),
        total,
        settled,
        rounds,
      };
    }
    await ctx.sleep(pollMs);
  }
}
