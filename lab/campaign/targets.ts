/**
 * What `lab campaign` runs for each architecture: the lab command, a small workload, where its
 * faults may fall, and the invariants it judges after each run (counted from the command's own
 * `--json` summary, and for client-server from its trace).
 * @module
 */
import type { GroupOrder } from "../../groups/types.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { drawGroupSchedule } from "../group/campaign.ts";
import { parseGroupArgs } from "../group/command.ts";
import { groupRun, PROMISES } from "../group/_run.ts";
import { runClientServer } from "../client_server/command.ts";
import { runTransactions } from "../transactions/command.ts";
import { runP2p } from "../p2p/command.ts";
import { runRpc } from "../rpc/command.ts";
import { runProxy } from "../proxy/command.ts";
import { runThreeTier } from "../three_tier/command.ts";
import { runMobileAgent } from "../mobile_agent/command.ts";
import { runJson } from "./_run_json.ts";
import { createRandom } from "../../core/prng.ts";
import {
  drawSchedule,
  drawSkews,
  type FaultProfile,
  type FaultSchedule,
  noFaults,
} from "./schedule.ts";

/** What one run broke: violations per invariant, and a sentence per problem. */
export interface Judged {
  /** Violations per invariant (every invariant of the target, 0 when it held). */
  readonly counts: Record<string, number>;
  /** What did not hold, one sentence each. */
  readonly problems: string[];
  /** The run's trace digest (the same run replays to the same digest). */
  readonly digest: string;
}

/** One architecture (one group order) a campaign runs. */
export interface CampaignTarget {
  /** Its name in the table: `client-server`, `group (fifo)`. */
  readonly name: string;
  /** The lab command that runs it. */
  readonly command: string;
  /** Workload flags added to every run, after the schedule. */
  readonly args: readonly string[];
  /** The invariants judged, in the table's order. */
  readonly invariants: readonly string[];
  /** Draws the fault schedule of a seed (`--sim --seed N` and fault flags). */
  readonly draw: (seed: number) => FaultSchedule;
  /** Runs the command in-process on `args` and judges the run. */
  readonly run: (args: readonly string[]) => Promise<Judged>;
}

function judged(
  invariants: readonly string[],
  found: readonly [string, number, string][],
  digest: string,
): Judged {
  const counts: Record<string, number> = Object.fromEntries(invariants.map((i) => [i, 0]));
  const problems: string[] = [];
  for (const [invariant, n, problem] of found) {
    if (n <= 0) continue;
    counts[invariant] += n;
    problems.push(`${invariant}: ${problem}`);
  }
  return { counts, problems, digest };
}

const num = (v: unknown): number => typeof v === "number" ? v : 0;

function profiled(profile: FaultProfile): (seed: number) => FaultSchedule {
  return (seed) => drawSchedule(seed, profile);
}

// --- client-server ----------------------------------------------------------------------------

const KV = "kv@m1.lab";

/** Reads the JSONL trace the run wrote. */
async function readTrace(file: string): Promise<TraceEvent[]> {
  const text = await Deno.readTextFile(file);
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as TraceEvent);
}

/**
 * At-most-once and acknowledged writes, from the trace and the server's final counters. A
 * server that keeps its state in memory must not have executed, in its current incarnation,
 * more requests than distinct request ids it received since it last started, nor executed again
 * after a restart a request it received before; a durable server (its reply cache and counters
 * on its disk) must not have executed more requests than distinct request ids it received in
 * the whole run. Its store must hold at least as many keys as clients got `ok` for a put of (a
 * lower bound on lost writes: the workload never deletes).
 */
