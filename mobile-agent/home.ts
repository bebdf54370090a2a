/**
 * The home registry: every node tells an agent's home where the agent arrived, so its owner
 * can locate it (and reach it to recall or dispose it) without knowing its route in advance, as
 * a home agent does in Mobile IP.
 * @module
 */
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { type AgentMessage, message } from "./messages.ts";

/**
 * The home registry's process: records `agent-arrived`, answers `agent-locate`.
 *
 * @example Locate after an arrival
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { agentHome } from "./home.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("ctl.lab").spawn("home", agentHome());
 * let where: unknown;
 * sim.machine("n1.lab").spawn("x", async (ctx) => {
 *   await ctx.send("home@ctl.lab", { kind: "agent-arrived", id: "a", node: "n1.lab", hop: 1 });
 *   where = (await ctx.request<{ node: string }>("home@ctl.lab", { kind: "agent-locate", id: "a" })).body.node;
 * });
 * await sim.run();
 * assert.equal(where, "n1.lab");
 * ```
 */
export function agentHome(): ProcessFn {
  return async (ctx: ProcessContext) => {
    const places = new Map<string, { node: string; hop: number }>();
    for (;;) {
      const env = await ctx.receive<AgentMessage>();
      const body = env.body;
      if (body?.kind === "agent-arrived") {
        const known = places.get(body.id);
        if (known === undefined || known.hop <= body.hop) {
          places.delete(body.id);
          places.set(body.id, { node: body.node, hop: body.hop });
          if (places.size > 100_000) places.delete(places.keys().next().value!);
        }
      } else if (body?.kind === "agent-locate" && env.corr !== undefined) {
        const place = places.get(body.id);
        await ctx.reply(
          env,
          message("agent-location", {
            id: body.id,
            node: place?.node ?? null,
            hop: place?.hop ?? 0,
          }),
        );
      }
    }
  };
}
