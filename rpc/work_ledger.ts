/**
 * Measuring orphans: a ledger the servers fill (each call's start, each unit of work, its end)
 * and that, given the times the client machines crashed, tells which computations were orphans
 * and how much work was done for calls nobody waited for.
 * @module
 */
import { machineOf } from "../core/name.ts";

/** How a computation ended. */
export type CallOutcome = "done" | "failed" | "killed";

/** What a server reports about its computations (see `serveRpc`'s `ledger` option). */
export interface WorkSink {
  /** A computation started. */
  began(call: CallStart): void;
  /** Call `id` finished one unit of work at time `at`. */
  unit(id: string, at: number): void;
  /** Call `id` ended at `at`; `reason` says why a killed one was killed. */
  ended(id: string, at: number, outcome: CallOutcome, reason?: string): void;
}

/** The start of a computation. */
export interface CallStart {
  /** The call's id. */
  readonly id: string;
  /** The caller's address. */
  readonly owner: string;
  /** The server's address. */
  readonly server: string;
  /** The procedure. */
  readonly method: string;
  /** When the caller sent it. */
  readonly sent: number;
  /** When the server started it. */
  readonly at: number;
}

/** One computation, as the ledger saw it. */
export interface CallRecord extends CallStart {
  /** Times at which each unit of work finished. */
  readonly units: number[];
  /** When it ended, if it did. */
  ended?: number;
  /** How it ended, if it did. */
  outcome?: CallOutcome;
  /** Why it was killed. */
  reason?: string;
}

/** A crash of a machine. */
export interface MachineCrash {
  /** `machine.domain`. */
  readonly machine: string;
  /** Time of the crash. */
  readonly at: number;
}

/** What {@link WorkLedger.report} found. */
export interface OrphanReport {
  /** Computations started. */
  readonly calls: number;
  /** Units of work done in all. */
  readonly work: number;
  /** Computations whose caller crashed after sending the call and before the reply left. */
  readonly orphans: number;
  /** Orphans that a policy killed. */
  readonly killed: number;
  /** Units of work done for orphans after their caller crashed. */
  readonly wastedWork: number;
  /**
   * Computations killed although their caller still waited (a probe or a renewal that went
   * unanswered); 0 when the policy kills only orphans.
   */
  readonly collateral: number;
  /** Units of work thrown away with the collateral kills. */
  readonly lostWork: number;
  /** Orphans that ran to the end and sent a reply nobody waited for. */
  readonly lateReplies: number;
}

/**
 * Records the work of every computation and judges it against the crashes of the callers.
 *
 * @example An orphan's work after the crash is wasted
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkLedger } from "./work_ledger.ts";
 * const ledger = new WorkLedger();
 * ledger.began({ id: "a", owner: "client@c1.lab", server: "rpc@s1.lab", method: "crunch", sent: 0, at: 1 });
 * for (const t of [2, 3, 4, 5]) ledger.unit("a", t);
 * ledger.ended("a", 5, "killed", "exterminated");
 * const report = ledger.report([{ machine: "c1.lab", at: 2.5 }]);
 * assert.deepEqual(
 *   [report.orphans, report.killed, report.wastedWork, report.collateral],
 *   [1, 1, 3, 0],
 * );
 * ```
 */
export class WorkLedger implements WorkSink {
  readonly #records = new Map<string, CallRecord>();

  /** See {@link WorkSink.began}. */
  began(call: CallStart): void {
    this.#records.set(call.id, { ...call, units: [] });
  }

  /** See {@link WorkSink.unit}. */
  unit(id: string, at: number): void {
    this.#records.get(id)?.units.push(at);
  }

  /** See {@link WorkSink.ended}. */
  ended(id: string, at: number, outcome: CallOutcome, reason?: string): void {
    const record = this.#records.get(id);
    if (record === undefined) return;
    record.ended = at;
    record.outcome = outcome;
    if (reason !== undefined) record.reason = reason;
  }

  /** Every computation recorded, in the order they started. */
  records(): readonly CallRecord[] {
    return [...this.#records.values()];
  }

  /** Judges every computation against `crashes` of the callers' machines. */
  report(crashes: readonly MachineCrash[]): OrphanReport {
    let work = 0, orphans = 0, killed = 0, wastedWork = 0, collateral = 0, lostWork = 0;
    let lateReplies = 0;
    for (const record of this.#records.values()) {
      work += record.units.length;
      const machine = machineOf(record.owner);
      const crash = crashes.find((c) =>
        c.machine === machine && record.sent <= c.at && (record.ended ?? Infinity) > c.at
      );
      if (crash === undefined) {
        if (record.outcome === "killed") {
          collateral++;
          lostWork += record.units.length;
        }
        continue;
      }
      orphans++;
      wastedWork += record.units.filter((t) => t > crash.at).length;
      if (record.outcome === "killed") killed++;
      else if (record.outcome !== undefined) lateReplies++;
    }
    return {
      calls: this.#records.size,
      work,
      orphans,
      killed,
      wastedWork,
      collateral,
      lostWork,
      lateReplies,
    };
  }
}
