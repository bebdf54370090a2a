/**
 * Real deployments: every machine is its own OS process (`lab node`) on 127.0.0.1, or where a
 * hosts file puts it (started here, over SSH, or by hand on its host, the lab waiting for it),
 * wired through a directory the lab hands out; the lab itself hosts machine `ctl.lab`. Trace events of every
 * node stream back and are merged into one trace, in time order, with times counted from the
 * start of the run (when the machines boot). Crash windows are kept in wall time: the
 * replacement process starts as soon as the old one is killed and stays unreachable until the
 * restart time, so its start-up (about half a second for `deno run`) is hidden inside the window;
 * a window shorter than that restarts late, and the restart event says by how much. A process
 * that fails on a machine fails the run; Ctrl-C ends the run, and both stop every machine. A
 * machine whose OS process dies on its own (`kill -9`) is a crash the lab notices and says on
 * stderr: restarted at once when the run restarts that machine after crashes (a `--crash` with
 * a restart time); otherwise the run goes on without it until the others are done, idle, or
 * stuck (nothing delivered for a while), and ends with a `MachineLostError` naming it.
 *
 * Every machine reports, with its clock ticks, whether anything runs or waits on a timer there
 * and how many frames it sent and received: when every machine has stayed idle with its
 * counters standing still for a while, nothing is left that could wake any of them (the
 * simulator's quiescence, on real machines). The lab can also host machines of the experiment
 * in its own OS process (clients, each with its own TCP endpoint), besides `ctl.lab`.
 *
 * The pieces: `_cluster.ts` (the state, start and stop), `_cluster_faults.ts` (crashes,
 * restarts, cuts), `_cluster_run.ts` (the run until done), `_launch_node.ts` and
 * `_node_links.ts` (one machine's OS process and the line to it), `_placement.ts` and
 * `hosts_file.ts` (where machines go), `_node_listener.ts` (machines started by hand).
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import type { Machine } from "../../core/machine.ts";
import type { ProcessFn } from "../../core/process.ts";
import type { TraceEvent } from "../../core/trace.ts";
import type { Deployment, DeployOptions, DeployStats, MachineSpec } from "./deploy.ts";
import { CONTROL_MACHINE } from "./deploy.ts";
import { Cluster } from "./_cluster.ts";
import { crashMachine, partitionMachines } from "./_cluster_faults.ts";
import { runCluster } from "./_cluster_run.ts";
import { startLabHost } from "./_lab_hosts.ts";
import { sumStats } from "./_cluster_ops.ts";

/** A deployment of OS processes, with what only real machines have. */
export interface TcpDeployment extends Deployment {
  /** What carries the frames between the OS processes. */
  readonly transport: TransportName;
  /** Ms since the start of the run (when the machines booted). */
  now(): number;
  /**
   * Ms for which every machine (OS processes and the lab's own) has been idle: no process
   * runnable, no timer pending, no frame sent or received; 0 while any is busy.
   */
  quietFor(): number;
  /**
   * Starts machine `name` in the lab's own OS process, with its own TCP endpoint, in the
   * directory and under the same faults as the others (not exempt, unlike `ctl.lab`).
   */
  host(name: string): Promise<Machine>;
  /** What the programs on each running machine reported in its last stats line. */
  reports(): Record<string, unknown>[];
}

/** Starts `machines` as OS processes and the control machine in this one. */
export async function deployTcp(
  machines: readonly MachineSpec[],
  options: DeployOptions = {},
): Promise<TcpDeployment> {
  const cluster = new Cluster(machines, options);
  await cluster.open();
  const { control, directory, locals, nodes } = cluster;
  return {
    transport: options.transport ?? "tcp",
    trace: cluster.trace,
    control: control.machine,
    spawnControl: (name: string, fn: ProcessFn) => control.machine.spawn(name, fn),
    run: (done, runOptions) => runCluster(cluster, done, runOptions),
    crash: (name, crash = {}) => crashMachine(cluster, name, crash),
    partition: (a, b, partition = {}) => partitionMachines(cluster, a, b, partition),
    stats(): DeployStats {
      return sumStats([control, ...[...locals.values()].map((l) => l.host)], nodes.values());
    },
    onLost: (listener) => {
      // A machine may die while the deployment starts, before the caller could listen: the
      // losses so far are handed over at once, or the run would never hear of them.
      for (const loss of cluster.lost) listener(loss);
      cluster.lostListeners.push(listener);
    },
    now: cluster.runTime,
    quietFor: cluster.quietFor,
    async host(name) {
      if (name === CONTROL_MACHINE || directory.has(name)) {
        throw new TypeError(`Cannot host machine "${name}": it is in this deployment already`);
      }
      const local = await startLabHost(name, cluster.labHostContext(cluster.recordLocal));
      locals.set(name, { host: local, idle: { counters: "" } });
      directory.set(name, local.endpoint);
      cluster.broadcast();
      return local.machine;
    },
    reports() {
      return [...nodes.values()].flatMap((node) =>
        node.stopping || node.reports === undefined ? [] : [node.reports]
      );
    },
    stop: () => cluster.stop(),
  };
}

export type { TraceEvent };
