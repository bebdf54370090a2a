/**
 * What the transaction protocols write to stable storage: the record of their core `persist`
 * effects. The driver carries out each write before the next effect, so "log, then send" in a
 * step's effects is "log, then send" on the wire (raft's rule: persist before you speak).
 * @module
 */
import type { Effect } from "../core/protocol/protocol.ts";
import type { Failpoint } from "./failpoint.ts";
import type { LogRecord } from "./log_records.ts";
import type { TxMessage } from "./messages.ts";

/** One write to a transaction process's stable storage. */
export type StableWrite =
  /** Append `record` to the log (forced). */
  | { readonly kind: "append"; readonly record: LogRecord }
  /** Install committed values and append `record`, all or nothing. */
  | {
    readonly kind: "apply";
    readonly writes: readonly (readonly [string, unknown])[];
    readonly record: LogRecord;
  }
  /**
   * Mark failpoint `name` fired (it fires once across restarts); the process then writes
   * `failpoint <name> <txid>` to its trace and pauses, so that a harness crashes it exactly here.
   */
  | { readonly kind: "failpoint"; readonly name: Failpoint; readonly txid: string };

/**
 * What the two-phase commit protocols answer with: core effects carrying {@link TxMessage}s
 * and {@link StableWrite}s; they deliver nothing.
 */
export type TxEffect = Effect<TxMessage, never, StableWrite>;

/**
 * The messages among `effects`, as `[to, kind]` pairs (replies as `["reply", kind]`): handy to
 * check a state machine's output.
 *
 * @example Sends and replies
 * ```ts
 * import assert from "node:assert/strict";
 * import { messagesOf } from "./stable_write.ts";
 * assert.deepEqual(messagesOf([
 *   { kind: "persist", record: { kind: "append", record: { type: "end", txid: "t1" } } },
 *   { kind: "send", to: "bank@p1.lab", body: { kind: "tx-ack", txid: "t1" } },
 * ]), [["bank@p1.lab", "tx-ack"]]);
 * ```
 */
export function messagesOf(effects: readonly TxEffect[]): [string, string][] {
  const out: [string, string][] = [];
  for (const e of effects) {
    if (e.kind === "send") out.push([e.to, e.body.kind]);
    else if (e.kind === "reply") out.push(["reply", e.body.kind]);
  }
  return out;
}
