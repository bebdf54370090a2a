/**
 * `deno task lab p2p`: n peers run the same sync loop (gossip with random partners, digest then
 * delta, CRDT merge) until every live peer holds the same state hash; prints the rounds,
 * messages and bytes it took next to the theory (log2 n + ln n for push, log3 n + ln ln n for
 * push-pull). Peers are OS processes over TCP on 127.0.0.1, or simulated with `--sim`.
 * @module
 */
import { delayPeriod, delayTimeout, exchangeBound } from "../_delay_timeouts.ts";
import type { Latency } from "../../core/latency.ts";
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { type ChurnPlan, planChurn } from "../../peers/churn.ts";
import { type ConvergenceStatus, ConvergenceTracker } from "../../peers/convergence.ts";
import { GOSSIP_KINDS, type PeerReport } from "../../peers/gossip_messages.ts";
import type { GossipMode } from "../../peers/gossip_process.ts";
import { peerAddress } from "../../peers/gossip_sim.ts";
import { Progress } from "../_progress.ts";
import { expectedPeers } from "./_expected.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  type FlagSpec,
  intFlag,
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
import {
  CONTROL_MACHINE,
  deploy,
  type Deployment,
  deployOptions,
  type MachineSpec,
} from "../deploy/deploy.ts";
import { keepSummary } from "../results/session.ts";
import { type LostFields, lostFields, printPartial, runUnlessLost } from "../deploy/lost_run.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { MachineLoss, MachineLostError } from "../deploy/run_errors.ts";

const USAGE = `Usage: deno task lab p2p [flags]

N peers (peer@p0.lab, ...) run the same sync loop: each round every peer picks random partners,
sends a digest (its version vector), and only the missing updates follow; states are CRDTs, so
merges commute. A client writes at random peers; the run ends when every live peer holds the same
state hash.

Runs on: OS processes over TCP on 127.0.0.1, one per peer (default), or the deterministic
simulator with --sim.

Flags:
  --peers N             number of peers (default 20)
  --mode MODE           push | pull | push-pull | rumour (default push)
  --fanout F            partners per round (default 1)
  --k K                 rumour mode: stop spreading after K partners already knew (default 2)
  --writes W            updates written at random peers at the start (default 1)
  --churn RATE          each round, each peer leaves with probability RATE (half crash, half
                        leave gracefully) and a new peer joins; during the first --churn-rounds
  --churn-rounds R      rounds with churn (default 5)
  --rounds R            give up after R rounds (default 100)
  --period MS           length of a round (default 100 ms, or, when --delay needs it, one
                        exchange of 3 trips at the delay's bound + 100 ms: the round-count
                        bounds assume an exchange ends within its round)
  --membership M        heartbeat (gossiped heartbeats, failure suspicion) | static (default heartbeat)
  --partition half@FROM..TO   also accepted: cut the peers in two halves from FROM to TO ms
${COMMON_HELP}

Examples:
  deno task lab p2p --peers 10
  deno task lab p2p --sim --peers 200 --mode push-pull --drop 0.2
  deno task lab p2p --sim --peers 50 --partition half@100..600`;

const MODES: readonly GossipMode[] = ["push", "pull", "push-pull", "rumour"];
const NARRATED = new Set(["g-want", "g-delta", "g-rumour", "g-leave"]);
/** The lab's monitor, to which OS processes report. */
const MONITOR = `monitor@${CONTROL_MACHINE}`;

/** What the monitor decided. */
interface Verdict {
  status: ConvergenceStatus;
  /** How the run ended: "machine lost" when a machine died for good before the verdict. */
  ended: "converged" | "limit" | "quiet" | "machine lost";
}

function halves(spec: string, n: number, usage: string): string {
  const at = spec.indexOf("@");
  const when = at < 0 ? "0" : spec.slice(at + 1);
  if (n < 2) throw new UsageError("Cannot partition fewer than 2 peers in halves", usage);
  const names = Array.from({ length: n }, (_, i) => `p${i}.lab`);
  const half = Math.floor(n / 2);
  return `${names.slice(0, half).join(",")}|${names.slice(half).join(",")}@${when}`;
}

