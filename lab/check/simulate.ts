/**
 * One checked run in the simulator: the user's node on machines `n1.lab` … `nN.lab` (each told
 * who it is by an init message), the workload's clients on `c1.lab` … `cC.lab`, each bound to a
 * node in turn, the nemesis and the final reader on the lab's machine `ctl.lab`. The run goes
 * in phases (workload, faults healing, final reads) in slices of virtual time, and ends when
 * every phase is done or its time budget is spent.
 * @module
 */
import { AuthStage } from "../../core/auth/auth_stage.ts";
import { ProcessStoppedError } from "../../core/errors.ts";
import type { Latency } from "../../core/latency.ts";
import type { ProcessFn } from "../../core/process.ts";
import { Simulator } from "../../core/simulator/simulator.ts";
import type { TraceEvent } from "../../core/trace.ts";
import type { CrashSpec, PartitionSpec } from "../_common.ts";
import { checkClient, finalReader } from "./client.ts";
import { History } from "./history.ts";
import { nemesis, type NemesisEvent, type NemesisKind } from "./nemesis.ts";
import { harnessed, initSender, NodeHarness } from "./node_harness.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { Workload } from "./workload.ts";
import { runLiveSlice } from "../results/live_slice.ts";
import { type FrameFault, frameFaultChooser } from "../shrink/fault_schedule.ts";

/** Options of {@link simulateCheck}. */
export interface SimulateOptions {
  /** Nodes. @default 3 */
  readonly nodeCount?: number;
  /** Clients. @default nodeCount times the workload's clients per node */
  readonly concurrency?: number;
  /** Operations in all. @default unlimited (then `timeLimit` applies) */
  readonly ops?: number;
  /** Ms of virtual time during which clients issue operations. @default 10_000 without `ops` */
  readonly timeLimit?: number;
  /** Operations per second, all clients together; 0 for no pause between operations. @default 100 */
  readonly rate?: number;
  /** Ms a client waits for a reply. @default 1000 */
  readonly timeout?: number;
  /** Faults the nemesis takes in turn. @default none */
  readonly nemesis?: readonly NemesisKind[];
  /** Ms of each healthy and each fault window. @default 1000 */
  readonly nemesisInterval?: number;
  /** Ms between the last healed fault and the final reads. @default 1000 */
  readonly recovery?: number;
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** Frame loss probability. @default 0 */
  readonly drop?: number;
  /** Frame duplication probability. @default 0 */
  readonly duplicate?: number;
  /** Frame reordering probability. @default 0 */
  readonly reorder?: number;
  /** Latency distribution. @default uniform 1..5 ms */
  readonly latency?: Latency;
  /** The core's reliable channel between machines. @default true */
  readonly reliable?: boolean;
  /** Record the simulator's trace. @default false */
  readonly trace?: boolean;
  /**
   * Told every trace event as it happens (a live view); the run then hands the event loop over
   * every few ms of wall time so the view can send them. Needs `trace`. @default none
   */
  readonly onEvent?: (event: TraceEvent) => void;
  /** Partitions from the command line. @default none */
  readonly partitions?: readonly PartitionSpec[];
  /** Crashes from the command line. @default none */
  readonly crashes?: readonly CrashSpec[];
  /** Authenticate every frame. @default none */
  readonly auth?: { readonly key: string; readonly encrypt?: boolean };
  /**
   * Exactly the frames lost, duplicated or held back (the seeded draws of `drop`, `duplicate`,
   * `reorder` are still taken but decide nothing). @default the draws decide
   */
  readonly frameFaults?: readonly FrameFault[];
  /** Receives every frame lost, duplicated or held back. @default not recorded */
  readonly recordFaults?: FrameFault[];
}

/** What a simulated run leaves. */
export interface SimulatedRun {
  /** Every operation. */
  readonly history: History;
  /** Node-to-node messages and node failures. */
  readonly harness: NodeHarness;
  /** The fault windows the nemesis opened. */
  readonly nemesis: readonly NemesisEvent[];
  /** The simulator (its trace and counters). */
  readonly sim: Simulator;
  /** Why the run stopped early: the simulator failed, or code rejected a promise nobody awaited. */
  readonly errors: readonly string[];
  /** Whether every client finished (and, when the workload wants them, the final reads). */
  readonly finished: boolean;
  /** Clients that ran the workload. */
  readonly clients: number;
}

/** Virtual ms run at a time between checks of the phase. */
const SLICE = 100;

/**
 * Runs `node` under `workload` in the simulator and returns the history.
 *
 * @example Echo nodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { simulateCheck } from "./simulate.ts";
 * const run = await simulateCheck(async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive<{ kind: string; echo?: unknown }>();
 *     if (m.body.kind === "echo") await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
 *   }
 * }, echoWorkload(), { ops: 20, seed: 3 });
 * assert.ok(run.finished);
 * assert.equal(run.history.ops.filter((op) => op.status === "ok").length, 20);
 * ```
 */
