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
import { isDeepStrictEqual } from "node:util";
import type { ProcessContext } from "../core/process.ts";
import type { TraceEvent } from "../core/trace.ts";
import type { AgentFailure, CodeLang, Itinerary, Json } from "../mobile-agent/agent_package.ts";
import { agentHome } from "../mobile-agent/home.ts";
import { preloadAgent } from "../mobile-agent/in_process_executor.ts";
import { mineRows, MINING_AGENT_URL, miningState } from "../mobile-agent/mining.ts";
import { message } from "../mobile-agent/messages.ts";
import { AGENT_PROCESS, platformOf } from "../mobile-agent/node.ts";
import { AgentOwner } from "../mobile-agent/owner.ts";
import { pullRows } from "../mobile-agent/pull.ts";
import {
  COMMON_FLAGS,
  COMMON_HELP,
  intFlag,
  narrate,
  parseCommon,
  parseFlags,
  percentile,
  type Summary,
  UsageError,
  writeTrace,
} from "./_common.ts";
import {
  CONTROL_MACHINE,
  deploy,
  type Deployment,
  deployOptions,
  type MachineSpec,
} from "./deploy.ts";

const USAGE = `Usage: deno task lab mobile-agent [--nodes N] [--rows N] [--selectivity LIST] [flags]

N data nodes (n1.lab, ...) each hold a shard of sales rows in SQLite. For each selectivity, a
mining agent (filter amount > threshold, then count, sum and per-region totals, carrying the
matching rows) travels the nodes hop by hop; then a client pulls every row and computes the same
thing locally. Both are measured: messages, bytes on the wire, time. Real mode runs every node
as an OS process and every visit in a sandboxed child \`deno run\` with no permission; --sim runs
agents in-process in the simulator (deterministic, no sandbox: only for code you trust).

Flags:
  --nodes N             data nodes (default 5)
  --rows N              rows over all nodes (default 100000)
  --selectivity LIST    fractions of rows that match, comma-separated (default 0.01,0.1,0.5,1)
  --itinerary KIND      sequential, failover or parallel (default sequential)
  --agent FILE          send this agent module (.js or .ts) instead of the built-in miner; it gets
                        the miner's initial state {minAmount, count, sum, byRegion, matches}
  --page N              rows per page when pulling (default 5000)
  --quantum MS          time quantum of a visit in the sandbox (default 5000)
  --heap MB             sandbox heap cap (default 256)
  --key TEXT            shared HMAC key agents are signed with (default a fixed demo key)
${COMMON_HELP}`;

/** Cost of one approach in one run. */
export interface ApproachCost {
  /** Bytes on the wire (frames, acks and headers included). */
  readonly bytes: number;
  /** Messages sent (application level, not frames). */
  readonly messages: number;
  /** Time from start to result (virtual ms in the simulator). */
  readonly ms: number;
}

/** One selectivity's comparison. */
export interface RunComparison {
  /** Fraction of rows that match. */
  readonly selectivity: number;
  /** The agent's cost, route, status and failures. */
  readonly agent: ApproachCost & {
    readonly status: string;
    readonly route: readonly string[];
    readonly failures: readonly AgentFailure[];
    readonly codeSent: number;
    readonly result: Json | undefined;
  };
  /** The pulling client's cost. */
  readonly pull: ApproachCost & {
    readonly requests: number;
    readonly rows: number;
    readonly missing: readonly string[];
  };
  /** Agent bytes / pull bytes. */
  readonly ratio: number;
  /** Which moved fewer bytes (`comparable` within 20%). */
  readonly cheaper: "agent" | "pull" | "comparable";
  /** Whether the agent's result equals the locally computed one (built-in miner only). */
  readonly agree: boolean | null;
}

/** Output sinks of {@link runMobileAgent}. */
export interface MobileAgentLabOptions {
  /** Receives each line of normal output. @default console.log */
  readonly log?: (line: string) => void;
}

function selectivities(text: unknown): number[] {
  const raw = typeof text === "string" ? text : "0.01,0.1,0.5,1";
  const values = raw.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (values.length === 0 || !values.every((v) => v >= 0 && v <= 1)) {
    throw new UsageError(
      `Cannot use --selectivity "${raw}": give fractions between 0 and 1, comma-separated (0.01,0.1,1)`,
      USAGE,
    );
  }
  return values;
}

function cost(
  dep: Deployment,
  from: number,
  bytesBefore: number,
): { bytes: number; messages: number } {
  let messages = 0;
  const events = dep.trace.events;
  for (let i = from; i < events.length; i++) if (events[i].ev === "send") messages++;
  return { bytes: dep.stats().bytes - bytesBefore, messages };
}

