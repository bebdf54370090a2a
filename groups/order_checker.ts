/**
 * The order checker: pure functions that read what each member delivered (from the trace's
 * `group-deliver` lines, or from logs the members kept) and count violations of FIFO, causal
 * and total order. It judges against ground truth carried by every message, not against the
 * protocol that delivered it: each message has its sender's stream, its index in that stream
 * and a happened-before vector clock, so a run of an unordered group can be judged too.
 *
 * - FIFO: a member delivered two messages of one sender in the opposite order of sending.
 * - Causal: a member delivered a message before one that happened before it (FIFO pairs count
 *   here too, since a sender's earlier message happened before its later one).
 * - Total: two members delivered two messages in opposite orders (counted per pair of members).
 * @module
 */
import { DELIVERY_LOG } from "./types.ts";
import type { TraceEvent } from "../core/trace.ts";
import type { VectorClock } from "../core/vector_clock.ts";

/** One delivery as the checker sees it. */
export interface DeliveryRecord {
  /** Message id. */
  readonly id: string;
  /** Sender's incarnation: `<sender>#<incarnation>`. */
  readonly stream: string;
  /** Position of the message in its stream, from 1. */
  readonly index: number;
  /** Happened-before clock of the message (`hb[stream] === index`). */
  readonly hb: VectorClock;
}

/** Violations of each order. */
export interface OrderViolations {
  /** Pairs of one sender's messages a member delivered out of sending order. */
  fifo: number;
  /** Pairs a member delivered against happened-before (FIFO pairs included). */
  causal: number;
  /** Pairs of messages two members delivered in opposite orders, summed over member pairs. */
  total: number;
}

/** What {@link checkOrder} finds. */
export interface OrderReport extends OrderViolations {
  /** Members judged. */
  members: number;
  /** Distinct messages delivered by anyone. */
  messages: number;
  /** Deliveries, duplicates included. */
  deliveries: number;
  /** Messages a member delivered more than once (summed over members). */
  duplicates: number;
  /** Messages some judged member delivered and another did not (atomicity, when all survived). */
  partial: number;
}

/** Counts pairs i < j with values[i] > values[j] (merge sort, O(n log n)). */
function inversions(values: number[]): number {
  if (values.length < 2) return 0;
  const mid = values.length >> 1;
  const left = values.slice(0, mid), right = values.slice(mid);
  let count = inversions(left) + inversions(right);
  let i = 0, j = 0, k = 0;
  while (i < left.length && j < right.length) {
    if (left[i] <= right[j]) values[k++] = left[i++];
    else {
      values[k++] = right[j++];
      count += left.length - i;
    }
  }
  while (i < left.length) values[k++] = left[i++];
  while (j < right.length) values[k++] = right[j++];
  return count;
}

/**
 * Counts order violations in per-member delivery logs (each in delivery order).
 *
 * @example A member that delivers a reply before its question breaks causal order
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOrder } from "./order_checker.ts";
 * const question = { id: "a/1", stream: "a", index: 1, hb: { a: 1 } };
 * const answer = { id: "b/1", stream: "b", index: 1, hb: { a: 1, b: 1 } };
 * const report = checkOrder({ x: [question, answer], y: [answer, question] });
 * assert.equal(report.causal, 1);
 * assert.equal(report.fifo, 0);
 * assert.equal(report.total, 1);
 * ```
 */
export function checkOrder(
  logs: Readonly<Record<string, readonly DeliveryRecord[]>>,
): OrderReport {
  const report: OrderReport = {
    members: 0,
    messages: 0,
    deliveries: 0,
    duplicates: 0,
    partial: 0,
    fifo: 0,
    causal: 0,
    total: 0,
  };
  const positions: Map<string, number>[] = [];
  const everyone = new Map<string, number>();
  for (const log of Object.values(logs)) {
    report.members++;
    report.deliveries += log.length;
    const seen = new Map<string, number>();
    const unique: DeliveryRecord[] = [];
    for (const record of log) {
      if (seen.has(record.id)) {
        report.duplicates++;
        continue;
      }
      seen.set(record.id, unique.length);
      unique.push(record);
      everyone.set(record.id, (everyone.get(record.id) ?? 0) + 1);
    }
    positions.push(seen);
    const streams = new Map<string, number[]>();
    for (const record of unique) {
      let indexes = streams.get(record.stream);
      if (indexes === undefined) streams.set(record.stream, indexes = []);
      indexes.push(record.index);
    }
    for (const indexes of streams.values()) report.fifo += inversions(indexes);
    for (let i = 0; i < unique.length; i++) {
      const early = unique[i];
      for (let j = i + 1; j < unique.length; j++) {
        const late = unique[j];
        if ((early.hb[late.stream] ?? 0) >= late.index) report.causal++;
      }
    }
  }
  report.messages = everyone.size;
  for (const count of everyone.values()) if (count < report.members) report.partial++;
  for (let a = 0; a < positions.length; a++) {
    for (let b = a + 1; b < positions.length; b++) {
      const inB: number[] = [];
      const order = [...positions[a].entries()].sort((x, y) => x[1] - y[1]);
      for (const [id] of order) {
        const at = positions[b].get(id);
        if (at !== undefined) inB.push(at);
      }
      report.total += inversions(inB);
    }
  }
  return report;
}

/** A delivery line of the trace, with the member and group it belongs to. */
export interface TracedDelivery extends DeliveryRecord {
  /** The group. */
  readonly group: string;
  /** The delivering member. */
  readonly member: string;
  /** Global sequence number, in a total-order group. */
  readonly gseq?: number;
}

/**
 * Reads the per-member delivery logs of `group` (every group when omitted) from trace events.
 *
 * @example From trace lines to a verdict
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOrder, deliveryLogs } from "./order_checker.ts";
 * const line = (member: string, id: string, index: number) => ({
 *   t: 0, ev: "log" as const, at: member,
 *   note: "group-deliver " + JSON.stringify({ group: "g", member, id, stream: "s", index, hb: { s: index } }),
 * });
 * const logs = deliveryLogs([line("x", "s/2", 2), line("x", "s/1", 1)]);
 * assert.equal(checkOrder(logs).fifo, 1);
 * ```
 */
export function deliveryLogs(
  events: readonly TraceEvent[],
  group?: string,
): Record<string, TracedDelivery[]> {
  const logs: Record<string, TracedDelivery[]> = {};
  for (const event of events) {
    if (event.ev !== "log" || !event.note?.startsWith(DELIVERY_LOG)) continue;
    const record = JSON.parse(event.note.slice(DELIVERY_LOG.length)) as TracedDelivery;
    if (group !== undefined && record.group !== group) continue;
    (logs[record.member] ??= []).push(record);
  }
  return logs;
}
