/**
 * `deno task lab rpc`: clients call a long-running remote procedure, one client machine crashes in
 * the middle of a call and restarts, and each orphan policy (none, extermination, reincarnation,
 * gentle reincarnation, expiration) is measured: orphans left, orphans killed, work wasted on calls
 * nobody waited for, computations killed by mistake, and the messages and stable writes it cost.
 * Simulator only: the experiment needs a crash in the middle of a call and stable storage that
 * survives it.
 * @module
 */
import { delayTimeout, exchangeBound } from "../_delay_timeouts.ts";
import { createHash } from "node:crypto";
import { machineOf } from "../../core/name.ts";
import type { Simulator } from "../../core/simulator/simulator.ts";
import { type Latency, latencyBound } from "../../core/latency.ts";
import type { TraceEvent } from "../../core/trace.ts";
import {
  type CrashPlan,
  DEFAULT_CRASHES,
  ORPHAN_POLICIES,
  type OrphanOutcome,
  type OrphanPolicy,
  simulateOrphans,
} from "../../rpc/mod.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  commonHelp,
  intFlag,
  latencyRows,
  narrate,
  openFlags,
  parseCommon,
  percentile,
  refuseFlags,
  saveTrace,
  type Summary,
  table,
  UsageError,
} from "../_common.ts";
import { keepTrace, replayCommand } from "../deploy/deploy.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import { keepSummary } from "../results/session.ts";

const USAGE = `Usage: deno task lab rpc [--policy P] [flags]

Clients (client@c1.lab, client@c2.lab, ...) call crunch(work) on servers (rpc@s1.lab, ...) through
typed stubs, one call after the other; each server runs every call as its own computation doing
one unit of work per --step ms. By default c1.lab crashes at 150 ms, in the middle of its second
call, and restarts at 170 ms: the computation it leaves on the server is an orphan. Under a
--delay whose bound makes the first call's two trips longer than 50 ms, no fixed time is inside
the second call for every draw of the delay: c1.lab then crashes when 40% of the second call's
work is done on its server (40 ms by default, as at 150 ms without --delay) and restarts 20 ms
later. Each policy is run on the same seed and compared:

  none           the orphan runs to the end; its reply finds nobody
  extermination  each call is logged in stable storage before it leaves; after the restart the
                 client asks the servers to kill the logged calls
  reincarnation  the restarted client declares a new epoch of its machine to every server;
                 servers kill that machine's computations of older epochs (an epoch is one
                 incarnation of a client machine, shared by all its clients)
  gentle         on a client's new epoch servers kill only those of its older computations
                 whose owner cannot be located
  expiration     each call gets a quantum (--quantum ms of work); the server must ask the caller
                 for another one, so an orphan works at most one quantum after the crash

Wasted work = units of server work done for orphans after their client crashed.

Runs on: the deterministic simulator only (--sim is implied, and there is no real-process mode):
the experiment needs a crash in the middle of a call and stable storage that survives it.

Flags:
  --policy P            none | extermination | reincarnation | gentle | expiration | all (default all)
  --calls N             calls per client (default 4)
  --work N              units of work per call (default 100)
  --step MS             ms per unit of work (default 1)
  --quantum MS          expiration's quantum (default 20)
  --clients N           client machines (default 2)
  --servers N           server machines (default 2)
${commonHelp({ simOnly: true })}
  (--crash replaces the default crash "c1.lab@150..170" (timed by the call under a long
  --delay); with several policies --trace FILE
  writes one file per policy, FILE with the policy before its extension; --auth is not
  available here)

Examples:
  deno task lab rpc
  deno task lab rpc --policy gentle --trace rpc.mmd
  deno task lab rpc --json --work 200 --crash c1.lab@250..300
  deno task lab rpc --lose-unsynced 1      # crashes lose unsynced disk writes; the call log is
                                           # synced before each call leaves, so nothing changes`;

function traceFile(file: string, policy: OrphanPolicy, several: boolean): string {
  if (!several) return file;
  const dot = file.lastIndexOf(".");
  return dot <= 0 ? `${file}.${policy}` : `${file.slice(0, dot)}.${policy}${file.slice(dot)}`;
}

function narrator(prefix: string): (event: TraceEvent) => void {
  return (event) => {
    let line: string | undefined;
    if (event.ev === "log") {
      if (event.note?.startsWith("rpc:")) {
        line = `${event.t.toFixed(3).padStart(10)} ms  ${event.at} ${event.note.slice(5)}`;
      }
    } else if (
      event.ev !== "send" || event.from === undefined || event.to === undefined ||
      machineOf(event.from) !== machineOf(event.to)
    ) {
      line = narrate(event);
    }
    if (line !== undefined) console.log(prefix + line);
  };
}

