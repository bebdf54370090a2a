/**
 * What the transaction state machines ask their process to do, in order: write to stable
 * storage, send, answer a request, note a line in the trace, stop at a failpoint. The process
 * carries them out one by one, so "log, then send" in the list is "log, then send" on the wire
 * (raft's rule: persist before you speak).
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { Failpoint } from "./failpoint.ts";
import type { LogRecord } from "./log_records.ts";
import type { TxMessage } from "./transaction_messages.ts";

/** One step for the process to carry out. */
export type Effect =
  /** Append a record to the log. */
  | { readonly do: "persist"; readonly record: LogRecord }
  /** Install committed values and append a record, all or nothing. */
  | {
    readonly do: "apply";
    readonly writes: readonly (readonly [string, unknown])[];
    readonly record: LogRecord;
  }
  /** Send a message. */
  | { readonly do: "send"; readonly to: string; readonly body: TxMessage }
  /** Answer a request received earlier. */
  | { readonly do: "answer"; readonly request: Envelope; readonly body: TxMessage }
  /** Write a line to the trace. */
  | { readonly do: "note"; readonly text: string }
  /** Stop at a failpoint: mark it fired in stable storage, trace it, pause. */
  | { readonly do: "failpoint"; readonly name: Failpoint; readonly txid: string };

/**
 * The messages among `effects`, as `[to, kind]` pairs (answers as `["reply", kind]`): handy to
 * check a state machine's output.
 *
 * @example Sends and answers
 * ```ts
 * import assert from "node:assert/strict";
 * import { messagesOf } from "./effects.ts";
 * assert.deepEqual(messagesOf([
 *   { do: "persist", record: { type: "end", txid: "t1" } },
 *   { do: "send", to: "bank@p1.lab", body: { kind: "tx-ack", txid: "t1" } },
 * ]), [["bank@p1.lab", "tx-ack"]]);
 * ```
 */
export function messagesOf(effects: readonly Effect[]): [string, string][] {
  const out: [string, string][] = [];
  for (const e of effects) {
    if (e.do === "send") out.push([e.to, e.body.kind]);
    else if (e.do === "answer") out.push(["reply", e.body.kind]);
  }
  return out;
}