/** The flags of `lab p2p`. */
const P2P_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...COMMON_FLAGS,
  peers: { type: "string" },
  mode: { type: "string" },
  fanout: { type: "string" },
  k: { type: "string" },
  writes: { type: "string" },
  churn: { type: "string" },
  "churn-rounds": { type: "string" },
  rounds: { type: "string" },
  period: { type: "string" },
  membership: { type: "string" },
};

/** The run's settings, each flag checked. */
interface P2pSettings {
  readonly n: number;
  readonly common: CommonOptions;
  readonly mode: GossipMode;
  readonly membership: string;
  readonly fanout: number;
  readonly k: number;
  readonly writes: number;
  readonly rounds: number;
  readonly period: number;
  readonly churnRounds: number;
  readonly churn: number;
}

/** What the run's processes share with the lab: the monitor's verdict and the writer's counts. */
interface P2pRunState {
  verdict?: Verdict;
  failedWrites: number;
  /** When the writer started writing. */
  since: number;
  /** Gossip bytes sent before the writer started (the simulator counts from there). */
  gossipBytesAtGo: number;
  /** The monitor's clock when it last looked. */
  lastNow: number;
  /** Machines whose OS process died during the run and were not restarted. */
  readonly losses: MachineLoss[];
  /** Set when the run ended because a machine died for good before the monitor's verdict. */
  lost?: MachineLostError;
  /** The writes: a verdict waits for them (see {@link WriteWatch}). */
  readonly writes: WriteWatch;
}

/**
 * What a verdict waits for: until each written peer reports a state that has its write, every
 * peer still holds the same empty state, which would pass for convergence in round 0.
 */
class WriteWatch {
  /** The writer has not finished yet. */
  writing = true;
  /** When each written peer answered its write. */
  readonly answered = new Map<string, number>();
  /** The written peers that reported since their write was answered. */
  readonly reportedSince = new Set<string>();
  /** The peer the writer is writing to now, if any. */
  pending: string | undefined;

  /** A peer reported its state at `t`. */
  reported(peer: string, t: number): void {
    const at = this.answered.get(peer);
    if (at !== undefined && t >= at) this.reportedSince.add(peer);
  }

  /** A write to `peer` was answered at `t`. */
  wrote(peer: string, t: number): void {
    this.answered.set(peer, t);
    this.reportedSince.delete(peer);
  }

  /**
   * The writer is done (it fails over from a silent peer, so it does not wait for a crashed one
   * for ever), and each written peer still `live` reported since.
   */
  done(live: ReadonlySet<string>): boolean {
    if (this.writing) return false;
    return [...this.answered.keys()].every((peer) =>
      this.reportedSince.has(peer) || !live.has(peer)
    );
  }
}

