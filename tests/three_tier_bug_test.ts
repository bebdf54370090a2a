/**
 * A tier answers the conditions it knows with codes of its own (invalid, conflict, deadline,
 * unavailable); an error it cannot name is a bug: the caller still gets its "internal" answer,
 * and the handler process fails, which fails the run instead of hiding in a status count.
 * @module
 */
import { ProcessFailedError } from "../core/errors.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { logicTier } from "../tiers/three_tier/logic_tier.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

Deno.test("logicTier() answers an error it cannot name with an internal error, then fails", async () => {
  const sim = new Simulator({ seed: 1 });
  // A data tier that answers every request with null: the logic tier cannot read that.
  sim.machine("data.lab").spawn("db", async (ctx) => {
    for (;;) await ctx.reply(await ctx.receive(), null);
  });
  sim.machine("logic.lab").spawn("logic", logicTier({ data: "db@data.lab" }));
  sim.machine("web.lab").spawn("web", async (ctx) => {
    await ctx.request("logic@logic.lab", {
      kind: "call",
      traceId: "t1",
      op: "getBook",
      budgetMs: 1000,
      input: { id: 4 },
    });
  });
  const failure = await assertRejects(() => sim.run(), ProcessFailedError) as ProcessFailedError;
  assertEquals(failure.address, "call-1@logic.lab");
  assertTrue(failure.cause instanceof TypeError, String(failure.cause));
  const answer = sim.trace.events.find((e) =>
    e.ev === "send" && e.from === "call-1@logic.lab" && e.to === "web@web.lab"
  );
  assertEquals([answer?.to, answer?.kind], ["web@web.lab", "logic-error"]);
});
