/**
 * One checked run on real sockets (`lab check --real`): each node `node@nK.lab` is its own OS
 * process (`lab node`) that loads the user's file itself and runs the node under the same
 * harness as the simulator; the clients are machines `c1.lab` … `cC.lab` that the lab hosts in
 * its own OS process, each with its own TCP endpoint, as Maelstrom keeps its clients in its own
 * process: every operation is timed on one clock, so the history's real-time order (what the
 * linearizability checker relies on) is exact. The nemesis and the final reader run on the
 * lab's machine `ctl.lab`; pauses reach the nodes as messages to a pause agent on each node
 * machine. Phases and time budgets are those of the simulator, in wall-clock ms.
 * @module
 */
import { machineOf, processOf } from "../../core/name.ts";
import type { ProcessFn } from "../../core/process.ts";
import type { Trace, TraceEvent } from "../../core/trace.ts";
import { MachineProcessError } from "../deploy/run_errors.ts";
import type { Deployment, MachineSpec } from "../deploy/deploy.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { TcpDeployment } from "../deploy/cluster.ts";
import { checkClient, finalReader } from "./client.ts";
import { History } from "./history.ts";
import { type FaultInjector, nemesis, type NemesisEvent } from "./nemesis.ts";
import { type NodeFailure, NodeHarness } from "./node_harness.ts";
import type { CheckedRun } from "./report.ts";
import type { SimulateOptions } from "./simulate.ts";
import type { Workload } from "./workload.ts";
import type { TransportName } from "../../core/network/host_network.ts";
import { restartedMachines } from "../_fault_flags.ts";

/**
 * Options of {@link realCheck}: those of the simulator (`reorder` held back up to three times
 * `latency`'s bound, so it needs `latency`), and narration.
 */
export interface RealCheckOptions extends Omit<SimulateOptions, "trace"> {
  /** Called for every trace event as it happens. @default none */
  readonly onEvent?: (event: TraceEvent) => void;
  /** Where a run that fails writes the trace so far. @default none */
  readonly traceFile?: string;
  /** What carries the frames between the nodes' OS processes. @default "tcp" */
  readonly transport?: TransportName;
}

/** What a run on real sockets leaves. */
export interface RealRun extends CheckedRun {
  /** What carried the frames. */
  readonly transport: TransportName;
  /** When it stopped, in ms since the start of the run. */
  readonly time: number;
  /** Every event of every machine, merged in time order. */
  readonly trace: Trace;
}

/** The lab's own processes on a node machine, besides the node. */
const HARNESS_PROCESSES: ReadonlySet<string> = new Set(["init", "pause"]);

/** Slack added to each phase's budget, in ms. */
const SLACK = 500;

/**
 * The nodes' harness as the nemesis sees it on the lab's side: a pause is sent to the pause
 * agent of the node's machine, which holds the node there.
 */
class RemotePauses extends NodeHarness {
  readonly #queue: { machine: string; from: number; until: number }[] = [];
  #wake: (() => void) | undefined;

  /** Sends the pause window to machine `machine`'s pause agent. */
  override pause(machine: string, from: number, until: number): void {
    this.#queue.push({ machine, from, until });
    this.#wake?.();
  }

  /** The process on `ctl.lab` that delivers the pauses. */
  readonly sender: ProcessFn = async (ctx) => {
    for (;;) {
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        await ctx.send(`pause@${next.machine}`, {
          kind: "pause",
          from: next.from,
          until: next.until,
        });
      }
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  };
}

/** The shape of a run: its nodes, clients and time budgets (each option with its default). */
interface RealPlan {
  readonly n: number;
  readonly clients: number;
  readonly timeout: number;
  readonly timeLimit: number;
  /** Ms between one client's operations. */
  readonly interval: number;
  readonly nemesisInterval: number;
  readonly recovery: number;
  readonly kinds: NonNullable<RealCheckOptions["nemesis"]>;
  /** Node machines `n1.lab` … */
  readonly machines: string[];
  /** Node addresses `node@n1.lab` … */
  readonly nodes: string[];
}

