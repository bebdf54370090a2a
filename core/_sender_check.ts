/**
 * The sender check of a machine's intake: an envelope that arrives from machine M (the machine
 * that said hello on the connection, in the packet, or that the simulator carried it from) must
 * name a sender on M. Without it a peer, forged or buggy, could make the lab show a message from
 * a machine that never sent it. The check is a suffix compare on the address: O(1) per frame,
 * and nothing is allocated unless the frame is refused.
 * @module
 */
import type { WireFrame } from "./wire.ts";

/** `@`, the separator of `process@machine.domain` (and of the flow-control `$flow@machine`). */
const AT = 64;

/**
 * Whether `address` (`process@machine.domain`, checked well-formed) names a process on
 * `machine` (`machine.domain`).
 *
 * @example A suffix compare, bound at the `@`
 * ```ts
 * import assert from "node:assert/strict";
 * import { onMachine } from "./_sender_check.ts";
 * assert.equal(onMachine("kv@m1.lab", "m1.lab"), true);
 * assert.equal(onMachine("$flow@m1.lab", "m1.lab"), true);
 * assert.equal(onMachine("kv@m9.lab", "m1.lab"), false);
 * assert.equal(onMachine("kv@xm1.lab", "m1.lab"), false);
 * ```
 */
export function onMachine(address: string, machine: string): boolean {
  const at = address.length - machine.length - 1;
  return at > 0 && address.charCodeAt(at) === AT && address.endsWith(machine);
}

/**
 * Why `frame`, received from machine `from`, must be refused because its envelope names a
 * sender on another machine; `undefined` when it names none (an ack) or one on `from`.
 *
 * @example A message whose sender claims another machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { senderProblem } from "./_sender_check.ts";
 * const env = { id: "x#1", from: "kv@m9.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
 * assert.match(senderProblem("m1.lab", { kind: "msg", env })!, /^Cannot accept frame: /);
 * assert.equal(senderProblem("m9.lab", { kind: "msg", env }), undefined);
 * assert.equal(senderProblem("m1.lab", { kind: "ack", epoch: 1, seq: 1 }), undefined);
 * ```
 */
export function senderProblem(from: string, frame: WireFrame): string | undefined {
  if (frame.kind !== "msg" || onMachine(frame.env.from, from)) return undefined;
  const claimed = frame.env.from;
  return `Cannot accept frame: its envelope claims sender ${JSON.stringify(claimed)} on machine ${
    JSON.stringify(claimed.slice(claimed.indexOf("@") + 1))
  }, but it came from machine ${
    JSON.stringify(from)
  } (the machine that said hello); a machine sends only its own processes' envelopes (forward another's message inside a body)`;
}
