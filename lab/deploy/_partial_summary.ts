/**
 * The sentence a real run prints when it was interrupted: what it did until then.
 * @module
 */
import type { Trace } from "../../core/trace.ts";
import { CONTROL_MACHINE } from "./deploy.ts";

/**
 * A sentence on what a run did before it was interrupted: the partial summary (the lab's own
 * machine `ctl.lab` left out).
 *
 * @example One message sent and delivered
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../../core/trace.ts";
 * import { partialSummary } from "./_partial_summary.ts";
 * const trace = new Trace();
 * trace.record({ t: 1, ev: "send", at: "a@m1.lab", from: "a@m1.lab", to: "b@m2.lab" });
 * trace.record({ t: 2, ev: "deliver", at: "b@m2.lab", from: "a@m1.lab", to: "b@m2.lab" });
 * assert.match(partialSummary(trace), /1 messages sent, 1 delivered/);
 * ```
 */
export function partialSummary(trace: Trace): string {
  let messages = 0, delivered = 0;
  const control = `@${CONTROL_MACHINE}`;
  for (const e of trace.events) {
    if (e.to?.endsWith(control) || e.from?.endsWith(control)) continue;
    if (e.ev === "send") messages++;
    else if (e.ev === "deliver") delivered++;
  }
  return `partial summary: ${messages} messages sent, ${delivered} delivered, ${
    trace.count("retransmit")
  } retransmissions, ${trace.count("crash")} crashes before Ctrl-C`;
}
