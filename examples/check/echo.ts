/**
 * The echo workload's reference node: the smallest node `lab check` accepts.
 *
 *     deno task lab check echo examples/check/echo.ts
 *
 * @module
 */
import type { ProcessFn } from "../../mod.ts";

/** What this node receives: the init message, then echo requests. */
type Body = { kind: "init" } | { kind: "echo"; echo: unknown };

/**
 * Answers every echo request with what it carried.
 *
 * @example Checked in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { echoWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { node } from "./echo.ts";
 * const workload = echoWorkload();
 * const run = await simulateCheck(node, workload, { ops: 20, nemesis: ["pause"], nemesisInterval: 50 });
 * assert.deepEqual(workload.check(run.history.ops).anomalies, []);
 * ```
 */
export const node: ProcessFn = async (ctx) => {
  for (;;) {
    const request = await ctx.receive<Body>();
    if (request.body.kind === "echo") {
      await ctx.reply(request, { kind: "echo_ok", echo: request.body.echo });
    }
  }
};