export async function simulateCheck(
  node: ProcessFn,
  workload: Workload,
  options: SimulateOptions = {},
): Promise<SimulatedRun> {
  const n = options.nodeCount ?? 3;
  const clients = options.concurrency ?? n * (workload.clientsPerNode ?? 1);
  const timeout = options.timeout ?? 1000;
  const rate = options.rate ?? 100;
  const timeLimit = options.timeLimit ?? (options.ops === undefined ? 10_000 : Infinity);
  const interval = rate > 0 ? (clients / rate) * 1000 : 0;
  const nemesisInterval = options.nemesisInterval ?? 1000;
  const sim = checkSimulator(options);
  const live = options.onEvent !== undefined;
  const machines = Array.from({ length: n }, (_, i) => `n${i + 1}.lab`);
  const nodes = machines.map((m) => `node@${m}`);
  const harness = new NodeHarness(nodes);
  const history = new History();
  const log: NemesisEvent[] = [];
  const errors: string[] = [];
  let done = 0, idle = false, read = false;
  for (const [i, machine] of machines.entries()) {
    sim.machine(machine).spawn("node", harnessed(node, harness));
    sim.machine(machine).spawn("init", initSender(nodes[i], nodes));
  }
  const quota = spawnClients(sim, clients, options.ops, (i, ops) =>
    checkClient({
      workload,
      node: nodes[i % n],
      index: i,
      history,
      ops,
      until: timeLimit,
      interval,
      timeout,
      onDone: () => done++,
    }));
  sim.machine("ctl.lab").spawn(
    "nemesis",
    nemesis({
      kinds: options.nemesis ?? [],
      interval: nemesisInterval,
      machines,
      harness,
      faults: sim,
      done: () => done === clients,
      log,
      onIdle: () => idle = true,
    }),
  );
  scheduleFaultFlags(sim, options);

  const unhandled = collectUnhandled(errors);
  globalThis.addEventListener("unhandledrejection", unhandled);
  try {
    const busy = Math.min(timeLimit, quota * (timeout + 2 * interval));
    const cap = busy + timeout + 2 * interval + SLICE;
    await advance(sim, () => done === clients, cap, errors, live);
    await advance(sim, () => idle, sim.now + 2 * nemesisInterval + SLICE, errors, live);
    if (workload.finalReads && errors.length === 0) {
      const recovery = options.recovery ?? 1000;
      const reader = finalReader({ nodes, history, recovery, timeout, onDone: () => read = true });
      sim.machine("ctl.lab").spawn("final", reader);
      const readCap = sim.now + recovery + n * 5 * (timeout + 100) + SLICE;
      await advance(sim, () => read, readCap, errors, live);
    }
    // Callbacks still queued when the run stopped settle now, while their rejections are caught.
    await macrotask();
  } finally {
    globalThis.removeEventListener("unhandledrejection", unhandled);
  }
  const finished = done === clients && (!workload.finalReads || read);
  return { history, harness, nemesis: log, sim, errors, finished, clients };
}

/**
 * The simulator of a checked run: its seed, faults, channel, frame chooser and authentication,
 * and the live view told every trace event (with `onEvent`).
 */
function checkSimulator(options: SimulateOptions): Simulator {
  const sim = new Simulator({
    seed: options.seed ?? 1,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    reliable: options.reliable ?? true,
    trace: options.trace ?? false,
    chooser: options.frameFaults || options.recordFaults
      ? frameFaultChooser({ only: options.frameFaults, record: options.recordFaults })
      : undefined,
    stages: options.auth ? [new AuthStage(options.auth)] : [],
  });
  if (options.onEvent) sim.trace.listen(options.onEvent);
  return sim;
}

/**
 * Spawns client `i` on machine `c{i+1}.lab` for each of `clients`, each with its share of `ops`
 * (all of them unbounded without `ops`); returns the largest share.
 */
function spawnClients(
  sim: Simulator,
  clients: number,
  ops: number | undefined,
  client: (i: number, ops: number) => ProcessFn,
): number {
  let quota = 0;
  for (let i = 0; i < clients; i++) {
    const share = ops === undefined
      ? Infinity
      : Math.floor(ops / clients) + (i < ops % clients ? 1 : 0);
    quota = Math.max(quota, share);
    sim.machine(`c${i + 1}.lab`).spawn("client", client(i, share));
  }
  return quota;
}

/** A listener that records the node code's unhandled rejections in `errors` instead of dying. */
function collectUnhandled(errors: string[]): (event: PromiseRejectionEvent) => void {
  return (event) => {
    // Node code that rejects a promise nobody awaits would otherwise end the whole lab.
    event.preventDefault();
    // A callback that acted for a process whose machine had crashed meanwhile: it is gone, as
    // on a real machine, and there is nothing to report.
    if (event.reason instanceof ProcessStoppedError) return;
    errors.push(`unhandled rejection: ${event.reason?.stack ?? event.reason}`);
  };
}

/** Resolves after one turn of the host's event loop (unhandled rejections are reported by then). */
function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

/**
 * Runs `sim` slice by slice until `ready()`, virtual time `cap`, quiescence or a failure; with
 * a live view (`live`), each slice in batches that let the view send what the run made.
 */
async function advance(
  sim: Simulator,
  ready: () => boolean,
  cap: number,
  errors: string[],
  live: boolean,
): Promise<void> {
  while (!ready() && sim.now < cap && errors.length === 0) {
    try {
      const until = Math.min(cap, sim.now + SLICE);
      const result = live ? await runLiveSlice(sim, until) : await sim.run({ until });
      if (result.quiescent) return;
    } catch (error) {
      errors.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
  }
}