/** Runs the peer-to-peer sync loop; returns the exit code (1 when it did not converge). */
export async function runP2p(args: string[]): Promise<number> {
  const opened = openFlags(args, P2P_FLAGS, USAGE);
  if (opened === undefined) return 0;
  const settings = p2pSettings(opened.values);
  const { n, common, rounds, period, churnRounds, churn } = settings;
  const peers = Array.from({ length: n }, (_, i) => peerAddress(i));
  const plan = planChurn(n, { rate: churn, rounds: churnRounds, period, seed: common.seed });
  const tracker = new ConvergenceTracker({ period });
  const reporters = new Set<string>();
  const writes = new WriteWatch();
  const record = (report: PeerReport) => {
    tracker.record(report);
    // Only how many peers reported matters, until all of them did (the monitor's go).
    if (reporters.size < n) reporters.add(report.peer);
    writes.reported(report.peer, report.t);
  };
  const machines = peerMachines(settings, plan, peers, record);
  checkFaultTargets(common, machines.map((m) => m.name), USAGE);
  let settleAt = plan.until;
  for (const p of common.partitions) settleAt = Math.max(settleAt, p.until ?? Infinity);
  for (const c of common.crashes) settleAt = Math.max(settleAt, c.restartAt ?? c.at);
  if (!common.quiet) console.log(openingLine(settings));
  const { line, onEvent, progress } = p2pNarration(common);
  line.update(`p2p: starting ${machines.length} peers`);
  const started = performance.now();
  // Without a trace file nobody reads the events: stream them to the narration and the digest.
  const deployment: Deployment = await deploy(machines, {
    ...deployOptions(common, onEvent),
    keepTrace: common.trace !== undefined,
  });
  const state: P2pRunState = {
    failedWrites: 0,
    since: 0,
    gossipBytesAtGo: 0,
    lastNow: 0,
    losses: [],
    writes,
  };
  const { status, expected } = statusOver(settings, plan, tracker, deployment, state.losses);
  try {
    scheduleFaults(deployment, common, plan);
    deployment.spawnControl("writer", writerProcess(settings, peers, state));
    const done = Promise.withResolvers<void>();
    deployment.spawnControl(
      "monitor",
      monitorProcess(settings, state, {
        tracker,
        reporters,
        record,
        settleAt,
        status,
        written: (now) => writes.done(expected(now)),
        gossipBytes: () => gossipBytes(deployment),
        progress,
        everyone: machines.map((m) => `peer@${m.name}`),
        done: () => done.resolve(),
      }),
    );
    state.lost = await runUnlessLost(deployment, done.promise, {
      until: (rounds + 10) * period + settleAt,
    });
    await saveTrace(deployment.trace, common);
  } finally {
    line.done();
    await deployment.stop();
  }
  const v: Verdict = state.verdict ??
    { status: status(state.lastNow, state.since), ended: "machine lost" };
  return p2pOutcome(settings, deployment, state, v, performance.now() - started);
}

/** The scheduled faults: `--partition`, `--crash`, and the churn plan's crashes. */
function scheduleFaults(deployment: Deployment, common: CommonOptions, plan: ChurnPlan): void {
  scheduleFaultFlags(deployment, common);
  for (const d of plan.departures) if (d.crash) deployment.crash(`p${d.index}.lab`, { at: d.at });
}

/** Keeps and prints the run's summary (JSON or a table); returns the exit code. */
function p2pOutcome(
  settings: P2pSettings,
  deployment: Deployment,
  state: P2pRunState,
  v: Verdict,
  wallMs: number,
): number {
  const partial = lostFields(state.lost ?? state.losses);
  const summary = p2pSummary(settings, deployment, state, v, partial);
  keepSummary(summary);
  if (settings.common.json) {
    console.log(JSON.stringify(summary));
  } else {
    printP2p(settings, summary, deployment, v, wallMs, partial);
  }
  if (partial.unfinished !== undefined) return 1;
  return v.status.converged || (settings.mode === "rumour" && v.ended === "quiet") ? 0 : 1;
}

/**
 * The run's narration: a progress line on stderr (cleared before each line of stdout), the
 * trace's gossip and faults as they happen, and a line after each round.
 */
function p2pNarration(common: CommonOptions): {
  line: Progress;
  onEvent: ((event: TraceEvent) => void) | undefined;
  progress: (round: number, status: ConvergenceStatus) => void;
} {
  const line = new Progress({ enabled: !common.json });
  const say = (text: string) => {
    line.done();
    console.log(text);
  };
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    if (event.ev === "send" && !NARRATED.has(event.kind ?? "")) return;
    if (event.ev === "drop" || event.ev === "retransmit" || event.ev === "duplicate") return;
    const text = narrate(event);
    if (text !== undefined) say(text);
  };
  const progress = (round: number, status: ConvergenceStatus) => {
    line.update(
      `p2p: round ${round}, ${status.upToDate}/${status.live} live peers up to date, ` +
        `${status.distinct} distinct state${status.distinct === 1 ? "" : "s"}`,
    );
    if (common.quiet) return;
    say(
      `  -- after round ${round}: ${status.upToDate}/${status.live} live peers up to date, ` +
        `${status.distinct} distinct state${status.distinct === 1 ? "" : "s"}`,
    );
  };
  return { line, onEvent, progress };
}

