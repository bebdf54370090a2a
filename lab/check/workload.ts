/**
 * What a workload is: the requests its clients send, whether the run ends with a read of every
 * node, and the checker that turns the recorded history into anomalies.
 * @module
 */
import type { HistoryOp } from "./history.ts";

/** Something the checker found wrong. */
export interface Anomaly {
  /** A short kebab-case type: `lost-message`, `duplicate-id`, `nonlinearizable`. */
  readonly type: string;
  /** One sentence a person can act on. */
  readonly message: string;
  /** Details, by anomaly type. */
  readonly [detail: string]: unknown;
}

/** One operation of a failing window, as reports show it. */
export interface WindowRow {
  /** Index of the operation in the history. */
  readonly index: number;
  /** The client. */
  readonly client: string;
  /** The node it went to. */
  readonly node: string;
  /** What it did and saw: `cas 1->2 ok`, `read 3`, `write 4 ?`. */
  readonly op: string;
  /** Invocation time in ms. */
  readonly invoke: number;
  /** Completion time in ms; `null` when it never completed. */
  readonly complete: number | null;
  /** `"failing"` for the operation that could not be linearized, `"pending"` for one still running then. */
  readonly mark?: "failing" | "pending";
}

/** What a workload's checker returns. */
export interface WorkloadResult {
  /** What is wrong; empty when the history is valid. */
  readonly anomalies: Anomaly[];
  /** Extra figures for the report (broadcast's stable latency, lin-kv's keys). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A workload: what clients ask and how the answers are checked. */
export interface Workload {
  /** Its name on the command line: `echo`, `unique-ids`, `broadcast`, `g-counter`, `lin-kv`. */
  readonly name: string;
  /** Clients per node when the run does not say (lin-kv wants contention: 2). @default 1 */
  readonly clientsPerNode?: number;
  /** Whether the run ends with a `{ kind: "read" }` to every node once the faults are healed. */
  readonly finalReads: boolean;
  /** The next request of client `client` (from 0), its `seq`-th, at time `now`, drawing from `random`. */
  request(
    random: () => number,
    client: number,
    seq: number,
    now: number,
  ): Record<string, unknown>;
  /** Checks the history (replies already sorted into ok, fail and info). */
  check(history: readonly HistoryOp[]): WorkloadResult;
}

/**
 * The replies no workload accepts: a reply of another kind than `<kind>_ok` or `error`.
 *
 * @example A wrong reply kind
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * import { replyAnomalies } from "./workload.ts";
 * const history = new History();
 * const op = history.invoke("client@c1.lab", "node@n1.lab", { kind: "echo", echo: 1 }, 0);
 * history.complete(op, "info", 2, { kind: "hello" }, "unexpected reply");
 * assert.equal(replyAnomalies(history.ops)[0].type, "unexpected-reply");
 * ```
 */
export function replyAnomalies(history: readonly HistoryOp[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const op of history) {
    if (op.note !== "unexpected reply") continue;
    anomalies.push({
      type: "unexpected-reply",
      message: `${op.node} answered ${JSON.stringify(op.request)} with ${
        JSON.stringify(op.reply)
      }: expected kind "${op.request.kind}_ok" or "error" with a numeric code`,
      op: op.index,
    });
  }
  return anomalies;
}

/** Lists `items` in a message: all of them up to `max`, then how many more. */
export function listed(items: readonly unknown[], max = 5): string {
  const shown = items.slice(0, max).map((x) => typeof x === "string" ? x : JSON.stringify(x))
    .join(", ");
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
