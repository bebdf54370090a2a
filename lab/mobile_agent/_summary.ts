/**
 * The summary of a `lab mobile-agent` run: the common summary fields over every comparison,
 * both approaches' totals, and one entry per selectivity (printed as JSON with `--json`).
 * @module
 */
import { percentile, type Summary } from "../_common.ts";
import { round, type RunComparison } from "./_compare.ts";
import { CONTROL_MACHINE, type Deployment } from "../deploy/deploy.ts";

/** The setup a {@link summarizeComparisons} reports next to the figures. */
export interface ComparisonRunSetup {
  /** Seed of the run. */
  readonly seed: number;
  readonly nodes: number;
  readonly rows: number;
  /** Itinerary kind. */
  readonly kind: string;
  /** The data nodes. */
  readonly stops: readonly string[];
}

/** Sums up `runs` on `dep` into the run's {@link Summary}. */
export function summarizeComparisons(
  runs: RunComparison[],
  dep: Deployment,
  setup: ComparisonRunSetup,
): Summary {
  const sum = (pick: (r: RunComparison) => number) => runs.reduce((n, r) => n + pick(r), 0);
  const failures = runs.flatMap((r) => r.agent.failures);
  const last = runs[runs.length - 1];
  const times = runs.flatMap((r) => [r.agent.ms, r.pull.ms]);
  const errors = runs.filter((r) => r.agent.status !== "done" || r.agree === false).length;
  return {
    architecture: "mobile-agent",
    transport: dep.transport,
    seed: setup.seed,
    requests: runs.length * 2,
    messages: sum((r) => r.agent.messages + r.pull.messages),
    bytes: sum((r) => r.agent.bytes + r.pull.bytes),
    latency: { p50: percentile(times, 50), p99: percentile(times, 99) },
    retransmissions: dep.trace.count("retransmit"),
    errors,
    traceDigest: dep.trace.digest(),
    nodes: setup.nodes,
    rows: setup.rows,
    itinerary: setup.kind,
    selectivity: runs.map((r) => r.selectivity),
    agent: {
      bytes: sum((r) => r.agent.bytes),
      messages: sum((r) => r.agent.messages),
      ms: round(sum((r) => r.agent.ms)),
      route: last?.agent.route ?? [],
      failures,
      codeSent: sum((r) => r.agent.codeSent),
    },
    pull: {
      bytes: sum((r) => r.pull.bytes),
      messages: sum((r) => r.pull.messages),
      ms: round(sum((r) => r.pull.ms)),
      route: [CONTROL_MACHINE, ...setup.stops],
      missing: [...new Set(runs.flatMap((r) => r.pull.missing))],
      requests: sum((r) => r.pull.requests),
    },
    route: last?.agent.route ?? [],
    failures,
    runs: runs.map((r) => ({
      selectivity: r.selectivity,
      agent: {
        bytes: r.agent.bytes,
        messages: r.agent.messages,
        ms: r.agent.ms,
        status: r.agent.status,
        codeSent: r.agent.codeSent,
        route: r.agent.route,
      },
      pull: {
        bytes: r.pull.bytes,
        messages: r.pull.messages,
        ms: r.pull.ms,
        requests: r.pull.requests,
        missing: r.pull.missing,
      },
      ratio: r.ratio,
      cheaper: r.cheaper,
      agree: r.agree,
      ...(r.agent.result !== undefined ? { result: r.agent.result } : {}),
    })),
  };
}
