/**
 * The per-tier analysis of a `lab three-tier` run: the latency each tier adds and the messages
 * one user request costs, between tier machines and inside one.
 * @module
 */
import { machineOf } from "../../core/name.ts";
import type { Trace } from "../../core/trace.ts";
import type { RequestRecord } from "../../tiers/three_tier/three_tier_workload.ts";
import { percentile } from "../_common.ts";
import { CONTROL_MACHINE } from "../deploy/deploy.ts";

const LAB_PROCESSES = new Set([
  `finder@${CONTROL_MACHINE}`,
  `collector@${CONTROL_MACHINE}`,
  `stats@${CONTROL_MACHINE}`,
]);

/** Where a request's time went, per tier, and what it cost in messages. */
export interface TierReport {
  /** Mean and median ms added by each tier; `client` is the network between user and presentation. */
  readonly perTier: Record<string, { mean: number; p50: number }>;
  /** Messages between the tier machines per user request. */
  readonly messagesPerRequest: number;
  /** Messages inside a tier machine (pool leases) per user request. */
  readonly localMessagesPerRequest: number;
  /** Core messages of the run, the lab's own bookkeeping excluded. */
  readonly messages: number;
}

function mean(values: readonly number[]): number {
  return values.length === 0
    ? 0
    : Math.round(values.reduce((a, b) => a + b, 0) / values.length * 1000) / 1000;
}

/**
 * Computes the per-tier latency and the messages per request from `records` and `trace`.
 *
 * @example One request, two messages between tiers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../../core/trace.ts";
 * import { tierReport } from "./command.ts";
 * const trace = new Trace();
 * trace.record({ t: 0, ev: "send", at: "a@web.lab", from: "a@web.lab", to: "logic@logic.lab" });
 * trace.record({ t: 1, ev: "send", at: "c@logic.lab", from: "c@logic.lab", to: "a@web.lab" });
 * const report = tierReport([
 *   { action: "list", status: 200, latencyMs: 5, timing: { presentation: 1, logic: 1, net: 2 } },
 * ], trace);
 * assert.equal(report.messagesPerRequest, 2);
 * assert.deepEqual(report.perTier["network user-presentation"], { mean: 1, p50: 1 });
 * ```
 */
export function tierReport(records: readonly RequestRecord[], trace: Trace): TierReport {
  const timed = records.filter((r) => r.status !== 0 && r.timing.presentation !== undefined);
  const perTier: Record<string, { mean: number; p50: number }> = {};
  for (const tier of ["presentation", "logic", "pool", "data", "net"]) {
    const values = timed.map((r) => r.timing[tier] ?? 0);
    perTier[tier === "net" ? "network between tiers" : tier] = {
      mean: mean(values),
      p50: percentile(values, 50),
    };
  }
  const client = timed.map((r) =>
    Math.max(0, r.latencyMs - Object.values(r.timing).reduce((a, b) => a + b, 0))
  );
  perTier["network user-presentation"] = { mean: mean(client), p50: percentile(client, 50) };
  let between = 0, local = 0, messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    if (LAB_PROCESSES.has(e.from) || LAB_PROCESSES.has(e.to)) continue;
    messages++;
    const a = machineOf(e.from), b = machineOf(e.to);
    if (a === CONTROL_MACHINE || b === CONTROL_MACHINE) continue;
    if (a === b) local++;
    else between++;
  }
  const n = Math.max(1, records.length);
  return {
    perTier,
    messagesPerRequest: Math.round(between / n * 1000) / 1000,
    localMessagesPerRequest: Math.round(local / n * 1000) / 1000,
    messages,
  };
}