/** The plan of a run of `workload` under `options`. */
function realPlan(workload: Workload, options: RealCheckOptions): RealPlan {
  const n = options.nodeCount ?? 3;
  const clients = options.concurrency ?? n * (workload.clientsPerNode ?? 1);
  const rate = options.rate ?? 100;
  const machines = Array.from({ length: n }, (_, i) => `n${i + 1}.lab`);
  return {
    n,
    clients,
    timeout: options.timeout ?? 1000,
    timeLimit: options.timeLimit ?? (options.ops === undefined ? 10_000 : Infinity),
    interval: rate > 0 ? (clients / rate) * 1000 : 0,
    nemesisInterval: options.nemesisInterval ?? 1000,
    recovery: options.recovery ?? 1000,
    kinds: options.nemesis ?? [],
    machines,
    nodes: machines.map((m) => `node@${m}`),
  };
}

/**
 * Runs the node exported by the module at `module` under `workload` on real sockets.
 * @throws {InterruptedError} (as a rejection) on Ctrl-C.
 */
export async function realCheck(
  module: string,
  workload: Workload,
  options: RealCheckOptions = {},
): Promise<RealRun> {
  const plan = realPlan(workload, options);
  const { clients, nodes, machines, timeout, recovery } = plan;
  const deployment = await deployNodes(module, plan, options);
  const history = new History();
  const log: NemesisEvent[] = [];
  const failures: NodeFailure[] = [];
  const errors: string[] = [];
  let done = 0, idle = false, read = false, reading = false;
  const over = Promise.withResolvers<void>();
  const step = () => {
    if (done < clients || !idle) return;
    if (!workload.finalReads) return over.resolve();
    if (read) return over.resolve();
    if (reading) return;
    reading = true;
    deployment.spawnControl(
      "final",
      finalReader({ nodes, history, recovery, timeout, onDone: () => (read = true, step()) }),
    );
  };
  try {
    scheduleFaultFlags(deployment, options);
    const quota = await spawnClients(deployment, plan, {
      workload,
      history,
      ops: options.ops,
      onDone: () => (done++, step()),
    });
    spawnNemesis(deployment, plan, {
      log,
      done: () => done === clients,
      onIdle: () => (idle = true, step()),
    });
    const limit = setTimeout(() => over.resolve(), runBudget(plan, quota, workload));
    try {
      await deployment.run(over.promise);
    } catch (error) {
      if (!(error instanceof MachineProcessError)) throw error;
      if (machines.includes(error.machine)) {
        failures.push({
          node: error.process ?? `node@${error.machine}`,
          at: error.time,
          error: error.remoteStack ?? error.detail,
        });
      } else {
        errors.push(error.message);
      }
    } finally {
      clearTimeout(limit);
    }
    return {
      history,
      harness: { nodes, messages: nodeMessages(deployment.trace, plan), failures },
      nemesis: log,
      errors,
      finished: done === clients && (!workload.finalReads || read),
      clients,
      transport: deployment.transport,
      time: deployment.now(),
      trace: deployment.trace,
    };
  } finally {
    await stopAll(deployment, failures);
  }
}

/** Starts the node machines as OS processes: the node, its init agent, and its pause agent. */
async function deployNodes(
  module: string,
  plan: RealPlan,
  options: RealCheckOptions,
): Promise<TcpDeployment> {
  const { machines, nodes, kinds } = plan;
  const specs: MachineSpec[] = machines.map((name, i) => ({
    name,
    processes: [
      { name: "node", program: "check-node", args: { module, nodes } },
      { name: "init", program: "check-init", args: { node: nodes[i], nodes } },
      ...(kinds.includes("pause")
        ? [{ name: "pause", program: "check-pause", args: { nodes } }]
        : []),
    ],
  }));
  const { deployTcp } = await import("../deploy/cluster.ts");
  return await deployTcp(specs, {
    transport: options.transport,
    seed: options.seed ?? 1,
    reliable: options.reliable ?? true,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    auth: options.auth,
    onEvent: options.onEvent,
    traceFile: options.traceFile,
    // A crash restarts its machine on time when the replacement OS process started up front.
    spares: [...restartedMachines(options.crashes), ...(kinds.includes("crash") ? machines : [])],
  });
}