/** The experiment as the flags ask for it. */
interface RpcPlan {
  readonly common: ReturnType<typeof parseCommon>;
  readonly policies: readonly OrphanPolicy[];
  readonly calls: number;
  readonly work: number;
  readonly step: number;
  readonly quantum: number;
  readonly clients: number;
  readonly servers: number;
  readonly crashes: readonly CrashPlan[];
  /** The default crash under a long delay, timed by a call's arrival; none when `crashes` is set. */
  readonly callCrash: CallCrash | undefined;
}

/** Runs the RPC orphan experiment; returns the exit code (1 when a call was given up). */
export async function runRpc(args: string[]): Promise<number> {
  const plan = parseRpc(args);
  if (plan === undefined) return 0;
  if (!plan.common.quiet) console.log(opening(plan));
  const outcomes: OrphanOutcome[] = [];
  for (const policy of plan.policies) outcomes.push(await runPolicy(plan, policy));
  const summary = rpcSummary(plan, outcomes);
  keepSummary(summary);
  const code = summary.errors > 0 ? 1 : 0;
  if (plan.common.json) {
    console.log(JSON.stringify(summary));
    return code;
  }
  printPolicies(plan, outcomes);
  const note = remedyNote(plan);
  if (note !== undefined) console.log(`\n${note}`);
  printSummary(plan, summary, outcomes.reduce((n, o) => n + o.latencies.length, 0));
  return code;
}

/** Reads the flags; `undefined` when `--help` was printed. */
function parseRpc(args: string[]): RpcPlan | undefined {
  const opened = openFlags(args, {
    ...COMMON_FLAGS,
    policy: { type: "string" },
    calls: { type: "string" },
    work: { type: "string" },
    step: { type: "string" },
    quantum: { type: "string" },
    clients: { type: "string" },
    servers: { type: "string" },
  }, USAGE);
  if (opened === undefined) return undefined;
  const { values } = opened;
  const unavailable = "the orphan experiment runs without authentication";
  refuseFlags(values, {
    auth: unavailable,
    encrypt: unavailable,
    skew: "the orphan experiment runs every machine on the simulator's own clock",
    hosts: "the orphan experiment runs in the simulator only, which has no hosts",
    ssh: "the orphan experiment runs in the simulator only, which has no hosts",
  }, USAGE);
  const common = parseCommon({ ...values, sim: true }, USAGE);
  const chosen = values.policy ?? "all";
  if (chosen !== "all" && !ORPHAN_POLICIES.includes(chosen as OrphanPolicy)) {
    throw new UsageError(
      `Cannot use --policy "${chosen}": use ${ORPHAN_POLICIES.join(", ")} or all`,
      USAGE,
    );
  }
  const clients = intFlag("clients", values.clients, 2, USAGE, 1);
  const servers = intFlag("servers", values.servers, 2, USAGE, 1);
  checkFaultTargets(common, [
    ...Array.from({ length: clients }, (_, i) => `c${i + 1}.lab`),
    ...Array.from({ length: servers }, (_, i) => `s${i + 1}.lab`),
  ], USAGE);
  const calls = intFlag("calls", values.calls, 4, USAGE, 0);
  const work = intFlag("work", values.work, 100, USAGE, 0);
  const step = intFlag("step", values.step, 1, USAGE, 1);
  return {
    common,
    policies: chosen === "all" ? ORPHAN_POLICIES : [chosen as OrphanPolicy],
    calls,
    work,
    step,
    quantum: intFlag("quantum", values.quantum, 20, USAGE, 1),
    clients,
    servers,
    ...defaultCrashes(common.crashes, common.latency, { calls, work, step }),
  };
}

/**
 * A crash timed by a call instead of the clock: `machine` crashes `after` ms after its `call`-th
 * call reaches its server, and restarts `restartAfter` ms after the crash.
 */
interface CallCrash {
  readonly machine: string;
  readonly call: number;
  readonly after: number;
  readonly restartAfter: number;
}

/**
 * The ms the default crash (150 ms) leaves for c1.lab's first call's request and reply before
 * its second call leaves: 150 less the default work (100 units of 1 ms).
 */
const CRASH_ROOM_FOR_TRIPS = 50;

/** How far into its work the call is when a crash timed by the call comes. */
const CRASH_INTO_WORK = 0.4;

/**
 * The crash: the user's `--crash` when given; else {@link DEFAULT_CRASHES} (c1.lab down at
 * 150 ms, about 40 ms after its second call reached its server, and back 20 ms later) while the
 * first call's request and reply fit in {@link CRASH_ROOM_FOR_TRIPS} ms at `latency`'s bound.
 * Under a longer delay no fixed time falls inside the second call for every draw of the delay
 * (at 150 ms c1.lab may still wait for its first call; at the bound's time it may be done): the
 * crash is then timed by the call itself, {@link CRASH_INTO_WORK} of its work (40 ms of the
 * default 100) after the second call (the first with one call) reaches its server, the restart
 * 20 ms later, so that the orphan is there under any delay.
 */
