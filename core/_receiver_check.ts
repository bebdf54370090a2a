/**
 * The receiver check of a machine's intake: a message that reaches machine M must be addressed
 * to a process on M. One for another machine came through a stale directory entry (that
 * machine's old address, where M listens now) or went astray; taken in, it would be answered
 * "unknown process" for a process M never had, in the name of a process of another machine, and
 * its sequence number, one of the sender's channel to that other machine, would be taken as one
 * of the sender's channel to M. A suffix compare on the address, as the sender check does.
 * @module
 */
import { onMachine } from "./_sender_check.ts";
import type { WireFrame } from "./wire.ts";

/**
 * Why `frame`, received by machine `machine`, must be refused because its envelope is addressed
 * to a process on another machine; `undefined` when it has no envelope (an ack) or is for
 * `machine`.
 *
 * @example A message for a machine that used to listen here
 * ```ts
 * import assert from "node:assert/strict";
 * import { receiverProblem } from "./_receiver_check.ts";
 * const env = { id: "c@m2.lab#1.1", from: "c@m2.lab", to: "kv@m9.lab", kind: "data", body: 1, lamport: 1 };
 * assert.match(receiverProblem("m1.lab", { kind: "msg", env })!, /^Cannot accept frame: it is addressed to "kv@m9.lab"/);
 * assert.equal(receiverProblem("m9.lab", { kind: "msg", env }), undefined);
 * assert.equal(receiverProblem("m1.lab", { kind: "ack", epoch: 1, seq: 1 }), undefined);
 * ```
 */
export function receiverProblem(machine: string, frame: WireFrame): string | undefined {
  if (frame.kind !== "msg" || onMachine(frame.env.to, machine)) return undefined;
  const to = frame.env.to;
  const other = JSON.stringify(to.slice(to.indexOf("@") + 1));
  return `Cannot accept frame: it is addressed to ${
    JSON.stringify(to)
  } on machine ${other}, but this is machine ${
    JSON.stringify(machine)
  } (the sender's directory entry for ${other} is stale, or the frame went astray); nothing of it reaches a process or the reliable channel`;
}