function judgeKv(events: readonly TraceEvent[], summary: Record<string, unknown>): {
  extra: number;
  again: number;
  lost: number;
  detail: { received: number; executed: number; acked: number; keys: number };
} {
  const durable = summary.durable === true;
  const labels = new Map<string, string>();
  // The counters are the server's answer to the lab's last stats request: judge the events up
  // to it, by their order in the trace (times are each machine's own clock, skewed or not).
  let until = events.length;
  events.forEach((e, i) => {
    if (e.ev === "send" && e.id !== undefined && e.label !== undefined) labels.set(e.id, e.label);
    if (e.ev === "send" && e.from === KV && e.kind === "stats") until = i;
  });
  const rids = new Set<string>();
  const acked = new Set<string>();
  // Request ids by the server incarnation that received them: a restarted server without its
  // reply cache executes a retransmission it receives again.
  const seenIn = new Map<string, number>();
  let incarnation = 0, again = 0;
  for (const e of events.slice(0, until)) {
    if (e.ev === "restart" && e.at === "m1.lab" && !durable) {
      incarnation++;
      rids.clear();
    }
    const label = e.id === undefined ? undefined : labels.get(e.id);
    if (label === undefined) continue;
    if (e.ev === "receive" && e.at === KV && /^(GET|PUT|DEL) /.test(label)) {
      const rid = `${e.from} ${label.split(" ").at(-1)}`;
      const before = seenIn.get(rid);
      if (before !== undefined && before < incarnation) again++;
      seenIn.set(rid, incarnation);
      rids.add(rid);
    }
    if (e.ev === "deliver" && e.from === KV && e.kind === "ok") acked.add(label.split(" ")[1]);
  }
  const executed = num(summary.executed), keys = num(summary.keys);
  const known = typeof summary.keys === "number";
  return {
    extra: Math.max(0, executed - rids.size),
    again,
    lost: known ? Math.max(0, acked.size - keys) : 0,
    detail: { received: rids.size, executed, acked: acked.size, keys },
  };
}

const KV_INVARIANTS = ["at-most-once", "acknowledged writes"];

async function runKv(args: readonly string[]): Promise<Judged> {
  const file = await Deno.makeTempFile({ prefix: "archlab-campaign-", suffix: ".jsonl" });
  try {
    const { summary } = await runJson(runClientServer, [...args, "--trace", file]);
    const { extra, again, lost, detail } = judgeKv(await readTrace(file), summary);
    return judged(KV_INVARIANTS, [
      [
        "at-most-once",
        again,
        `${again} requests executed before a server crash were received and executed again ` +
        "after its restart",
      ],
      [
        "at-most-once",
        extra,
        `the server executed ${detail.executed} requests but received only ${detail.received} ` +
        `distinct request ids${summary.durable === true ? "" : " since it last started"}`,
      ],
      [
        "acknowledged writes",
        lost,
        `clients got ok for puts of ${detail.acked} keys, the server holds ${detail.keys} at the ` +
        `end: at least ${lost} acknowledged writes lost`,
      ],
    ], summary.traceDigest);
  } finally {
    await Deno.remove(file);
  }
}

// --- the other architectures --------------------------------------------------------------------

const TX_INVARIANTS = ["atomicity", "conservation"];

async function runTx(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runTransactions, args);
  const violations = (summary.violations ?? []) as string[];
  const off = summary.settled === true && summary.total !== summary.expectedTotal;
  return judged(TX_INVARIANTS, [
    ["atomicity", violations.length, violations.join("; ")],
    [
      "conservation",
      off ? 1 : 0,
      `the balances sum to ${summary.total}, not ${summary.expectedTotal}`,
    ],
  ], summary.traceDigest);
}

const P2P_INVARIANTS = ["convergence"];

async function runPeers(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runP2p, args);
  return judged(P2P_INVARIANTS, [[
    "convergence",
    summary.converged === true ? 0 : 1,
    `${summary.live} live peers did not converge in ${summary.rounds} rounds`,
  ]], summary.traceDigest);
}

const RPC_INVARIANTS = ["orphans accounted"];

interface PolicyReport {
  readonly orphans: number;
  readonly killed: number;
  readonly lateReplies: number;
}

async function runCalls(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runRpc, args);
  const policies = (summary.policies ?? {}) as Record<string, PolicyReport>;
  const found: [string, number, string][] = Object.entries(policies).map(([policy, o]) => {
    const open = o.orphans - o.killed - o.lateReplies;
    return [
      "orphans accounted",
      open,
      `${policy}: ${o.orphans} orphans, ${o.killed} killed, ${o.lateReplies} ran to the end: ` +
      `${open} neither`,
    ];
  });
  return judged(RPC_INVARIANTS, found, summary.traceDigest);
}

const PROXY_INVARIANTS = ["hit/miss accounting"];

interface ProxyCounters {
  readonly hits: number;
  readonly misses: number;
  readonly coalesced: number;
  readonly passthrough: number;
  readonly originRequests: number;
}

/**
 * The proxy's own counters must add up (each miss not coalesced is one origin request); while
 * the proxy never restarted (its counters start again at 0), the origin cannot have served more
 * than the proxy asked for, nor the clients seen more hits or misses than the proxy counted.
 */