/**
 * The convergence status at `now` (counting from `from`), judged over the peers the lab keeps
 * running, not those that reported lately (the same peers all along when nobody joins, leaves or
 * crashes). A peer whose OS process died (`kill -9`) and nothing restarts is down from then on:
 * it joins `losses`.
 */
function statusOver(
  settings: P2pSettings,
  plan: ChurnPlan,
  tracker: ConvergenceTracker,
  deployment: Deployment,
  losses: MachineLoss[],
): {
  status: (now: number, from: number) => ConvergenceStatus;
  expected: (now: number) => ReadonlySet<string>;
} {
  const { n, common } = settings;
  const steady = plan.departures.length + plan.arrivals.length + common.crashes.length === 0;
  let always: Set<string> | undefined;
  const crashes = [...common.crashes];
  deployment.onLost?.((loss) => {
    losses.push(loss);
    crashes.push({ machine: loss.machine, at: loss.time });
    always = undefined;
  });
  const expected = (now: number) =>
    steady && crashes.length === 0
      ? always ??= expectedPeers(n, plan, crashes, now)
      : expectedPeers(n, plan, crashes, now);
  return {
    status: (now, from) => tracker.status(now, { since: from, expected: expected(now) }),
    expected,
  };
}

/** Reads the flags after `--peers` (whose `half@` partitions it expands), each checked. */
function p2pSettings(values: Record<string, unknown>): P2pSettings {
  const n = intFlag("peers", values.peers, 20, USAGE, 1);
  if (Array.isArray(values.partition)) {
    values.partition = values.partition.map((p) => p.startsWith("half") ? halves(p, n, USAGE) : p);
  }
  const common = parseCommon(values, USAGE);
  if (values.mode !== "rumour") {
    refuseFlags(values, { k: "it applies to --mode rumour only" }, USAGE);
  }
  if (values.churn === undefined) {
    refuseFlags(values, { "churn-rounds": "it applies with --churn RATE only" }, USAGE);
  }
  const mode = (values.mode ?? "push") as GossipMode;
  if (!MODES.includes(mode)) {
    throw new UsageError(
      `Cannot use --mode "${values.mode}": use ${MODES.join(", ")}`,
      USAGE,
    );
  }
  const membership = (values.membership ?? "heartbeat") as string;
  if (membership !== "heartbeat" && membership !== "static") {
    throw new UsageError(
      `Cannot use --membership "${membership}": use heartbeat or static`,
      USAGE,
    );
  }
  const fanout = intFlag("fanout", values.fanout, 1, USAGE, 1);
  const k = intFlag("k", values.k, 2, USAGE, 1);
  const writes = intFlag("writes", values.writes, 1, USAGE, 0);
  const rounds = intFlag("rounds", values.rounds, 100, USAGE, 1);
  const period = intFlag(
    "period",
    values.period,
    delayPeriod(100, common.latency, EXCHANGE_TRIPS),
    USAGE,
    1,
  );
  const churnRounds = intFlag("churn-rounds", values["churn-rounds"], 5, USAGE, 1);
  const churn = values.churn === undefined ? 0 : Number(values.churn);
  if (!(churn >= 0 && churn <= 1)) {
    throw new UsageError(
      `Cannot use --churn "${values.churn}": give a rate between 0 and 1`,
      USAGE,
    );
  }
  return { n, common, mode, membership, fanout, k, writes, rounds, period, churnRounds, churn };
}

