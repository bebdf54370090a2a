/**
 * Crashes, restarts and partitions of a real deployment: a crashed machine's OS process is
 * killed at its time; its replacement, started ahead (or at the crash when its port is fixed),
 * is swapped in at the restart time; a cut tells each side's machines to lose the other's
 * frames until it heals.
 * @module
 */
import { CONTROL_MACHINE, type MachineSpec } from "./deploy.ts";
import type { Cluster } from "./_cluster.ts";
import { bootNode } from "./_cluster_ops.ts";
import { type NodeProcess, sendLine } from "./_node_process.ts";

/** A replacement started with the others for machine `name`, if any is left. */
export function takeSpare(cluster: Cluster, name: string): Promise<NodeProcess> | undefined {
  return cluster.waiting.get(name)?.shift();
}

/** Kills machine `name` now; the process killed, unless it was stopping already. */
export function crashNow(cluster: Cluster, name: string): NodeProcess | undefined {
  const node = cluster.nodes.get(name);
  if (node === undefined || node.stopping) return undefined;
  cluster.note({ ev: "crash", at: name });
  node.stopping = true;
  node.link.kill();
  return node;
}

/** Starts a replacement for machine `spec` now; it stays unreachable until swapped in. */
export function startSpare(cluster: Cluster, spec: MachineSpec): Promise<NodeProcess> {
  const spare = cluster.launch(spec).then((node) => {
    cluster.readyAt.set(node, cluster.runTime());
    return node;
  });
  cluster.spares.add(spare);
  spare.catch((error) => cluster.fail(error as Error));
  return spare;
}

/** Swaps `spare` in for the crashed `old` at `restartMs` (once it is ready and `old` gone). */
export function restartAt(
  cluster: Cluster,
  old: NodeProcess,
  spare: Promise<NodeProcess>,
  restartMs: number,
): void {
  cluster.at(restartMs, async () => {
    let node: NodeProcess;
    try {
      node = await spare;
      await old.exited;
    } catch {
      return; // The spare failed to start: fail() has reported it and ends the run.
    }
    cluster.spares.delete(spare);
    if (cluster.interrupted !== undefined || cluster.failure !== undefined) {
      cluster.nodes.set(node.source, node); // Stopped with the others.
      return;
    }
    swapIn(cluster, old.spec.name, node, restartMs);
  });
}

/** Makes `node` machine `name` from now on, and says how late it came. */
function swapIn(cluster: Cluster, name: string, node: NodeProcess, restartMs: number): void {
  const late = cluster.runTime() - restartMs;
  const starting = (cluster.readyAt.get(node) ?? 0) - restartMs;
  cluster.order.open(node.source);
  cluster.nodes.set(name, node);
  cluster.directory.set(name, node.endpoint);
  cluster.note({
    ev: "restart",
    at: name,
    ...(late > 50
      ? {
        note: `${name} (${late.toFixed(0)} ms late: ${
          starting > 0 ? "its new OS process took that long to start" : "the lab itself was busy"
        })`,
      }
      : {}),
  });
  cluster.broadcast();
  cluster.control.network.forget(name);
  for (const local of cluster.locals.values()) local.host.network.forget(name);
  bootNode(node);
}

/** Crashes machine `name` at `at`, restarting it at `restartAt` if given. */
export function crashMachine(
  cluster: Cluster,
  name: string,
  crash: { at?: number; restartAt?: number },
): void {
  if (!cluster.nodes.has(name)) {
    throw new TypeError(`Cannot crash machine "${name}": not in this deployment`);
  }
  const restart = crash.restartAt;
  const spec = cluster.nodes.get(name)!.spec;
  // The replacement was started with the others (options.spares), or starts now: either
  // way its start-up falls inside the crash window. One whose port the hosts file fixes
  // can only listen once the old one is gone: it starts at the crash.
  const spare = restart === undefined || cluster.fixedPort(name)
    ? undefined
    : takeSpare(cluster, name) ?? startSpare(cluster, spec);
  const crashAt = crash.at ?? cluster.runTime();
  cluster.at(crashAt, () => {
    const old = crashNow(cluster, name);
    // A crash that a busy lab fired late still keeps the machine down as long as asked.
    const down = restart === undefined ? 0 : restart - crashAt;
    if (old !== undefined && restart !== undefined) {
      const next = spare ?? old.exited.then(() => startSpare(cluster, spec));
      restartAt(cluster, old, next, Math.max(restart, cluster.runTime() + down));
    }
  });
}

/** Cuts `a` and `b` apart from `at` until `until` (one way with `oneWay`). */
export function partitionMachines(
  cluster: Cluster,
  a: string[],
  b: string[],
  partition: { at?: number; until?: number; oneWay?: boolean },
): void {
  const label = `${a.join(",")} ${partition.oneWay ? "->" : "|"} ${b.join(",")}`;
  const apply = (on: boolean) => {
    const cut = (from: readonly string[], to: string[]) => {
      for (const name of from) {
        if (name === CONTROL_MACHINE) cluster.control.network.cut(to, on);
        cluster.locals.get(name)?.host.network.cut(to, on);
        const node = cluster.nodes.get(name);
        if (node !== undefined) sendLine(node, { type: "cut", machines: to, on });
      }
    };
    cut(a, b);
    if (!partition.oneWay) cut(b, a);
    cluster.note({ ev: on ? "partition" : "heal", at: "network", note: label });
  };
  cluster.at(partition.at ?? cluster.runTime(), () => apply(true));
  if (partition.until !== undefined) cluster.at(partition.until, () => apply(false));
}