async function runCache(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runProxy, args);
  const proxy = summary.proxy as ProxyCounters | null;
  const digest = summary.traceDigest;
  if (proxy === null) return judged(PROXY_INVARIANTS, [], digest);
  const fetched = proxy.misses - proxy.coalesced + proxy.passthrough;
  const found: [string, number, string][] = [[
    "hit/miss accounting",
    Math.abs(fetched - proxy.originRequests),
    `the proxy counts ${proxy.misses} misses, ${proxy.coalesced} coalesced, ${proxy.passthrough} ` +
    `passed through, but ${proxy.originRequests} origin requests`,
  ]];
  const restarted = args.some((a) => a.startsWith("proxy.lab@"));
  if (!restarted) {
    const origin = num(summary.originRequests);
    const hits = num(summary.hits), misses = num(summary.misses);
    found.push(
      [
        "hit/miss accounting",
        Math.max(0, origin - proxy.originRequests),
        `the origin served ${origin} requests, the proxy sent it ${proxy.originRequests}`,
      ],
      [
        "hit/miss accounting",
        Math.max(0, hits - proxy.hits) + Math.max(0, misses - proxy.misses),
        `clients saw ${hits} hits and ${misses} misses, the proxy counts ${proxy.hits} and ` +
        `${proxy.misses}`,
      ],
    );
  }
  return judged(PROXY_INVARIANTS, found, digest);
}

const TIER_INVARIANTS = ["pool sessions returned"];

async function runTiers(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runThreeTier, args);
  const pool = (summary.pool ?? {}) as Record<string, number>;
  const held = num(pool.leased) + num(pool.queued);
  return judged(TIER_INVARIANTS, [[
    "pool sessions returned",
    held,
    `at the end ${num(pool.leased)} data sessions are still leased and ${
      num(pool.queued)
    } requests queued for one`,
  ]], summary.traceDigest);
}

const AGENT_INVARIANTS = ["agent = pull"];

interface AgentRun {
  readonly selectivity: number;
  readonly agree?: boolean;
  readonly agent?: { status?: string };
  readonly pull?: { missing?: readonly string[] };
}

async function runAgents(args: readonly string[]): Promise<Judged> {
  const { summary } = await runJson(runMobileAgent, args);
  const runs = (summary.runs ?? []) as AgentRun[];
  // A pull that skipped a node it could not reach computed on part of the rows: not comparable.
  const differ = runs.filter((r) =>
    r.agent?.status === "done" && r.agree === false && (r.pull?.missing ?? []).length === 0
  );
  return judged(AGENT_INVARIANTS, [[
    "agent = pull",
    differ.length,
    `the agent's result differs from pulling every row at selectivity ${
      differ.map((r) => r.selectivity).join(", ")
    }`,
  ]], summary.traceDigest);
}

// --- group --------------------------------------------------------------------------------------

const GROUP_INVARIANTS = ["order", "atomicity", "views", "finished"];
const GROUP_MACHINES = ["g0.lab", "m1.lab", "m2.lab", "m3.lab", "m4.lab"];

function groupTarget(order: GroupOrder): CampaignTarget {
  return {
    name: `group (${order})`,
    command: "group",
    args: [],
    invariants: GROUP_INVARIANTS,
    draw: (seed) => {
      const s = drawGroupSchedule(seed, order);
      const faults = {
        ...noFaults(),
        partitions: s.partitions - s.oneWay,
        oneWay: s.oneWay,
        crashes: s.crashes,
        restarts: s.restarts,
      };
      for (const kind of ["drop", "dup", "reorder", "delay"] as const) {
        if (s.args.includes(`--${kind}`)) faults[kind] = 1;
      }
      // Skews from a stream of their own, so that the group's schedules stay those of
      // `runGroupCampaign` (lab/group/campaign.ts) with skews added.
      const skews = drawSkews(createRandom(seed * 7919 + 17), GROUP_MACHINES);
      faults.skews = skews.length;
      return { seed, args: [...s.args, ...skews.flatMap((k) => ["--skew", k])], faults };
    },
    run: async (args) => {
      const run = await groupRun(parseGroupArgs([...args, "--quiet"])!);
      const c = run.check;
      const broken = PROMISES[order].filter((k) => c.order[k] > 0);
      const views = c.disagreements + c.unlisted + c.stranded.length + c.reincarnations;
      return judged(GROUP_INVARIANTS, [
        [
          "order",
          broken.reduce((n, k) => n + c.order[k], 0),
          broken.map((k) => `${c.order[k]} ${k}-order violations`).join(", "),
        ],
        [
          "atomicity",
          c.partial + c.order.duplicates,
          `${c.partial} partial deliveries in a view, ${c.order.duplicates} duplicates`,
        ],
        ["views", views, run.problems.filter((p) => /view|incarnation/.test(p)).join("; ")],
        ["finished", run.unfinished.length, run.unfinished.join("; ")],
      ], run.summary.traceDigest);
    },
  };
}

