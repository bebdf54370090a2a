/**
 * The verdict of a checked run, as `--json` prints it, and as a person reads it: the figures,
 * every anomaly, and a failing lin-kv window as a table with a timeline.
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import { percentile, table } from "../_common.ts";
import type { History } from "./history.ts";
import type { NemesisEvent } from "./nemesis.ts";
import type { NodeFailure } from "./node_harness.ts";
import type { Anomaly, WindowRow, WorkloadResult } from "./workload.ts";

/** The `--json` verdict of `lab check`. */
export interface CheckReport {
  /** The workload. */
  workload: string;
  /** Whether no anomaly was found. */
  valid: boolean;
  /** Operations the clients issued (final reads not counted). */
  ops: number;
  /** Operations that succeeded. */
  ok: number;
  /** Operations that definitely failed (an error reply with a definite code). */
  failed: number;
  /** Operations of unknown outcome (timeouts, indefinite errors). */
  indeterminate: number;
  /** Latency of the answered operations, in ms. */
  latency: { p50: number; p99: number; max: number };
  /** Messages between nodes per operation. */
  msgsPerOp: number;
  /** Everything found wrong. */
  anomalies: Anomaly[];
  /** Where it ran. */
  transport: "sim" | TransportName;
  /** The seed the run replays from. */
  seed: number;
  /** Nodes. */
  nodes: number;
  /** Clients. */
  clients: number;
  /** The fault windows of the nemesis. */
  nemesis: NemesisEvent[];
  /** SHA-256 of the history: the same seed gives the same history. */
  historyDigest: string;
  /** The workload's own figures. */
  details: Record<string, unknown>;
}

/** What {@link buildReport} needs of a run: in the simulator (`simulateCheck`) or on real sockets. */
export interface CheckedRun {
  /** Every operation. */
  readonly history: History;
  /** The nodes, the messages between them, and exceptions that escaped their code. */
  readonly harness: {
    readonly nodes: readonly string[];
    readonly messages: number;
    readonly failures: readonly NodeFailure[];
  };
  /** The fault windows the nemesis opened. */
  readonly nemesis: readonly NemesisEvent[];
  /** Why the run stopped early. */
  readonly errors: readonly string[];
  /** Whether every client finished (and the final reads, when the workload wants them). */
  readonly finished: boolean;
  /** Clients that ran the workload. */
  readonly clients: number;
  /** Where it ran. @default "sim" */
  readonly transport?: "sim" | TransportName;
  /** When it stopped, in ms. @default the simulator's clock */
  readonly time?: number;
  /** The simulator, for a simulated run. @default none */
  readonly sim?: { readonly now: number };
}

/**
 * Builds the verdict from a run and its workload check.
 *
 * @example A clean run
 * ```ts
 * import assert from "node:assert/strict";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { buildReport } from "./report.ts";
 * import { simulateCheck } from "./simulate.ts";
 * const workload = echoWorkload();
 * const run = await simulateCheck(async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive<{ kind: string; echo?: unknown }>();
 *     if (m.body.kind === "echo") await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
 *   }
 * }, workload, { ops: 10 });
 * const report = buildReport(run, workload.name, workload.check(run.history.ops), { seed: 1 });
 * assert.equal(report.valid, true);
 * assert.equal(report.ok, 10);
 * ```
 */
export function buildReport(
  run: CheckedRun,
  workload: string,
  result: WorkloadResult,
  meta: { seed: number },
): CheckReport {
  const main = run.history.ops.filter((op) => op.phase === "main");
  const count = (status: string) => main.filter((op) => op.status === status).length;
  const latencies = main.filter((op) => op.status !== "info").map((op) => op.complete - op.invoke);
  const anomalies: Anomaly[] = [];
  for (const failure of run.harness.failures) {
    anomalies.push({
      type: "node-failed",
      message: `${failure.node} threw at ${failure.at.toFixed(3)} ms: ${
        failure.error.split("\n")[0]
      }`,
      node: failure.node,
      at: failure.at,
      error: failure.error,
    });
  }
  for (const error of run.errors) {
    if (run.harness.failures.length > 0 && !error.startsWith("unhandled")) continue;
    anomalies.push({ type: "run-failed", message: error.split("\n")[0], error });
  }
  if (!run.finished && run.errors.length === 0) {
    anomalies.push({
      type: "incomplete",
      message: `the run stopped at ${
        (run.time ?? run.sim?.now ?? 0).toFixed(0)
      } ms before every client finished`,
    });
  }
  anomalies.push(...result.anomalies);
  return {
    workload,
    valid: anomalies.length === 0,
    ops: main.length,
    ok: count("ok"),
    failed: count("fail"),
    indeterminate: count("info"),
    latency: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: percentile(latencies, 100),
    },
    msgsPerOp: main.length === 0
      ? 0
      : Math.round((run.harness.messages / main.length) * 1000) / 1000,
    anomalies,
    transport: run.transport ?? "sim",
    seed: meta.seed,
    nodes: run.harness.nodes.length,
    clients: run.clients,
    nemesis: [...run.nemesis],
    historyDigest: run.history.digest(),
    details: { ...result.details },
  };
}

const BAR = 40;

