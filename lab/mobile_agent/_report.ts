/**
 * The table of `lab mobile-agent`: the agent's route, then for each selectivity both approaches'
 * messages, bytes and time with a verdict, the agents' failures and the run's digest.
 * @module
 */
import type { AgentFailure } from "../../mobile-agent/agent_package.ts";
import type { Summary } from "../_common.ts";
import type { RunComparison } from "./_compare.ts";

/** Formats `n` with thousands separators. */
export function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/** Where {@link printComparisons} writes. */
export interface PrintComparisonsOptions {
  /** Receives each line. */
  readonly log: (line: string) => void;
  /** The trace file written, if any. */
  readonly traceFile: string | undefined;
}

/** Prints the table of `runs` and the `summary`'s digest line. */
export function printComparisons(
  runs: RunComparison[],
  summary: Summary,
  options: PrintComparisonsOptions,
): void {
  const { log, traceFile } = options;
  log("");
  const route = summary.route as string[];
  const last = runs.at(-1);
  log(
    last !== undefined && last.agent.status !== "done"
      ? `agent route: ${route.join(" -> ")} -x ${
        last.agent.failures.at(-1)?.node ?? "?"
      } (status ${last.agent.status}: it did not come back)`
      : summary.itinerary === "parallel"
      ? `agent route: ${route[0]} => ${route.slice(1, -1).join(", ")} (one copy each) => ${
        route[0]
      }`
      : `agent route: ${route.join(" -> ")}`,
  );
  const header = ["selectivity", "approach", "messages", "bytes", "ms", "notes"];
  const rows: string[][] = [];
  for (const r of runs) {
    const pct = `${+(r.selectivity * 100).toFixed(2)}%`;
    const agentNote = r.agent.status !== "done"
      ? `status ${r.agent.status}`
      : `${r.agent.codeSent} code transfers${
        r.agree === null ? "" : r.agree ? ", result agrees" : ", RESULT DIFFERS"
      }`;
    rows.push([
      pct,
      "agent",
      fmt(r.agent.messages),
      fmt(r.agent.bytes),
      r.agent.ms.toFixed(1),
      agentNote,
    ]);
    rows.push([
      "",
      "pull",
      fmt(r.pull.messages),
      fmt(r.pull.bytes),
      r.pull.ms.toFixed(1),
      `${fmt(r.pull.rows)} rows in ${r.pull.requests} pages${
        r.pull.missing.length ? ` (no answer from ${r.pull.missing.join(", ")})` : ""
      }`,
    ]);
    const verdict = r.cheaper === "none"
      ? `no comparison: ${
        [
          ...(r.agent.status === "done"
            ? []
            : [`the agent did not finish (status ${r.agent.status})`]),
          ...(r.pull.missing.length === 0 ? [] : [`pulling missed ${r.pull.missing.join(", ")}`]),
        ].join("; ")
      }`
      : r.cheaper === "agent"
      ? `agent moves ${r.ratio.toFixed(3)}x the bytes of pulling: the agent is cheaper`
      : r.cheaper === "pull"
      ? `agent moves ${r.ratio.toFixed(2)}x the bytes of pulling: pulling is cheaper`
      : `agent moves ${r.ratio.toFixed(2)}x the bytes of pulling: comparable`;
    rows.push(["", "", "", "", "", `-> ${verdict}`]);
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) =>
      c === 2 || c === 3 || c === 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])
    )
      .join("  ").trimEnd();
  log(line(header));
  for (const row of rows) log(line(row));
  const failures = summary.failures as AgentFailure[];
  if (failures.length > 0) {
    log("");
    log("failures:");
    for (const f of failures) log(`  ${f.agent} at ${f.node}: ${f.reason}: ${f.message}`);
  }
  for (const r of runs) {
    if (r.agent.result !== undefined) {
      log(`result at ${r.selectivity}: ${JSON.stringify(r.agent.result).slice(0, 400)}`);
    }
  }
  log("");
  log(
    `transport ${summary.transport}, seed ${summary.seed}, retransmissions ${summary.retransmissions}, trace digest ${
      summary.traceDigest.slice(0, 16)
    }`,
  );
  if (traceFile) log(`trace written to ${traceFile}`);
}
