/**
 * `deno task lab mobile-agent`: N data nodes each hold a shard of sales rows (SQLite); a mining
 * agent (filter + aggregate) travels to them hop by hop and brings its result home, against a
 * client that pulls every row and computes locally. For each `--selectivity` it prints the
 * agent's route and, for both approaches, the messages, the bytes on the wire and the time, so
 * the crossover is visible: the agent wins when few rows match, pulling when most do (the agent
 * then carries the matches through every later hop).
 *
 * Real mode (the default) runs each node as an OS process and each visit in a sandboxed child
 * `deno run`; `--sim` runs everything in the simulator with agents in-process (deterministic).
 * @module
 */
import { delayTimeout } from "../_delay_timeouts.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { agentHome } from "../../mobile-agent/home.ts";
import { preloadAgent } from "../../mobile-agent/in_process_executor.ts";
import { AGENT_PROCESS } from "../../mobile-agent/node.ts";
import { narrate, saveTrace } from "../_common.ts";
import { compareAt, type RunComparison, warmUp } from "./_compare.ts";
import { MOBILE_AGENT_USAGE, type MobileAgentArgs, parseMobileAgentArgs } from "./_flags.ts";
import { fmt, printComparisons } from "./_report.ts";
import { summarizeComparisons } from "./_summary.ts";
import { deploy, deployOptions, type MachineSpec } from "../deploy/deploy.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import { keepSummary } from "../results/session.ts";
import { lostFields, printPartial } from "../deploy/lost_run.ts";
import { MachineLostError } from "../deploy/run_errors.ts";

export type { ApproachCost, RunComparison } from "./_compare.ts";

/** Output sinks of {@link runMobileAgent}. */
export interface MobileAgentLabOptions {
  /** Receives each line of normal output. @default console.log */
  readonly log?: (line: string) => void;
}

/**
 * Runs the mobile-agent comparison with command-line `args`; returns the exit code (1 when an
 * agent did not finish or its result differs from the pulled one, 2 for bad arguments).
 *
 * @example A small simulated comparison
 * ```ts
 * import assert from "node:assert/strict";
 * import { runMobileAgent } from "./command.ts";
 * const lines: string[] = [];
 * const args = ["--sim", "--json", "--nodes", "2", "--rows", "1000", "--selectivity", "0.01"];
 * assert.equal(await runMobileAgent(args, { log: (line) => lines.push(line) }), 0);
 * const summary = JSON.parse(lines[0]);
 * assert.ok(summary.agent.bytes < summary.pull.bytes);
 * ```
 */
export async function runMobileAgent(
  args: string[],
  options: MobileAgentLabOptions = {},
): Promise<number> {
  const log = options.log ?? console.log;
  const parsed = await parseMobileAgentArgs(args);
  if (parsed === "help") {
    log(MOBILE_AGENT_USAGE);
    return 0;
  }
  const { common, nodes, rows, kind, fractions, code, lang } = parsed;
  if (common.sim) await preloadAgent(code, lang);
  // A handoff of a multi-megabyte state takes a while on real sockets; virtual time is quick.
  // Each answer of a handoff is a round trip: longer when --delay needs it.
  const handoffMs = delayTimeout(common.sim ? 2000 : 10_000, common.latency);
  const stops = Array.from({ length: nodes }, (_, i) => `n${i + 1}.lab`);
  const machines = nodeMachines(parsed, stops, handoffMs);
  if (!common.quiet) log(opening(parsed));
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line !== undefined) log(line);
  };
  // The agents' home and the pulling client run on ctl.lab and are what is measured: its
  // traffic is faulted and counted like any other.
  const dep = await deploy(machines, { ...deployOptions(common, onEvent), controlExempt: false });
  const runs: RunComparison[] = [];
  /** Set when a node's OS process died for good and the others stopped making progress. */
  let lost: MachineLostError | undefined;
  try {
    scheduleFaultFlags(dep, common);
    const home = dep.spawnControl("home", agentHome());
    await warmUp(dep, stops, common.latency);
    for (const [i, selectivity] of fractions.entries()) {
      runs.push(
        await compareAt(dep, {
          ...parsed,
          home,
          stops,
          handoffMs,
          selectivity,
          index: i,
        }),
      );
    }
  } catch (error) {
    // What was compared before the loss is summed up; the comparison under way is not.
    if (!(error instanceof MachineLostError)) throw error;
    lost = error;
  } finally {
    await dep.stop();
  }
  await saveTrace(dep.trace, common);
  const partial = lostFields(
    lost,
    lost === undefined ? [] : [
      `${runs.length} of ${fractions.length} comparisons made${
        runs.length < fractions.length
          ? `; the one at selectivity ${fractions[runs.length]} was cut off`
          : ""
      }`,
    ],
  );
  const summary = {
    ...summarizeComparisons(runs, dep, { seed: common.seed, nodes, rows, kind, stops }),
    ...partial,
  };
  keepSummary(summary);
  if (common.json) log(JSON.stringify(summary));
  else {
    if (lost !== undefined) log("");
    printPartial(partial, log);
    printComparisons(runs, summary, { log, traceFile: common.trace });
  }
  return summary.errors > 0 || lost !== undefined ? 1 : 0;
}

/** One machine per data node, each holding its shard of the rows. */
function nodeMachines(parsed: MobileAgentArgs, stops: string[], handoffMs: number): MachineSpec[] {
  const { common, nodes, rows, quantumMs, heapMb, memoryMb, maxHops, sandboxes, key } = parsed;
  return stops.map((name, index) => ({
    name,
    processes: [{
      name: AGENT_PROCESS,
      program: "agent-node",
      args: {
        key,
        shard: { seed: common.seed, index, count: nodes, rows },
        quantumMs,
        heapMb,
        memoryMb,
        maxHops,
        maxSandboxes: sandboxes,
        watchMs: quantumMs + 2000,
        timeoutMs: handoffMs,
      },
    }],
  }));
}

/** The line that says what runs. */
function opening(parsed: MobileAgentArgs): string {
  const { common, nodes, rows, agentFile, kind } = parsed;
  return `mobile-agent: ${nodes} nodes, ${fmt(rows)} rows, ${
    agentFile ? `agent ${agentFile}` : "built-in mining agent"
  }, ${kind} itinerary, ${
    common.sim
      ? `simulator (seed ${common.seed})`
      : `OS processes over ${common.transport.toUpperCase()}, visits in sandboxed children`
  }`;
}
