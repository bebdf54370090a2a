/**
 * A plausible but WRONG broadcast node: it forwards each new message to every peer once, and
 * acknowledges the client at once. Nothing is retransmitted: a message sent into a partition
 * (on an unreliable network) or to a node that then crashes is gone for good, and `lab check`
 * finds acknowledged messages that some node never reads:
 *
 *     deno task lab check broadcast examples/check/broadcast_lossy.ts --node-count 5 \
 *       --nemesis partition --unreliable --seed 1
 *
 * The reference node, `broadcast.ts`, keeps what each peer has not acknowledged and sends it
 * again.
 * @module
 */
import type { ProcessFn } from "../../mod.ts";

/** What this node receives. */
type Body =
  | { kind: "init"; node: string; nodes: string[] }
  | { kind: "broadcast"; message: number }
  | { kind: "read" }
  | { kind: "gossip"; message: number };

/**
 * The node.
 *
 * @example Caught by the checker
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { node } from "./broadcast_lossy.ts";
 * const workload = broadcastWorkload();
 * const run = await simulateCheck(node, workload, {
 *   nodeCount: 5, ops: 100, nemesis: ["partition"], nemesisInterval: 100, reliable: false,
 * });
 * const types = workload.check(run.history.ops).anomalies.map((a) => a.type);
 * assert.ok(types.includes("lost-message"));
 * ```
 */
export const node: ProcessFn = async (ctx) => {
  const messages = new Set<number>();
  let peers: string[] = [];
  for (;;) {
    const request = await ctx.receive<Body>();
    const body = request.body;
    if (body.kind === "init") {
      peers = body.nodes.filter((n) => n !== body.node);
    } else if (body.kind === "broadcast" || body.kind === "gossip") {
      if (!messages.has(body.message)) {
        messages.add(body.message);
        // Fire and forget: the bug. A lost gossip is never sent again.
        for (const peer of peers) await ctx.send(peer, { kind: "gossip", message: body.message });
      }
      if (body.kind === "broadcast") await ctx.reply(request, { kind: "broadcast_ok" });
    } else if (body.kind === "read") {
      await ctx.reply(request, { kind: "read_ok", messages: [...messages] });
    }
  }
};