// --- the table of targets ----------------------------------------------------------------------

const range = (prefix: string, n: number, from = 1) =>
  Array.from({ length: n }, (_, i) => `${prefix}${i + from}.lab`);

const CS = ["m1.lab", ...range("m", 3, 2)];
const TX = ["coord.lab", ...range("p", 3), ...range("c", 2)];
const P2P = range("p", 8, 0);
const RPC = [...range("c", 2), ...range("s", 2)];
const PROXY = ["origin.lab", "proxy.lab", ...range("c", 3)];
const TIERS = ["web.lab", "logic.lab", "data.lab"];
const AGENTS = range("n", 3);

/**
 * Every architecture a campaign can run, by the name `lab campaign ARCH` takes; `group` runs
 * each order.
 *
 * @example Group runs three orders
 * ```ts
 * import assert from "node:assert/strict";
 * import { CAMPAIGN_TARGETS } from "./targets.ts";
 * assert.deepEqual(CAMPAIGN_TARGETS.group.map((t) => t.name), ["group (fifo)", "group (causal)", "group (total)"]);
 * ```
 */
export const CAMPAIGN_TARGETS: Readonly<Record<string, readonly CampaignTarget[]>> = {
  "client-server": [{
    name: "client-server",
    command: "client-server",
    // The configuration that claims both promises across crashes: the durable server, on a
    // disk whose every crash loses what was not synced.
    args: ["--requests", "8", "--durable", "--lose-unsynced", "1"],
    invariants: KV_INVARIANTS,
    draw: profiled({ machines: CS, crashable: CS, window: 60, crashes: [0, 2] }),
    run: runKv,
  }],
  transactions: [{
    name: "transactions",
    command: "transactions",
    // Every crash also loses what a disk did not sync: the logs are forced before each message.
    args: ["--transfers", "3", "--lose-unsynced", "1"],
    invariants: TX_INVARIANTS,
    draw: profiled({ machines: TX, crashable: TX, window: 150, crashes: [0, 2] }),
    run: runTx,
  }],
  group: (["fifo", "causal", "total"] as const).map(groupTarget),
  p2p: [{
    name: "p2p",
    command: "p2p",
    args: ["--peers", "8", "--writes", "3"],
    invariants: P2P_INVARIANTS,
    draw: profiled({ machines: P2P, crashable: P2P, window: 500, crashes: [0, 2] }),
    run: runPeers,
  }],
  rpc: [{
    name: "rpc",
    command: "rpc",
    args: ["--calls", "3"],
    invariants: RPC_INVARIANTS,
    draw: profiled({
      machines: RPC,
      crashable: range("c", 2),
      window: 300,
      crashes: [1, 2],
      skew: false,
    }),
    run: runCalls,
  }],
  proxy: [{
    name: "proxy",
    command: "proxy",
    args: ["--requests", "20", "--keys", "20", "--cache-size", "8"],
    invariants: PROXY_INVARIANTS,
    draw: profiled({ machines: PROXY, crashable: PROXY, window: 150, crashes: [0, 2] }),
    run: runCache,
  }],
  "three-tier": [{
    name: "three-tier",
    command: "three-tier",
    args: ["--users", "3", "--duration", "600"],
    invariants: TIER_INVARIANTS,
    draw: profiled({ machines: TIERS, crashable: TIERS, window: 600, crashes: [0, 2] }),
    run: runTiers,
  }],
  "mobile-agent": [{
    name: "mobile-agent",
    command: "mobile-agent",
    args: ["--nodes", "3", "--rows", "600", "--selectivity", "0.1,1"],
    invariants: AGENT_INVARIANTS,
    draw: profiled({ machines: AGENTS, crashable: AGENTS, window: 300, crashes: [0, 2] }),
    run: runAgents,
  }],
};