function countCode(dep: Deployment, from: number): number {
  let n = 0;
  const events = dep.trace.events;
  for (let i = from; i < events.length; i++) {
    if (events[i].ev === "send" && events[i].kind === "agent-code") n++;
  }
  return n;
}

function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Runs the mobile-agent comparison with command-line `args`; returns the exit code (1 when an
 * agent did not finish or its result differs from the pulled one, 2 for bad arguments).
 *
 * @example A small simulated comparison
 * ```ts
 * import assert from "node:assert/strict";
 * import { runMobileAgent } from "./mobile_agent.ts";
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
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    nodes: { type: "string" },
    rows: { type: "string" },
    selectivity: { type: "string" },
    itinerary: { type: "string" },
    agent: { type: "string" },
    page: { type: "string" },
    quantum: { type: "string" },
    heap: { type: "string" },
    key: { type: "string" },
  }, USAGE);
  if (values.help) {
    log(USAGE);
    return 0;
  }
  const common = parseCommon(values, USAGE);
  const nodes = intFlag("nodes", values.nodes, 5, USAGE, 1);
  const rows = intFlag("rows", values.rows, 100_000, USAGE, 0);
  const page = intFlag("page", values.page, 5000, USAGE, 1);
  const quantumMs = intFlag("quantum", values.quantum, 5000, USAGE, 1);
  const heapMb = intFlag("heap", values.heap, 256, USAGE, 8);
  const key = typeof values.key === "string" && values.key !== "" ? values.key : "archlab-demo-key";
  const kind = (values.itinerary ?? "sequential") as Itinerary["kind"];
  if (!["sequential", "failover", "parallel"].includes(kind)) {
    throw new UsageError(
      `Cannot use --itinerary "${values.itinerary}": give sequential, failover or parallel`,
      USAGE,
    );
  }
  const fractions = selectivities(values.selectivity);
  const agentFile = typeof values.agent === "string" ? values.agent : undefined;
  let code: string;
  try {
    code = await Deno.readTextFile(agentFile ?? MINING_AGENT_URL);
  } catch (error) {
    throw new UsageError(
      `Cannot read agent module "${agentFile ?? MINING_AGENT_URL.pathname}": ${
        (error as Error).message
      }`,
      USAGE,
    );
  }
  const lang: CodeLang = agentFile?.endsWith(".ts") ? "ts" : "js";
  if (common.sim) await preloadAgent(code, lang);
  // A handoff of a multi-megabyte state takes a while on real sockets; virtual time is quick.
  const handoffMs = common.sim ? 2000 : 10_000;
  const stops = Array.from({ length: nodes }, (_, i) => `n${i + 1}.lab`);
  const machines: MachineSpec[] = stops.map((name, index) => ({
    name,
    processes: [{
      name: AGENT_PROCESS,
      program: "agent-node",
      args: {
        key,
        shard: { seed: common.seed, index, count: nodes, rows },
        quantumMs,
        heapMb,
        watchMs: quantumMs + 2000,
        timeoutMs: handoffMs,
      },
    }],
  }));
  if (!common.quiet) {
    log(
      `mobile-agent: ${nodes} nodes, ${fmt(rows)} rows, ${
        agentFile ? `agent ${agentFile}` : "built-in mining agent"
      }, ${kind} itinerary, ${
        common.sim
          ? `simulator (seed ${common.seed})`
          : "OS processes over TCP, visits in sandboxed children"
      }`,
    );
  }
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line !== undefined) log(line);
  };
  const dep = await deploy(machines, deployOptions(common, onEvent));
  const runs: RunComparison[] = [];
  try {
    for (const p of common.partitions) {
      dep.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
    }
    for (const c of common.crashes) dep.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    const home = dep.spawnControl("home", agentHome());
    await warmUp(dep, stops);
    for (const [i, selectivity] of fractions.entries()) {
      // The agent.
      let from = dep.trace.events.length;
      let before = dep.stats().bytes;
      const agentDone = Promise.withResolvers<
        { ms: number; outcome: Awaited<ReturnType<AgentOwner["wait"]>> }
      >();
      dep.spawnControl(`owner${i + 1}`, async (ctx: ProcessContext) => {
        try {
          const owner = new AgentOwner(ctx, {
            key,
            home,
            timeoutMs: handoffMs,
            watchMs: quantumMs + 2000,
          });
          const t0 = ctx.now();
          const id = owner.dispatch({
            code,
            lang,
            state: miningState(selectivity) as unknown as Json,
            itinerary: { kind, stops },
          });
          const outcome = await owner.wait(id, { timeout: 600_000 });
          agentDone.resolve({ ms: ctx.now() - t0, outcome });
        } catch (error) {
          agentDone.reject(error);
        }
      });
      await dep.run(agentDone.promise);
      const { ms: agentMs, outcome } = await agentDone.promise;
      const agentCost = cost(dep, from, before);
      const codeSent = countCode(dep, from);
      // The pulling client.
      from = dep.trace.events.length;
      before = dep.stats().bytes;
      const pullDone = Promise.withResolvers<
        { ms: number; requests: number; rows: number; missing: readonly string[]; result: Json }
      >();
      dep.spawnControl(`pull${i + 1}`, async (ctx: ProcessContext) => {
        try {
          const t0 = ctx.now();
          const pulled = await pullRows(ctx, stops, {
            page,
            timeoutMs: common.sim ? 2000 : 10_000,
            skipDown: true,
          });
          const result = mineRows(miningState(selectivity), pulled.rows) as unknown as Json;
          pullDone.resolve({
            ms: ctx.now() - t0,
            requests: pulled.requests,
            rows: pulled.rows.length,
            missing: pulled.missing,
            result,
          });
        } catch (error) {
          pullDone.reject(error);
        }
      });
      await dep.run(pullDone.promise);
      const pulled = await pullDone.promise;
      const pullCost = cost(dep, from, before);
      const ratio = pullCost.bytes === 0 ? Infinity : agentCost.bytes / pullCost.bytes;
      runs.push({
        selectivity,
        agent: {
          ...agentCost,
          ms: round(agentMs),
          status: outcome.status,
          route: [CONTROL_MACHINE, ...outcome.route, CONTROL_MACHINE],
          failures: outcome.failures,
          codeSent,
          result: agentFile ? outcome.result : undefined,
        },
        pull: {
          ...pullCost,
          ms: round(pulled.ms),
          requests: pulled.requests,
          rows: pulled.rows,
          missing: pulled.missing,
        },
        ratio: Math.round(ratio * 10_000) / 10_000,
        cheaper: ratio < 0.8 ? "agent" : ratio > 1.25 ? "pull" : "comparable",
        agree: agentFile
          ? null
          : outcome.status === "done" && sameResult(outcome.result, pulled.result),
      });
    }
  } finally {
    await dep.stop();
  }
  if (common.trace) await writeTrace(dep.trace, common.trace);
  const summary = summarize(runs, dep, common.seed, { nodes, rows, kind, stops });
  if (common.json) log(JSON.stringify(summary));
  else report(runs, summary, log, common.trace);
  return summary.errors > 0 ? 1 : 0;
}

/**
 * Waits until every node answers (it has built its shard), so start-up is not measured. A node
 * that stays silent is left for the agent to find down.
 */
async function warmUp(dep: Deployment, stops: readonly string[]): Promise<void> {
  const ready = Promise.withResolvers<void>();
  const attempts = dep.transport === "sim" ? 1 : 30;
  dep.spawnControl("warmup", async (ctx: ProcessContext) => {
    for (const node of stops) {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await ctx.request(platformOf(node), message("scan", { offset: 0, limit: 0 }), {
            timeout: 2000,
          });
          break;
        } catch {
          // Busy building its shard, or down: try again, then leave it.
        }
      }
    }
    ready.resolve();
  });
  await dep.run(ready.promise);
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function sameResult(agent: Json | undefined, pulled: Json): boolean {
  const a = agent as { count?: number; sum?: number; byRegion?: unknown; matches?: unknown } | null;
  const b = pulled as { count: number; sum: number; byRegion: unknown; matches: unknown };
  return a !== null && a !== undefined && a.count === b.count && a.sum === b.sum &&
    isDeepStrictEqual(a.byRegion, b.byRegion) && isDeepStrictEqual(a.matches, b.matches);
}

function summarize(
  runs: RunComparison[],
  dep: Deployment,
  seed: number,
  setup: { nodes: number; rows: number; kind: string; stops: readonly string[] },
): Summary {
  const sum = (pick: (r: RunComparison) => number) => runs.reduce((n, r) => n + pick(r), 0);
  const failures = runs.flatMap((r) => r.agent.failures);
  const last = runs[runs.length - 1];
  const times = runs.flatMap((r) => [r.agent.ms, r.pull.ms]);
  const errors = runs.filter((r) => r.agent.status !== "done" || r.agree === false).length;
  return {
    architecture: "mobile-agent",
    transport: dep.transport,
    seed,
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
      },
      ratio: r.ratio,
      cheaper: r.cheaper,
      agree: r.agree,
      ...(r.agent.result !== undefined ? { result: r.agent.result } : {}),
    })),
  };
}

function report(
  runs: RunComparison[],
  summary: Summary,
  log: (line: string) => void,
  traceFile: string | undefined,
): void {
  log("");
  const route = summary.route as string[];
  log(
    summary.itinerary === "parallel"
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
    const verdict = r.cheaper === "agent"
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