/** One machine per peer (those that leave told when), then one per peer that joins later. */
function peerMachines(
  settings: P2pSettings,
  plan: ChurnPlan,
  peers: readonly string[],
  record: (report: PeerReport) => void,
): MachineSpec[] {
  const { n, common, mode, fanout, k, period, membership, rounds } = settings;
  // In the simulator the peers report in process (the monitor's bookkeeping is no traffic worth
  // simulating), and the network counts the gossip frames' bytes: peers need not serialise twice.
  // OS processes report to the monitor in messages.
  const base = {
    peers,
    mode,
    fanout,
    k,
    period,
    membership,
    maxRounds: rounds + 5,
    ...(common.sim ? { report: record, countBytes: false } : { monitor: MONITOR }),
  };
  const leaving = new Map(plan.departures.filter((d) => !d.crash).map((d) => [d.index, d.at]));
  const machines: MachineSpec[] = [];
  for (let i = 0; i < n; i++) {
    const leaveAt = leaving.get(i);
    machines.push({
      name: `p${i}.lab`,
      processes: [{
        name: "peer",
        program: "gossip-peer",
        args: leaveAt === undefined ? base : { ...base, leaveAt },
      }],
    });
  }
  for (const a of plan.arrivals) {
    machines.push({
      name: `p${a.index}.lab`,
      processes: [{
        name: "peer",
        program: "gossip-peer",
        args: { ...base, joinAt: a.at, announce: true },
      }],
    });
  }
  return machines;
}

/** The line that says what is about to run. */
function openingLine(settings: P2pSettings): string {
  const { n, mode, fanout, membership, common } = settings;
  return `p2p: ${n} peers, mode ${mode}, fanout ${fanout}, ${
    mode === "rumour" ? "static" : membership
  } membership, ${
    common.sim
      ? `simulator (seed ${common.seed})`
      : `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1`
  }`;
}

/** Gossip bytes the deployment's network carried so far. */
function gossipBytes(deployment: Deployment): number {
  const byKind = deployment.stats().bytesByKind;
  let total = 0;
  for (const kind of GOSSIP_KINDS) total += byKind?.get(kind) ?? 0;
  return total;
}

/** Most attempts of one write, over every peer it tries. */
const WRITE_ATTEMPTS = 50;
/** Timeouts in a row after which the writer tries another peer. */
const FAIL_OVER_AFTER = 3;

/** The writer on `ctl.lab`: waits for the monitor's go, then writes at random peers. */
function writerProcess(
  settings: P2pSettings,
  peers: readonly string[],
  state: P2pRunState,
): (ctx: ProcessContext) => Promise<void> {
  const { n, writes } = settings;
  const timeout = delayTimeout(500, settings.common.latency);
  const random = (ctx: ProcessContext) => Math.floor(ctx.random() * n);
  return async (ctx) => {
    await ctx.receive({ kind: "go" });
    state.since = ctx.now();
    for (let w = 0; w < writes; w++) {
      const took = await write(ctx, () => peers[random(ctx)], {
        key: `k${w}`,
        value: w,
        timeout,
      }, state.writes);
      if (took === undefined) state.failedWrites++;
      else {
        // The first update enters the system when a peer takes it: rounds count from there.
        if (w === 0) state.since = took.sentAt;
        state.writes.wrote(took.peer, ctx.now());
      }
      state.writes.pending = undefined;
    }
    state.writes.writing = false;
  };
}

/** What the monitor watches with and reports to. */
interface MonitorWiring {
  readonly tracker: ConvergenceTracker;
  readonly reporters: ReadonlySet<string>;
  readonly record: (report: PeerReport) => void;
  /** When the last scheduled fault or churn is over: convergence counts from then. */
  readonly settleAt: number;
  readonly status: (now: number, from: number) => ConvergenceStatus;
  /** Whether the writes are over and each written live peer reported since (at `now`). */
  readonly written: (now: number) => boolean;
  readonly gossipBytes: () => number;
  readonly progress: (round: number, status: ConvergenceStatus) => void;
  /** Every peer, to be stopped at the end. */
  readonly everyone: readonly string[];
  readonly done: () => void;
}

/**
 * The monitor on `ctl.lab`: waits until every peer runs, lets the writer write, then checks the
 * state hashes once a round until they agree, the rumour cools, or the rounds run out.
 */