function defaultCrashes(
  given: readonly CrashPlan[],
  latency: Latency | undefined,
  { calls, work, step }: { calls: number; work: number; step: number },
): { crashes: readonly CrashPlan[]; callCrash: CallCrash | undefined } {
  if (given.length > 0) return { crashes: given, callCrash: undefined };
  if (exchangeBound(latency) <= CRASH_ROOM_FOR_TRIPS) {
    return { crashes: DEFAULT_CRASHES, callCrash: undefined };
  }
  const [crash] = DEFAULT_CRASHES;
  return {
    crashes: [],
    callCrash: {
      machine: crash.machine,
      call: Math.max(1, Math.min(2, calls)),
      after: Math.round(CRASH_INTO_WORK * work * step),
      restartAfter: (crash.restartAt ?? crash.at) - crash.at,
    },
  };
}

/**
 * Says so when, under the crash timed by the call, a trip at the delay's bound is longer than the
 * orphan's work left at the restart: the kill or epoch of the restarted client then comes too
 * late for the remedies that act on the restart, which is the delay's lesson, not the lab's.
 */
function remedyNote(plan: RpcPlan): string | undefined {
  const { callCrash, common, work, step } = plan;
  if (callCrash === undefined || common.latency === undefined) return undefined;
  const trip = Math.ceil(latencyBound(common.latency));
  const left = work * step - callCrash.after - callCrash.restartAfter;
  if (trip < left) return undefined;
  const enough = Math.ceil((trip + callCrash.restartAfter) / ((1 - CRASH_INTO_WORK) * step));
  return `note: the restarted ${callCrash.machine} sends its kill or epoch at once, but it takes ` +
    `up to ${trip} ms (--delay) to reach the server,\nwhere the orphan has ${
      Math.max(0, left)
    } ms of work left: extermination, reincarnation and gentle kill it only when that ` +
    `trip is\nshorter; --work above ${enough} leaves them time`;
}

/** Schedules `crash` when its machine's call reaches a server in `sim`. */
function crashOnCall(sim: Simulator, crash: CallCrash): void {
  let arrived = 0;
  sim.trace.listen((event) => {
    if (event.ev !== "receive" || event.kind !== "rpc-call" || event.from === undefined) return;
    if (machineOf(event.from) !== crash.machine || ++arrived !== crash.call) return;
    const at = event.t + crash.after;
    sim.crash(crash.machine, { at, restartAt: at + crash.restartAfter });
  });
}

/** The line that says what runs. */
function opening(plan: RpcPlan): string {
  const { callCrash } = plan;
  const crashText = callCrash !== undefined
    ? `${callCrash.machine} crashes ${callCrash.after} ms after its ${
      callCrash.call === 1 ? "first" : "second"
    } call reaches its server (--delay) and restarts ${callCrash.restartAfter} ms later`
    : plan.crashes.map((c) =>
      `${c.machine} crashes at ${c.at} ms${
        c.restartAt === undefined ? "" : ` and restarts at ${c.restartAt} ms`
      }`
    ).join(", ");
  return `rpc: ${plan.clients} clients x ${plan.calls} calls of ${plan.work} units (${plan.step} ms each) on ${plan.servers} ` +
    `servers; ${crashText}; simulator (seed ${plan.common.seed})`;
}

/**
 * The timeouts `--delay` needs longer than their defaults: a server's wait for a new quantum or
 * a probe's answer (one round trip), and a client's wait for its reply (the call, and one
 * round trip per quantum of its work under expiration).
 */
function delayTimeouts(
  plan: RpcPlan,
): { renewTimeout: number; probeTimeout: number; timeout: number } {
  const latency = plan.common.latency;
  const quanta = Math.ceil((plan.work * plan.step) / plan.quantum);
  return {
    renewTimeout: delayTimeout(50, latency),
    probeTimeout: delayTimeout(50, latency),
    timeout: delayTimeout(10_000, latency, 2 + 2 * quanta),
  };
}