/** Starts one client machine per client, each with its share of `ops`; returns the largest. */
async function spawnClients(
  deployment: TcpDeployment,
  plan: RealPlan,
  run: {
    readonly workload: Workload;
    readonly history: History;
    readonly ops: number | undefined;
    readonly onDone: () => void;
  },
): Promise<number> {
  const { clients, n, nodes, timeLimit, interval, timeout } = plan;
  const hosts = [];
  for (let i = 0; i < clients; i++) hosts.push(await deployment.host(`c${i + 1}.lab`));
  let quota = 0;
  for (const [i, machine] of hosts.entries()) {
    const ops = run.ops === undefined
      ? Infinity
      : Math.floor(run.ops / clients) + (i < run.ops % clients ? 1 : 0);
    quota = Math.max(quota, ops);
    machine.spawn(
      "client",
      checkClient({
        workload: run.workload,
        node: nodes[i % n],
        index: i,
        history: run.history,
        ops,
        until: machine.runtime.now() + timeLimit,
        interval,
        timeout,
        onDone: run.onDone,
      }),
    );
  }
  return quota;
}

/** Starts the nemesis on `ctl.lab` (and the pause sender, when it pauses nodes). */
function spawnNemesis(
  deployment: TcpDeployment,
  plan: RealPlan,
  run: { readonly log: NemesisEvent[]; readonly done: () => boolean; readonly onIdle: () => void },
): void {
  // The nemesis acts on the run's clock: "now" for the deployment is its own start.
  const faults: FaultInjector = {
    partition(a, b, window) {
      const now = deployment.now();
      deployment.partition(a, b, { at: now, until: now + window.until - window.at });
    },
    crash(name, window) {
      const now = deployment.now();
      deployment.crash(name, { at: now, restartAt: now + window.restartAt - window.at });
    },
  };
  const pauses = new RemotePauses(plan.nodes);
  if (plan.kinds.includes("pause")) deployment.spawnControl("pauser", pauses.sender);
  deployment.spawnControl(
    "nemesis",
    nemesis({
      kinds: plan.kinds,
      interval: plan.nemesisInterval,
      machines: plan.machines,
      harness: pauses,
      faults,
      done: run.done,
      log: run.log,
      onIdle: run.onIdle,
    }),
  );
}

/** Wall-clock ms the run may take: the clients' work, the nemesis, the final reads, slack. */
function runBudget(plan: RealPlan, quota: number, workload: Workload): number {
  const { timeLimit, timeout, interval, nemesisInterval, recovery, n } = plan;
  const busy = Math.min(timeLimit, quota * (timeout + 2 * interval));
  return busy + timeout + 2 * interval + 2 * nemesisInterval + 3 * SLACK +
    (workload.finalReads ? recovery + n * 5 * (timeout + 100) : 0);
}

/** Messages the nodes' code sent to other nodes (the lab's init and pause agents aside). */
function nodeMessages(trace: Trace, plan: RealPlan): number {
  const nodeSet = new Set(plan.nodes);
  let messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send" || e.to === undefined || !nodeSet.has(e.to)) continue;
    if (e.from === e.to || !plan.machines.includes(machineOf(e.at))) continue;
    if (HARNESS_PROCESSES.has(processOf(e.at))) continue;
    messages++;
  }
  return messages;
}

/** Stops every machine; a node that failed meanwhile is one more failure for the verdict. */
async function stopAll(deployment: Deployment, failures: NodeFailure[]): Promise<void> {
  try {
    await deployment.stop();
  } catch (error) {
    if (!(error instanceof MachineProcessError)) throw error;
    failures.push({ node: error.process ?? error.machine, at: error.time, error: error.detail });
  }
}