function monitorProcess(
  settings: P2pSettings,
  state: P2pRunState,
  wiring: MonitorWiring,
): (ctx: ProcessContext) => Promise<void> {
  const { n, common, mode, rounds, period } = settings;
  const { tracker, reporters, record, settleAt, status, progress } = wiring;
  const writer = `writer@${CONTROL_MACHINE}`;
  return async (ctx) => {
    // Wait until every peer runs, then let the writer write; then watch the hashes.
    const start = ctx.now();
    let go = Infinity, checked = 0;
    for (;;) {
      const now = state.lastNow = ctx.now();
      if (go === Infinity && (reporters.size >= n || now - start >= 5 * period)) {
        go = now;
        tracker.countFrom(now);
        state.gossipBytesAtGo = wiring.gossipBytes();
        await ctx.send(writer, { kind: "go" });
      }
      const limitAt = go + (rounds + 1) * period;
      // Once per round, half a round after the reports: one pass over the peers (a pass after
      // every report would cost n passes a round).
      const checkAt = go + (checked + 1.5) * period;
      if (now >= checkAt) {
        const current = status(now, state.since);
        if (now >= settleAt && current.converged && wiring.written(now)) {
          progress(current.rounds, current);
          state.verdict = { status: current, ended: "converged" };
          break;
        }
        progress(checked++, current);
        if (now >= settleAt && mode === "rumour" && current.hot === 0) {
          state.verdict = { status: current, ended: "quiet" };
          break;
        }
      }
      if (now >= limitAt) {
        state.verdict = { status: status(now, state.since), ended: "limit" };
        break;
      }
      const wait = Math.min(limitAt, checkAt, start + 5 * period) - now;
      if (common.sim) {
        // Reports come in process: before the go, look every ms whether every peer reported.
        await ctx.sleep(go === Infinity ? 1 : Math.max(wait, 1));
        continue;
      }
      let env;
      try {
        env = await ctx.receive<PeerReport>({ kind: "g-report", timeout: Math.max(wait, 1) });
      } catch (error) {
        if (error instanceof TimeoutError) continue;
        throw error;
      }
      record(env.body);
    }
    for (const peer of wiring.everyone) await ctx.send(peer, { kind: "g-stop" });
    wiring.done();
  };
}

/** The theory's bounds on the rounds, plus 2 rounds of slack (the last exchange, the boundary). */
function roundBounds(n: number): { push: number; pushPull: number } {
  return {
    push: Math.log2(n) + Math.log(n) + 2,
    pushPull: Math.log(n) / Math.log(3) + Math.log(Math.max(Math.log(n), 1)) + 2,
  };
}

/** The run's summary (the `--json` object). */
function p2pSummary(
  settings: P2pSettings,
  deployment: Deployment,
  state: P2pRunState,
  v: Verdict,
  partial: Partial<LostFields>,
): Summary {
  const { n, common, mode, fanout, writes } = settings;
  const s = v.status;
  const trace = deployment.trace;
  const stats = deployment.stats();
  const { push, pushPull } = roundBounds(n);
  return {
    architecture: "p2p",
    transport: deployment.transport,
    seed: common.seed,
    requests: writes,
    messages: s.messages,
    bytes: common.sim ? gossipBytes(deployment) - state.gossipBytesAtGo : s.bytes,
    latency: { p50: percentile(s.delays, 50), p99: percentile(s.delays, 99) },
    retransmissions: trace.count("retransmit"),
    errors: state.failedWrites,
    traceDigest: trace.digest(),
    peers: n,
    rounds: s.rounds,
    converged: s.converged,
    live: s.live,
    residue: s.residue,
    mode,
    fanout,
    bound: mode === "push-pull" ? pushPull : push,
    // Converged within `bound` rounds (one seed; the bound holds for the mean of several).
    withinBound: s.converged && s.rounds <= (mode === "push-pull" ? pushPull : push),
    frames: stats.frames,
    wireBytes: stats.bytes,
    ...partial,
  };
}

