import assert from "node:assert/strict";
import { TimeoutError } from "../core/errors.ts";
import { type Group, GroupClient } from "../groups/group.ts";
import { groupManager } from "../groups/manager_process.ts";
import type { GroupOrder, View } from "../groups/types.ts";
import type { ProcessContext } from "../core/process.ts";
import { checkOrder } from "../groups/order_checker.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { logsOf, runMembers } from "./_group_harness.ts";

interface Outcome {
  /** Ids each surviving member delivered, by member. */
  delivered: Map<string, string[]>;
  /** Each survivor's last view. */
  views: Map<string, View>;
}

async function joinAll(ctx: ProcessContext, order: GroupOrder, size: number): Promise<Group> {
  const g = await new GroupClient(ctx).join("atom", { create: { order } });
  while (g.view.members.length < size) {
    await g.deliver({ timeout: 500 }).catch((e) => {
      if (!(e instanceof TimeoutError)) throw e;
    });
  }
  return g;
}

/**
 * A sender `s@m1.lab` multicasts one message and its machine crashes at once; the network
 * takes that message only to the machines in `reached` (the others are cut from m1 one-way
 * from the start, as if the sender crashed after its first unicasts left).
 */
async function crashMidMulticast(order: GroupOrder, reached: string[]): Promise<Outcome> {
  const sim = new Simulator({ seed: 9 });
  sim.machine("g0.lab").spawn("groups", groupManager());
  const survivors = ["m2.lab", "m3.lab", "m4.lab"];
  sim.partition(["m1.lab"], survivors.filter((m) => !reached.includes(m)), { oneWay: true });
  const outcome: Outcome = { delivered: new Map(), views: new Map() };
  sim.machine("m1.lab").spawn("s", async (ctx) => {
    const g = await joinAll(ctx, order, 4);
    await g.multicast("last words");
    sim.crash("m1.lab");
    await ctx.sleep(1_000_000);
  });
  for (const m of survivors) {
    sim.machine(m).spawn("r", async (ctx) => {
      const g = await joinAll(ctx, order, 4);
      const ids: string[] = [];
      outcome.delivered.set(ctx.self, ids);
      // Deliver until the crashed sender is out of the view and nothing more comes.
      for (;;) {
        try {
          ids.push((await g.deliver({ timeout: 3000 })).id);
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          if (!g.view.members.includes("s@m1.lab")) break;
        }
      }
      outcome.views.set(ctx.self, g.view);
      await g.leave();
    });
  }
  await sim.run({ until: 600_000 });
  return outcome;
}

for (const order of ["none", "fifo", "causal", "total"] as const) {
  Deno.test(`Group.multicast() is atomic in a ${order} group when the sender crashes mid-send`, async () => {
    const outcome = await crashMidMulticast(order, ["m2.lab"]);
    const counts = [...outcome.delivered.values()].map((ids) => ids.length);
    assert.equal(counts.length, 3);
    // All or none: every survivor delivers the same messages.
    assert.ok(counts.every((n) => n === counts[0]), `deliveries per survivor: ${counts}`);
    // m2 had delivered it (or, in total order, the sequencer on m2 had numbered it): all must.
    assert.deepEqual(counts, [1, 1, 1]);
    for (const view of outcome.views.values()) {
      assert.ok(!view.members.includes("s@m1.lab"), "the crashed sender was removed");
    }
  });
}

Deno.test("Group.multicast() that reached no survivor is delivered by none", async () => {
  const outcome = await crashMidMulticast("fifo", []);
  assert.deepEqual([...outcome.delivered.values()].map((ids) => ids.length), [0, 0, 0]);
});

for (const order of ["fifo", "causal", "total"] as const) {
  Deno.test(`Group stays atomic in a ${order} group when a member crashes after stable messages were dropped`, async () => {
    // 20 messages 0..20 ms apart: heartbeats report stability many times before the crash.
    const { reports } = await runMembers({
      order,
      messages: 20,
      spacing: 20,
      sim: { seed: 6, drop: 0.05 },
      before: (sim) => sim.crash("m2.lab", { at: 150 }),
    });
    assert.deepEqual([...reports.keys()].sort(), ["p1@m1.lab", "p3@m3.lab", "p4@m4.lab"]);
    const report = checkOrder(logsOf(reports));
    assert.equal(report.partial, 0);
    assert.equal(report.fifo, 0);
    if (order !== "fifo") assert.equal(report.causal, 0);
    if (order === "total") assert.equal(report.total, 0);
    for (const r of reports.values()) {
      for (const sender of reports.keys()) {
        assert.equal(r.deliveries.filter((d) => d.sender === sender).length, 20);
      }
      assert.ok(r.deliveries.some((d) => d.sender === "p2@m2.lab"), "p2's early messages");
    }
  });
}
