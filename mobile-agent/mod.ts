/**
 * Mobile agents: code travels to the nodes that hold the data. An agent is ES module source
 * (cached at each node by its SHA-256) + a JSON state + an itinerary; it runs at each node
 * against that node's data only, in a child `deno run` with no permission (the sandbox), and
 * resumes at a named entry point on each arrival (weak mobility). Its owner dispatches, locates,
 * recalls and disposes it; packages are signed with HMAC-SHA256.
 *
 * @example An agent's journey in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { AGENT_PROCESS, agentNode, AgentOwner, preloadAgent } from "./mod.ts";
 * const code = "export async function onArrival(ctx) {\n" +
 *   "  ctx.state.rows += (await ctx.query({ columns: ['id'] })).length;\n}";
 * await preloadAgent(code);
 * const sim = new Simulator({ seed: 1 });
 * ["n1.lab", "n2.lab"].forEach((m, index) =>
 *   sim.machine(m).spawn(AGENT_PROCESS, agentNode({ key: "k", shard: { rows: 10, index, count: 2 } })));
 * let rows = 0;
 * sim.machine("ctl.lab").spawn("owner", async (ctx) => {
 *   const owner = new AgentOwner(ctx, { key: "k" });
 *   const id = owner.dispatch({ code, state: { rows: 0 }, itinerary: ["n1.lab", "n2.lab"] });
 *   rows = ((await owner.wait(id)).result as { rows: number }).rows;
 * });
 * await sim.run();
 * assert.equal(rows, 10);
 * ```
 * @module
 */
export * from "./agent_package.ts";
export * from "./signature.ts";
export * from "./messages.ts";
export * from "./query.ts";
export * from "./agent_context.ts";
export * from "./executor.ts";
export * from "./sandbox.ts";
export * from "./in_process_executor.ts";
export * from "./code_cache.ts";
export * from "./shard.ts";
export * from "./node.ts";
export * from "./home.ts";
export * from "./owner.ts";
export * from "./pull.ts";
export * from "./mining.ts";
export * from "./programs.ts";