/**
 * A failing window as a table, with each operation's span drawn on a timeline
 * (`|` call, `=` running, `|` return; `>` for one that never returned).
 *
 * @example Two operations
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowTable } from "./report.ts";
 * const text = windowTable([
 *   { index: 0, client: "client@c1.lab", node: "node@n1.lab", op: "write 1 ok", invoke: 0, complete: 10 },
 *   { index: 1, client: "client@c2.lab", node: "node@n2.lab", op: "read nil", invoke: 12, complete: 20, mark: "failing" },
 * ]);
 * assert.match(text, /read nil .*<- not linearizable/);
 * ```
 */
export function windowTable(rows: readonly WindowRow[]): string {
  const start = Math.min(...rows.map((r) => r.invoke));
  const end = Math.max(...rows.map((r) => r.complete ?? r.invoke));
  const scale = (t: number) => Math.round(((t - start) / Math.max(end - start, 1e-9)) * (BAR - 1));
  const lines = rows.map((r) => {
    const from = scale(r.invoke);
    const to = r.complete === null ? BAR - 1 : scale(r.complete);
    const bar = " ".repeat(from) +
      (r.complete === null
        ? "|" + "=".repeat(Math.max(0, to - from - 1)) + ">"
        : to === from
        ? "|"
        : "|" + "=".repeat(Math.max(0, to - from - 1)) + "|");
    const mark = r.mark === "failing"
      ? "  <- not linearizable"
      : r.mark === "pending"
      ? "  (still running)"
      : "";
    return [
      `#${r.index}`,
      r.client,
      r.node,
      r.op,
      r.invoke.toFixed(1),
      r.complete === null ? "-" : r.complete.toFixed(1),
      bar.padEnd(BAR) + mark,
    ];
  });
  const head = ["op", "client", "node", "operation", "invoke", "complete", "timeline (ms)"];
  const all = [head, ...lines];
  const widths = head.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  return all.map((row) => row.map((cell, c) => c === 6 ? cell : cell.padEnd(widths[c])).join("  "))
    .join("\n");
}

/**
 * The human verdict: figures, then `valid` or every anomaly (with windows as tables).
 *
 * @example An invalid run
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatReport, type CheckReport } from "./report.ts";
 * const report: CheckReport = {
 *   workload: "echo", valid: false, ops: 1, ok: 1, failed: 0, indeterminate: 0,
 *   latency: { p50: 2, p99: 2, max: 2 }, msgsPerOp: 0, transport: "sim", seed: 1, nodes: 1,
 *   clients: 1, nemesis: [], historyDigest: "ab", details: {},
 *   anomalies: [{ type: "wrong-echo", message: "node@n1.lab echoed 2 for 1" }],
 * };
 * assert.match(formatReport(report, { wallMs: 5, checkMs: 1 }), /INVALID: 1 anomaly/);
 * ```
 */
export function formatReport(
  report: CheckReport,
  timing: { wallMs: number; checkMs: number },
): string {
  const faults = new Map<string, number>();
  for (const e of report.nemesis) faults.set(e.kind, (faults.get(e.kind) ?? 0) + 1);
  const rows: [string, string | number][] = [
    ["workload", report.workload],
    ...(report.transport !== "sim"
      ? [
        ["transport", `${report.transport} (each node an OS process on 127.0.0.1)`] as [
          string,
          string,
        ],
      ]
      : []),
    ["nodes", `${report.nodes} (clients ${report.clients}, seed ${report.seed})`],
    [
      "operations",
      `${report.ops} (ok ${report.ok}, failed ${report.failed}, indeterminate ${report.indeterminate})`,
    ],
    [
      "latency",
      `p50 ${report.latency.p50.toFixed(3)} ms, p99 ${report.latency.p99.toFixed(3)} ms, max ${
        report.latency.max.toFixed(3)
      } ms`,
    ],
    ["msgs/op", report.msgsPerOp],
  ];
  const stable = report.details.stableLatency as { p50: number; max: number } | undefined;
  if (stable) {
    rows.push([
      "stable latency",
      `p50 ${stable.p50.toFixed(3)} ms, max ${stable.max.toFixed(3)} ms`,
    ]);
  }
  rows.push(
    ["faults", faults.size === 0 ? "none" : [...faults].map(([k, n]) => `${k} x${n}`).join(", ")],
    ["history digest", report.historyDigest.slice(0, 16)],
    ["wall time", `${timing.wallMs.toFixed(0)} ms (checker ${timing.checkMs.toFixed(0)} ms)`],
  );
  const out = [table(rows), ""];
  if (report.valid) {
    out.push("valid: every check passed");
    return out.join("\n");
  }
  const n = report.anomalies.length;
  out.push(`INVALID: ${n} ${n === 1 ? "anomaly" : "anomalies"}`);
  for (const anomaly of report.anomalies) {
    out.push(`  ${anomaly.type}: ${anomaly.message}`);
    const window = anomaly.window as WindowRow[] | undefined;
    if (window && window.length > 0) {
      out.push(
        anomaly.fromStart
          ? "  (from the start of the history)"
          : "  (fails from any state the earlier operations could have left)",
      );
      out.push(windowTable(window).split("\n").map((line) => `    ${line}`).join("\n"));
    }
  }
  return out.join("\n");
}
