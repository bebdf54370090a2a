/**
 * The history of a checked run: every client operation with its invocation and completion, in
 * real-time order. An operation ends `ok` (the node answered), `fail` (the node answered with a
 * definite error: it did not happen, or for lin-kv codes 20 and 22 it observed the state) or
 * `info` (indeterminate: no answer in time, so it may or may not have taken effect).
 * @module
 */
import { createHash } from "node:crypto";

/** How an operation ended. */
export type OpStatus = "ok" | "fail" | "info";

/** One client operation. */
export interface HistoryOp {
  /** Position in the history, in invocation order. */
  readonly index: number;
  /** The client that issued it (`client@c1.lab`). */
  readonly client: string;
  /** The node it was sent to. */
  readonly node: string;
  /** The request body. */
  readonly request: Readonly<Record<string, unknown>>;
  /** `"main"` during the workload, `"final"` for the reads after it. */
  readonly phase: "main" | "final";
  /** Invocation time in ms. */
  readonly invoke: number;
  /** Real-time order of the invocation among all events of the history. */
  readonly call: number;
  /** Completion time in ms; `Infinity` while pending and for indeterminate operations. */
  complete: number;
  /** Real-time order of the completion; `Infinity` while pending and for indeterminate ones. */
  ret: number;
  /** How it ended; `"info"` while pending. */
  status: OpStatus;
  /** The reply body, when there was one. */
  reply?: Readonly<Record<string, unknown>>;
  /** Why it is indeterminate (`info`): `timeout`, `unexpected reply`, an error code's text. */
  note?: string;
}

/** The error codes after which an operation certainly did not take effect (Maelstrom's). */
export const DEFINITE_CODES: ReadonlySet<number> = new Set([1, 10, 11, 12, 14, 20, 21, 22, 30]);

/**
 * A history recorder shared by the clients of one run. Events are numbered in the order they
 * are recorded, which is real-time order: in the simulator every client records into the same
 * recorder, so two events at the same virtual millisecond keep the order they happened in.
 *
 * @example An operation invoked and completed
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * const history = new History();
 * const op = history.invoke("client@c1.lab", "node@n1.lab", { kind: "echo", echo: 1 }, 0);
 * history.complete(op, "ok", 3, { kind: "echo_ok", echo: 1 });
 * assert.equal(history.ops[0].status, "ok");
 * assert.ok(history.ops[0].call < history.ops[0].ret);
 * ```
 */
export class History {
  /** Every operation, in invocation order. */
  readonly ops: HistoryOp[] = [];
  #events = 0;

  /** Records an invocation at `time` ms; returns the operation to complete later. */
  invoke(
    client: string,
    node: string,
    request: Readonly<Record<string, unknown>>,
    time: number,
    phase: "main" | "final" = "main",
  ): HistoryOp {
    const op: HistoryOp = {
      index: this.ops.length,
      client,
      node,
      request,
      phase,
      invoke: time,
      call: this.#events++,
      complete: Infinity,
      ret: Infinity,
      status: "info",
    };
    this.ops.push(op);
    return op;
  }

  /**
   * Completes `op` at `time` ms: `ok` or `fail` with the reply, or `info` with a note (then it
   * stays open-ended: it may take effect at any time after its invocation).
   */
  complete(
    op: HistoryOp,
    status: OpStatus,
    time: number,
    reply?: Readonly<Record<string, unknown>>,
    note?: string,
  ): void {
    op.status = status;
    if (reply !== undefined) op.reply = reply;
    if (note !== undefined) op.note = note;
    if (status !== "info") {
      op.complete = time;
      op.ret = this.#events++;
    }
  }

  /** SHA-256 (hex) of the history: equal runs give equal digests. */
  digest(): string {
    const hash = createHash("sha256");
    for (const op of this.ops) {
      hash.update(
        JSON.stringify([
          op.client,
          op.node,
          op.request,
          op.phase,
          op.invoke,
          op.call,
          op.status,
          op.status === "info" ? null : op.complete,
          op.status === "info" ? null : op.ret,
          op.reply ?? null,
          op.note ?? null,
        ]) + "\n",
      );
    }
    return hash.digest("hex");
  }
}
