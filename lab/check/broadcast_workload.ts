/**
 * The broadcast workload: `{ kind: "broadcast", message }` answered `broadcast_ok`, and
 * `{ kind: "read" }` answered `{ kind: "read_ok", messages }`. Every acknowledged message must
 * eventually be read by every node: the final reads, after the faults are healed, must hold it.
 * Like Maelstrom's broadcast challenge it reports the stable latency of each message: the time
 * from its broadcast to the last read that still missed it.
 * @module
 */
import { percentile } from "../_common.ts";
import type { HistoryOp } from "./history.ts";
import { type Anomaly, listed, replyAnomalies, type Workload } from "./workload.ts";

function messagesOf(op: HistoryOp): unknown[] | undefined {
  const messages = op.reply?.messages;
  return Array.isArray(messages) ? messages : undefined;
}

/**
 * The broadcast workload.
 *
 * @example A message one node never read
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastWorkload } from "./broadcast_workload.ts";
 * import { History } from "./history.ts";
 * const history = new History();
 * const sent = history.invoke("client@c1.lab", "node@n1.lab", { kind: "broadcast", message: 1 }, 0);
 * history.complete(sent, "ok", 1, { kind: "broadcast_ok" });
 * for (const [node, messages] of [["node@n1.lab", [1]], ["node@n2.lab", []]] as const) {
 *   const read = history.invoke("final@ctl.lab", node, { kind: "read" }, 50, "final");
 *   history.complete(read, "ok", 51, { kind: "read_ok", messages: [...messages] });
 * }
 * const { anomalies } = broadcastWorkload().check(history.ops);
 * assert.equal(anomalies[0].type, "lost-message");
 * ```
 */
export function broadcastWorkload(): Workload {
  return {
    name: "broadcast",
    finalReads: true,
    request: (random, client, seq) =>
      random() < 0.5 ? { kind: "broadcast", message: client * 1_000_000 + seq } : { kind: "read" },
    check(history) {
      const anomalies = replyAnomalies(history);
      const { attempted, acked } = broadcasts(history);
      const { reads, finals } = readsOf(history, attempted, anomalies);
      const askedFinal = new Set<string>();
      for (const op of history) if (op.phase === "final") askedFinal.add(op.node);
      for (const node of askedFinal) {
        if (!finals.has(node)) {
          anomalies.push({
            type: "no-final-read",
            message: `${node} never answered a final read after the faults were healed`,
            node,
          });
        }
      }
      const { lost, stable } = deliveries(acked, reads, finals);
      anomalies.push(...lostAnomalies(lost));
      return {
        anomalies,
        details: {
          acknowledged: acked.size,
          lost: lost.length,
          stableLatency: {
            p50: percentile(stable, 50),
            p99: percentile(stable, 99),
            max: percentile(stable, 100),
          },
        },
      };
    },
  };
}

/** A successful read and the messages it held (as JSON). */
interface Read {
  readonly op: HistoryOp;
  readonly seen: Set<string>;
}

/** A message acknowledged but missing from some node's final read. */
interface Lost {
  readonly message: unknown;
  readonly missing: string[];
}

/** The messages broadcast (as JSON), and those acknowledged with their operation. */
function broadcasts(
  history: readonly HistoryOp[],
): { attempted: Set<string>; acked: Map<string, HistoryOp> } {
  const attempted = new Set<string>();
  const acked = new Map<string, HistoryOp>();
  for (const op of history) {
    if (op.request.kind === "broadcast") {
      const key = JSON.stringify(op.request.message);
      attempted.add(key);
      if (op.status === "ok") acked.set(key, op);
    }
  }
  return { attempted, acked };
}

/**
 * The successful reads, and each node's final read; a read without a messages array or with a
 * message nobody broadcast is an anomaly.
 */
function readsOf(
  history: readonly HistoryOp[],
  attempted: ReadonlySet<string>,
  anomalies: Anomaly[],
): { reads: Read[]; finals: Map<string, Set<string>> } {
  const reads: Read[] = [];
  const finals = new Map<string, Set<string>>();
  for (const op of history) {
    if (op.request.kind !== "read" || op.status !== "ok") continue;
    const messages = messagesOf(op);
    if (messages === undefined) {
      anomalies.push({
        type: "malformed-read",
        message: `${op.node} answered a read without a messages array: ${JSON.stringify(op.reply)}`,
        op: op.index,
      });
      continue;
    }
    const seen = new Set(messages.map((m) => JSON.stringify(m)));
    reads.push({ op, seen });
    if (op.phase === "final") finals.set(op.node, seen);
    const unexpected = [...seen].filter((m) => !attempted.has(m));
    if (unexpected.length > 0) {
      anomalies.push({
        type: "unexpected-message",
        message: `${op.node} read messages nobody broadcast: ${listed(unexpected)}`,
        op: op.index,
      });
    }
  }
  return { reads, finals };
}

/**
 * The acknowledged messages some final read misses, and the stable latency of the others: from
 * the broadcast to the last read that still missed it.
 */
function deliveries(
  acked: ReadonlyMap<string, HistoryOp>,
  reads: readonly Read[],
  finals: ReadonlyMap<string, Set<string>>,
): { lost: Lost[]; stable: number[] } {
  const lost: Lost[] = [];
  const stable: number[] = [];
  for (const [key, op] of acked) {
    const missing = [...finals].filter(([, seen]) => !seen.has(key)).map(([node]) => node);
    if (missing.length > 0) {
      lost.push({ message: JSON.parse(key), missing });
      continue;
    }
    let lastMiss = op.invoke;
    for (const read of reads) {
      if (read.op.invoke >= op.invoke && !read.seen.has(key)) {
        lastMiss = Math.max(lastMiss, read.op.complete);
      }
    }
    stable.push(lastMiss - op.invoke);
  }
  return { lost, stable };
}

/** The first ten lost messages, each an anomaly, and one more for the rest. */
function lostAnomalies(lost: readonly Lost[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const { message, missing } of lost.slice(0, 10)) {
    anomalies.push({
      type: "lost-message",
      message: `message ${JSON.stringify(message)} was acknowledged but never read by ${
        listed(missing)
      }`,
      lost: message,
      nodes: missing,
    });
  }
  if (lost.length > 10) {
    anomalies.push({
      type: "lost-message",
      message: `${lost.length - 10} more acknowledged messages were never read everywhere`,
      count: lost.length - 10,
    });
  }
  return anomalies;
}
