/**
 * One comparison of `lab mobile-agent` at one selectivity: a mining agent travels the nodes and
 * brings its result home, then a client pulls every row and computes locally; each approach's
 * messages, bytes and time are measured from the trace and the network counters.
 * @module
 */
import { delayTimeout } from "../_delay_timeouts.ts";
import type { Latency } from "../../core/latency.ts";
import { isDeepStrictEqual } from "node:util";
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import type { AgentFailure, CodeLang, Itinerary, Json } from "../../mobile-agent/agent_package.ts";
import { mineRows, miningState } from "../../mobile-agent/mining.ts";
import { message } from "../../mobile-agent/messages.ts";
import { platformOf } from "../../mobile-agent/node.ts";
import { AgentOwner } from "../../mobile-agent/owner.ts";
import { pullRows } from "../../mobile-agent/pull.ts";
import type { CommonOptions } from "../_common.ts";
import { CONTROL_MACHINE, type Deployment } from "../deploy/deploy.ts";

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
  /**
   * Which moved fewer bytes (`comparable` within 20%); `none` when either did not finish its
   * work (the agent lost or stopped, or pulling got no answer from a node), so that there is
   * nothing to compare.
   */
  readonly cheaper: "agent" | "pull" | "comparable" | "none";
  /** Whether the agent's result equals the locally computed one (built-in miner only). */
  readonly agree: boolean | null;
}

/** What one comparison needs: the run's settings and the selectivity to compare at. */
export interface ComparisonSetup {
  /** The common run flags. */
  readonly common: CommonOptions;
  /** The HMAC key agents are signed with. */
  readonly key: string;
  /** Address of the agents' home process. */
  readonly home: string;
  readonly code: string;
  readonly lang: CodeLang;
  readonly kind: Itinerary["kind"];
  /** The data nodes, in itinerary order. */
  readonly stops: string[];
  /** Rows per page when pulling. */
  readonly page: number;
  readonly quantumMs: number;
  /** Most ms for one handoff. */
  readonly handoffMs: number;
  /** The `--agent` file, or `undefined` for the built-in miner. */
  readonly agentFile: string | undefined;
  /** Fraction of rows that match. */
  readonly selectivity: number;
  /** Index of this comparison, naming its control processes. */
  readonly index: number;
}

/** Runs the agent, then the pulling client, at `setup.selectivity` on `dep`, and compares them. */
export async function compareAt(dep: Deployment, setup: ComparisonSetup): Promise<RunComparison> {
  const { agentFile, selectivity } = setup;
  let from = dep.trace.events.length;
  let before = dep.stats().bytes;
  const { ms: agentMs, outcome } = await runAgent(dep, setup);
  const agentCost = cost(dep, from, before);
  const codeSent = countCode(dep, from);
  from = dep.trace.events.length;
  before = dep.stats().bytes;
  const pulled = await runPull(dep, setup);
  const pullCost = cost(dep, from, before);
  const ratio = pullCost.bytes === 0 ? Infinity : agentCost.bytes / pullCost.bytes;
  return {
    selectivity,
    agent: {
      ...agentCost,
      ms: round(agentMs),
      status: outcome.status,
      // An agent that did not come back has no way home in its route.
      route: outcome.status === "done"
        ? [CONTROL_MACHINE, ...outcome.route, CONTROL_MACHINE]
        : [CONTROL_MACHINE, ...outcome.route],
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
    cheaper: outcome.status !== "done" || pulled.missing.length > 0
      ? "none"
      : ratio < 0.8
      ? "agent"
      : ratio > 1.25
      ? "pull"
      : "comparable",
    agree: agentFile
      ? null
      : outcome.status === "done" && sameResult(outcome.result, pulled.result),
  };
}

/** Dispatches the agent from an owner on the control machine and waits for its journey's end. */
async function runAgent(
  dep: Deployment,
  setup: ComparisonSetup,
): Promise<{ ms: number; outcome: Awaited<ReturnType<AgentOwner["wait"]>> }> {
  const { key, home, code, lang, kind, stops, quantumMs, handoffMs, selectivity } = setup;
  const done = Promise.withResolvers<
    { ms: number; outcome: Awaited<ReturnType<AgentOwner["wait"]>> }
  >();
  dep.spawnControl(`owner${setup.index + 1}`, async (ctx: ProcessContext) => {
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
      done.resolve({ ms: ctx.now() - t0, outcome });
    } catch (error) {
      done.reject(error);
    }
  });
  await dep.run(done.promise);
  return await done.promise;
}

/** Pulls every row to the control machine page by page and mines them there. */
async function runPull(
  dep: Deployment,
  setup: ComparisonSetup,
): Promise<
  { ms: number; requests: number; rows: number; missing: readonly string[]; result: Json }
> {
  const { common, stops, page, selectivity } = setup;
  const done = Promise.withResolvers<
    { ms: number; requests: number; rows: number; missing: readonly string[]; result: Json }
  >();
  dep.spawnControl(`pull${setup.index + 1}`, async (ctx: ProcessContext) => {
    try {
      const t0 = ctx.now();
      const pulled = await pullRows(ctx, stops, {
        page,
        timeoutMs: delayTimeout(common.sim ? 2000 : 10_000, common.latency),
        skipDown: true,
      });
      const result = mineRows(miningState(selectivity), pulled.rows) as unknown as Json;
      done.resolve({
        ms: ctx.now() - t0,
        requests: pulled.requests,
        rows: pulled.rows.length,
        missing: pulled.missing,
        result,
      });
    } catch (error) {
      done.reject(error);
    }
  });
  await dep.run(done.promise);
  return await done.promise;
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

/**
 * Waits until every node answers (it has built its shard), so start-up is not measured. A node
 * that stays silent is left for the agent to find down. Each wait is 2000 ms, or longer when
 * `latency` (`--delay`) needs it.
 */
export async function warmUp(
  dep: Deployment,
  stops: readonly string[],
  latency?: Latency,
): Promise<void> {
  const ready = Promise.withResolvers<void>();
  const attempts = dep.transport === "sim" ? 1 : 30;
  dep.spawnControl("warmup", async (ctx: ProcessContext) => {
    for (const node of stops) {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await ctx.request(platformOf(node), message("scan", { offset: 0, limit: 0 }), {
            timeout: delayTimeout(2000, latency),
          });
          break;
        } catch (error) {
          // Busy building its shard, or down: try again, then leave it.
          if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
        }
      }
    }
    ready.resolve();
  });
  await dep.run(ready.promise);
}

/** Rounds `ms` to microseconds. */
export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function sameResult(agent: Json | undefined, pulled: Json): boolean {
  const a = agent as { count?: number; sum?: number; byRegion?: unknown; matches?: unknown } | null;
  const b = pulled as { count: number; sum: number; byRegion: unknown; matches: unknown };
  return a !== null && a !== undefined && a.count === b.count && a.sum === b.sum &&
    isDeepStrictEqual(a.byRegion, b.byRegion) && isDeepStrictEqual(a.matches, b.matches);
}