/** Runs one policy; its trace is written where asked, also when the run fails. */
async function runPolicy(plan: RpcPlan, policy: OrphanPolicy): Promise<OrphanOutcome> {
  const { common, policies } = plan;
  let simulator: Simulator | undefined;
  const file = common.trace && traceFile(common.trace, policy, policies.length > 1);
  const outcome = await simulateOrphans({
    policy,
    calls: plan.calls,
    work: plan.work,
    step: plan.step,
    quantum: plan.quantum,
    ...delayTimeouts(plan),
    clients: plan.clients,
    servers: plan.servers,
    seed: common.seed,
    crashes: plan.crashes,
    simulator: {
      drop: common.drop,
      duplicate: common.duplicate,
      reorder: common.reorder,
      latency: common.latency,
      reliable: common.reliable,
      loseUnsynced: common.loseUnsynced,
      replay: replayCommand(common.seed),
    },
    setup(sim) {
      simulator = sim;
      if (!common.quiet) {
        sim.trace.listen(narrator(policies.length > 1 ? `[${policy}] ` : ""));
      }
      // The crashes are the plan's, scheduled by simulateOrphans itself, or timed by a call.
      if (plan.callCrash !== undefined) crashOnCall(sim, plan.callCrash);
      scheduleFaultFlags(sim, { partitions: common.partitions });
    },
  }).catch(async (error) => {
    if (simulator !== undefined) await keepTrace(simulator.trace, file || undefined);
    throw error;
  });
  await saveTrace(outcome.sim.trace, { sim: true, trace: file || undefined });
  return outcome;
}

/** The `--json` object: the common summary, and each policy's figures. */
function rpcSummary(plan: RpcPlan, outcomes: readonly OrphanOutcome[]): Summary {
  const sum = (pick: (o: OrphanOutcome) => number) => outcomes.reduce((n, o) => n + pick(o), 0);
  const latencies = outcomes.flatMap((o) => o.latencies);
  const digest = outcomes.length === 1
    ? outcomes[0].traceDigest
    : createHash("sha256").update(outcomes.map((o) => o.traceDigest).join("\n")).digest("hex");
  return {
    architecture: "rpc",
    transport: "sim",
    seed: plan.common.seed,
    requests: sum((o) => o.requests),
    messages: sum((o) => o.messages),
    bytes: sum((o) => o.bytes),
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: sum((o) => o.retransmissions),
    errors: sum((o) => o.failed),
    traceDigest: digest,
    policies: Object.fromEntries(outcomes.map((o) => [o.policy, {
      orphans: o.orphans,
      killed: o.killed,
      wastedWork: o.wastedWork,
      messages: o.messages,
      collateral: o.collateral,
      lostWork: o.lostWork,
      lateReplies: o.lateReplies,
      control: o.control,
      stableWrites: o.stableWrites,
      requests: o.requests,
      completed: o.completed,
      failed: o.failed,
      latency: { p50: percentile(o.latencies, 50), p99: percentile(o.latencies, 99) },
      traceDigest: o.traceDigest,
    }])),
  };
}

/** One row per policy. */
function printPolicies(plan: RpcPlan, outcomes: readonly OrphanOutcome[]): void {
  const header = [
    "policy",
    "orphans",
    "killed",
    "wasted work",
    "collateral",
    "lost work",
    "late replies",
    "messages",
    "control",
    "stable writes",
    "calls done",
    "p50 ms",
  ];
  const rows = outcomes.map((o) =>
    [
      o.policy,
      o.orphans,
      o.killed,
      o.wastedWork,
      o.collateral,
      o.lostWork,
      o.lateReplies,
      o.messages,
      o.control,
      o.stableWrites,
      `${o.completed}/${plan.clients * plan.calls}`,
      o.latencies.length === 0 ? "none" : percentile(o.latencies, 50).toFixed(1),
    ].map(String)
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ");
  console.log("");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

/** The common summary table, the legend, and where the traces went. */
function printSummary(plan: RpcPlan, summary: Summary, calls: number): void {
  console.log("");
  console.log(table([
    ["architecture", "rpc"],
    ["transport", "sim"],
    ["seed", summary.seed],
    ["requests", summary.requests],
    ["messages", `${summary.messages} between machines`],
    ["bytes", summary.bytes],
    ...latencyRows(summary.latency, calls, "one call", "no call returned"),
    ["retransmissions", summary.retransmissions],
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
  ]));
  console.log("");
  console.log(
    "orphans: computations whose client crashed while they ran; killed: orphans a policy stopped;\n" +
      "wasted work: units done for orphans after the crash; collateral / lost work: computations\n" +
      "killed (and their units) although their caller still waited; late replies: orphans that ran\n" +
      "to the end and answered nobody; control: kills, epochs, renewals and probes among messages;\n" +
      "stable writes: the log extermination keeps on disk (and the epoch numbers).",
  );
  const { trace } = plan.common;
  if (trace) {
    console.log(
      plan.policies.length === 1
        ? `trace written to ${trace}`
        : `traces written to ${plan.policies.map((p) => traceFile(trace, p, true)).join(", ")}`,
    );
  }
}