/** Prints the summary as a table. */
function printP2p(
  settings: P2pSettings,
  summary: Summary,
  deployment: Deployment,
  v: Verdict,
  wallMs: number,
  partial: Partial<LostFields>,
): void {
  const { n, common, mode, fanout } = settings;
  const s = v.status;
  const stats = deployment.stats();
  const { push, pushPull } = roundBounds(n);
  console.log("");
  printPartial(partial);
  console.log(table([
    ["architecture", `p2p (${mode}, fanout ${fanout})`],
    ["transport", summary.transport],
    ["seed", summary.seed],
    ["peers", `${n} initial, ${s.live} live at the end`],
    [
      "converged",
      s.converged ? "yes" : `no (${v.ended}; ${s.residue} live peers differ, ${s.distinct} states)`,
    ],
    [
      "rounds",
      // Rounds to converge: none when it did not (then the last change's round, not a result).
      `${
        s.converged ? s.rounds : `none (not converged; the last change came in round ${s.rounds})`
      }   (log2 n + ln n + 2 = ${push.toFixed(1)}; log3 n + ln ln n + 2 = ${pushPull.toFixed(1)})`,
    ],
    [
      "messages",
      `${s.messages} gossip messages (${(s.messages / Math.max(1, n)).toFixed(1)} per peer)`,
    ],
    [
      "bytes",
      `${summary.bytes} of gossip ${common.sim ? "frames" : "bodies"} (${stats.bytes} on the ` +
      `wire, ${stats.frames} frames)`,
    ],
    [
      "spread p50/p99",
      `${summary.latency.p50.toFixed(1)} / ${summary.latency.p99.toFixed(1)} ms`,
    ],
    ["retransmissions", summary.retransmissions],
    ["failed writes", summary.errors],
    ...(partial.machinesLost === undefined ? [] : [
      ["machines lost", partial.machinesLost.join(", ")] as [string, string],
    ]),
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${wallMs.toFixed(0)} ms`],
  ]));
  if (common.trace) console.log(`trace written to ${common.trace}`);
  const note = periodNote(settings.period, common.latency);
  if (note !== undefined) console.log(note);
}

/** A gossip exchange's one-way trips: digest, want (or delta) and delta. */
const EXCHANGE_TRIPS = 3;

/**
 * The note for a `--period` shorter than one exchange at the delay's bound: the round-count
 * bounds assume an exchange ends within its round, so the rounds then exceed them.
 */
function periodNote(period: number, latency: Latency | undefined): string | undefined {
  const exchange = exchangeBound(latency, EXCHANGE_TRIPS);
  if (exchange <= period) return undefined;
  return `note: the bounds on the rounds assume an exchange (digest, want, delta: 3 trips, up ` +
    `to ${exchange} ms at the delay's bound) ends within its round; --period ${period} is ` +
    `shorter, so exchanges span several rounds and the rounds exceed the bounds; leave ` +
    `--period out to size the round to the delay`;
}

/**
 * Writes `put.key` at a peer `pick` chooses, retrying while the peer is not up yet and trying
 * another after {@link FAIL_OVER_AFTER} timeouts in a row; the peer that took it and when the
 * answered attempt was sent, or `undefined` when none did in {@link WRITE_ATTEMPTS} attempts.
 */
async function write(
  ctx: ProcessContext,
  pick: () => string,
  put: { key: string; value: number; timeout: number },
  watch: WriteWatch,
): Promise<{ peer: string; sentAt: number } | undefined> {
  const { key, value, timeout } = put;
  let target = watch.pending = pick();
  for (let attempt = 0, silent = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const sentAt = ctx.now();
    try {
      await ctx.request(target, { kind: "put", key, value }, { timeout });
      return { peer: target, sentAt };
    } catch (error) {
      // The peer is not up yet (or lost the request): try again; a peer silent for
      // FAIL_OVER_AFTER timeouts in a row may have crashed: try another, as a client of a
      // replicated store fails over (a write waiting for a dead peer would hold the verdict).
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      if (error instanceof TimeoutError && ++silent === FAIL_OVER_AFTER) {
        target = watch.pending = pick();
        silent = 0;
      }
      await ctx.sleep(20);
    }
  }
  return undefined;
}
