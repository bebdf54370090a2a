/**
 * What the real-process launcher tells all its machines at once: the directory, the processes
 * each boots, requests for their counters; and how it adds their counters up.
 * @module
 */
import type { Host } from "../../core/network/host.ts";
import type { DeployStats } from "./deploy.ts";
import { type NodeProcess, sendLine } from "./_node_process.ts";
import { within } from "./_within.ts";

/**
 * Sends every machine in `nodes` the whole directory.
 *
 * @example Nobody to tell
 * ```ts
 * import { broadcastDirectory } from "./_cluster_ops.ts";
 * broadcastDirectory([], new Map([["m1.lab", "127.0.0.1:4001"]]));
 * ```
 */
export function broadcastDirectory(
  nodes: Iterable<NodeProcess>,
  directory: ReadonlyMap<string, string>,
): void {
  const entries = Object.fromEntries(directory);
  for (const node of nodes) sendLine(node, { type: "directory", entries });
}

/**
 * Tells machine `node` to spawn the processes it boots, and watches its idleness afresh.
 *
 * @example One process
 * ```ts
 * import assert from "node:assert/strict";
 * import { bootNode } from "./_cluster_ops.ts";
 * import type { NodeProcess } from "./_node_process.ts";
 * const sent: string[] = [];
 * const writer = new WritableStream<Uint8Array>({
 *   write: (c) => void sent.push(new TextDecoder().decode(c)),
 * }).getWriter();
 * const node = { spec: { name: "m1.lab", processes: [{ name: "kv", program: "kv-server" }] }, writer, idle: { counters: "1/1" } };
 * bootNode(node as unknown as NodeProcess);
 * await writer.ready;
 * assert.match(sent[0], /"type":"spawn","name":"kv","program":"kv-server"/);
 * assert.deepEqual(node.idle, { counters: "" });
 * ```
 */
export function bootNode(node: NodeProcess): void {
  // Idle before its boot says nothing: watched afresh from its next tick.
  node.idle = { counters: "" };
  for (const p of node.spec.processes) {
    sendLine(node, {
      type: "spawn",
      name: p.name,
      program: p.program,
      args: p.args as Record<string, unknown>,
      capacity: p.capacity,
    });
  }
}

/**
 * Asks every machine in `nodes` that still runs for its counters and waits at most `ms` ms for
 * the answers (a node handles its control lines in order: once it answers, what it was told
 * before is done).
 *
 * @example No machine
 * ```ts
 * import { askStats } from "./_cluster_ops.ts";
 * await askStats([], 10);
 * ```
 */
export async function askStats(nodes: Iterable<NodeProcess>, ms: number): Promise<void> {
  await within(
    Promise.all([...nodes].map((node) => {
      if (node.stopping || node.gone) return Promise.resolve();
      node.statsWaiter = Promise.withResolvers<void>();
      sendLine(node, { type: "stats" });
      return node.statsWaiter.promise;
    })),
    ms,
  );
}

/**
 * The network counters of the lab's own hosts and of its machines' last reports, added up.
 *
 * @example No machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { sumStats } from "./_cluster_ops.ts";
 * assert.deepEqual(sumStats([], []), { frames: 0, bytes: 0, acks: 0 });
 * ```
 */
export function sumStats(hosts: Iterable<Host>, nodes: Iterable<NodeProcess>): DeployStats {
  let frames = 0, bytes = 0, acks = 0;
  for (const host of hosts) {
    frames += host.network.stats.frames;
    bytes += host.network.stats.bytes;
    acks += host.network.stats.acks;
  }
  for (const node of nodes) {
    frames += node.stats.frames;
    bytes += node.stats.bytes;
    acks += node.stats.acks;
  }
  return { frames, bytes, acks };
}
