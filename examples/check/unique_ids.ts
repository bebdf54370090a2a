/**
 * The unique-ids workload's reference node: ids made of the node's name, the time it booted and
 * a counter. A crash loses the counter, but a restarted node boots later, so its ids never
 * repeat those of an earlier life; no coordination is needed, so partitions do not matter.
 *
 *     deno task lab check unique-ids examples/check/unique_ids.ts --nemesis partition,crash,pause
 *
 * @module
 */
import type { ProcessFn } from "../../mod.ts";

/** What this node receives. */
type Body = { kind: "init"; node: string } | { kind: "generate" };

/**
 * Hands out ids `node/boot/n`.
 *
 * @example Checked in the simulator under crashes
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateCheck, uniqueIdsWorkload } from "../../lab/check/mod.ts";
 * import { node } from "./unique_ids.ts";
 * const workload = uniqueIdsWorkload();
 * const run = await simulateCheck(node, workload, { ops: 60, nemesis: ["crash"], nemesisInterval: 50 });
 * assert.deepEqual(workload.check(run.history.ops).anomalies, []);
 * ```
 */
export const node: ProcessFn = async (ctx) => {
  const boot = ctx.now();
  let me = ctx.self;
  let next = 0;
  for (;;) {
    const request = await ctx.receive<Body>();
    if (request.body.kind === "init") me = request.body.node;
    else if (request.body.kind === "generate") {
      await ctx.reply(request, { kind: "generate_ok", id: `${me}/${boot}/${next++}` });
    }
  }
};
