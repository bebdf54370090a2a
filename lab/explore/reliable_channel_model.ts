/**
 * The reliable channel for exploration: `tx@m1.lab` sends three numbered messages to
 * `rx@m2.lab`, which records them. Over the core's reliable channel (acknowledgements,
 * retransmission, duplicate suppression, per-pair FIFO) they arrive once each, in order, whatever
 * is lost, duplicated or delayed; over the raw network (`broken`) they do not.
 * @module
 */
import type { Simulator } from "../../core/simulator/simulator.ts";

/**
 * Messages the model sends.
 *
 * @example Three
 * ```ts
 * import assert from "node:assert/strict";
 * import { CHANNEL_MESSAGES } from "./reliable_channel_model.ts";
 * assert.equal(CHANNEL_MESSAGES, 3);
 * ```
 */
export const CHANNEL_MESSAGES = 3;

/**
 * Builds the model on `sim` and returns what the receiver got, in order.
 *
 * @example In the seeded order every message arrives once
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { reliableChannel, channelInvariant } from "./reliable_channel_model.ts";
 * const sim = new Simulator({ seed: 1 });
 * const got = reliableChannel(sim);
 * await sim.run();
 * assert.deepEqual(got, [1, 2, 3]);
 * assert.equal(channelInvariant(got, true), undefined);
 * ```
 */
export function reliableChannel(sim: Simulator): number[] {
  const got: number[] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) got.push((await ctx.receive<number>()).body);
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    for (let i = 1; i <= CHANNEL_MESSAGES; i++) await ctx.send("rx@m2.lab", i);
  });
  return got;
}

/**
 * FIFO and no duplicate at every moment; at the end, every message delivered.
 *
 * @example A duplicate and a reordering
 * ```ts
 * import assert from "node:assert/strict";
 * import { channelInvariant } from "./reliable_channel_model.ts";
 * assert.match(channelInvariant([1, 1], false)!, /duplicate/);
 * assert.match(channelInvariant([2], false)!, /FIFO/);
 * assert.match(channelInvariant([1, 2], true)!, /lost/);
 * ```
 */
export function channelInvariant(got: readonly number[], quiescent: boolean): string | undefined {
  for (const [i, n] of got.entries()) {
    if (got.indexOf(n) !== i) return `duplicate: message ${n} delivered twice (${got.join(",")})`;
    if (n !== i + 1) return `FIFO: message ${n} delivered in place ${i + 1} (${got.join(",")})`;
  }
  if (quiescent && got.length < CHANNEL_MESSAGES) {
    return `lost: ${CHANNEL_MESSAGES - got.length} message(s) never delivered (${got.join(",")})`;
  }
  return undefined;
}
