/**
 * The outcome of a `lab three-tier` run: the summary (printed as JSON with `--json`) and the
 * table of latency per tier, messages per request and the connection pool's counters.
 * @module
 */
import { latencyRows, percentile, type Summary, table } from "../_common.ts";
import type { ThreeTierArgs } from "./_flags.ts";
import { tierReport } from "./_report.ts";
import type { ThreeTierRun } from "./_run.ts";
import type { Deployment } from "../deploy/deploy.ts";
import { keepSummary } from "../results/session.ts";
import { lostFields, printPartial } from "../deploy/lost_run.ts";

/** What {@link printThreeTier} reports on besides the deployment. */
export interface ThreeTierOutcome {
  /** What the users gathered. */
  readonly run: ThreeTierRun;
  /** The parsed flags of the run. */
  readonly args: ThreeTierArgs;
  /** `performance.now()` at the start, for the wall time. */
  readonly started: number;
}

/**
 * Prints the outcome of a run on the stopped `deployment`: one JSON line with `--json`, else the
 * table.
 */
export function printThreeTier(deployment: Deployment, outcome: ThreeTierOutcome): void {
  const { run, started } = outcome;
  const { common } = outcome.args;
  const trace = deployment.trace;
  const report = tierReport(run.records, trace);
  const latencies = run.records.filter((r) => r.status !== 0).map((r) => r.latencyMs);
  const statuses: Record<string, number> = {};
  for (const r of run.records) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const errors = run.records.filter((r) => r.status === 0 || r.status >= 500).length;
  const stats = deployment.stats();
  const partial = lostFields(run.lost, run.stopped === undefined ? [] : [run.stopped]);
  const summary: Summary = {
    architecture: "three-tier",
    transport: deployment.transport,
    seed: common.seed,
    requests: run.records.length,
    messages: report.messages,
    bytes: stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors,
    traceDigest: trace.digest(),
    perTier: report.perTier,
    messagesPerRequest: report.messagesPerRequest,
    localMessagesPerRequest: report.localMessagesPerRequest,
    statuses,
    pool: run.pool,
    frames: stats.frames,
    acks: stats.acks,
    ...partial,
  };
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const tierRows: [string, string][] = Object.entries(report.perTier).map(([tier, t]) => [
    `  ${tier}`,
    `${t.mean.toFixed(3)} ms mean, ${t.p50.toFixed(3)} ms p50`,
  ]);
  const pool = run.pool;
  console.log("");
  printPartial(partial);
  console.log(table([
    ["architecture", "three-tier"],
    ["transport", summary.transport],
    ["seed", summary.seed],
    [
      "requests",
      `${summary.requests} (${
        Object.entries(statuses).map(([s, n]) => `${s === "0" ? "no answer" : s}: ${n}`).join(", ")
      })`,
    ],
    ...latencyRows(summary.latency, latencies.length, "", "no request was answered"),
    ["latency added per tier", ""],
    ...tierRows,
    [
      "messages per request",
      `${report.messagesPerRequest} between tiers, ${report.localMessagesPerRequest} inside a tier` +
      (common.sim ? " (+2 for the HTTP request and response)" : " (+ the HTTP exchange)"),
    ],
    ["messages", `${summary.messages} (frames on the wire ${stats.frames}, acks ${stats.acks})`],
    ["bytes", summary.bytes],
    [
      "connection pool",
      pool === undefined
        ? "no answer"
        : `size ${pool.size}, leases ${pool.acquired}, waited ${pool.waited}, timeouts ${pool.timeouts}, longest queue ${pool.maxQueued}`,
    ],
    ["retransmissions", summary.retransmissions],
    ["errors (5xx, no answer)", summary.errors],
    ...(partial.machinesLost === undefined ? [] : [
      ["machines lost", partial.machinesLost.join(", ")] as [string, string],
    ]),
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${(performance.now() - started).toFixed(0)} ms`],
  ]));
  if (common.trace) console.log(`trace written to ${common.trace}`);
}
