import assert from "node:assert/strict";
import { TimeoutError } from "../core/errors.ts";
import { type Group, GroupClient } from "../groups/group.ts";
import { groupManager } from "../groups/manager_process.ts";
import { Sequencer } from "../groups/sequencer.ts";
import type { GroupDelivery, View } from "../groups/types.ts";
import { checkOrder } from "../groups/order_checker.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { logsOf, runMembers } from "./_group_harness.ts";

const SEQUENCER = "a@m1.lab";

async function deliverUntil(g: Group, got: GroupDelivery[], done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) {
    try {
      got.push(await g.deliver({ timeout: 500 }));
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
  }
}

Deno.test("Sequencer fails over: entries it sent to some members only reach all, numbering resumes", async () => {
  const sim = new Simulator({ seed: 4 });
  sim.machine("g0.lab").spawn("groups", groupManager());
  // The sequencer's entries reach only m2: m3 and m4 miss everything it numbers.
  sim.partition(["m1.lab"], ["m3.lab", "m4.lab"], { oneWay: true });
  const delivered = new Map<string, GroupDelivery[]>();
  const views = new Map<string, View>();
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    await new GroupClient(ctx).join("seq", { create: { order: "total" } });
    await ctx.sleep(1_000_000);
  });
  for (const [machine, name] of [["m2.lab", "b"], ["m3.lab", "c"], ["m4.lab", "d"]]) {
    sim.machine(machine).spawn(name, async (ctx) => {
      const g = await new GroupClient(ctx).join("seq", { create: { order: "total" } });
      const got: GroupDelivery[] = [];
      delivered.set(ctx.self, got);
      await deliverUntil(g, got, () => g.view.members.length === 4);
      assert.equal(g.view.sequencer, SEQUENCER);
      await g.multicast(`before-${name}`);
      if (name === "b") {
        await deliverUntil(g, got, () => got.some((d) => d.body === "before-b"));
        sim.crash("m1.lab");
      }
      await deliverUntil(g, got, () => !g.view.members.includes(SEQUENCER));
      views.set(ctx.self, g.view);
      await g.multicast(`after-${name}`);
      await deliverUntil(
        g,
        got,
        () => got.filter((d) => String(d.body).startsWith("after")).length === 3,
      );
      await g.leave();
    });
  }
  await sim.run({ until: 600_000 });
  const sequences = [...delivered.values()];
  assert.equal(sequences.length, 3);
  const bodies = sequences.map((s) => s.map((d) => d.body));
  assert.deepEqual(bodies[1], bodies[0]);
  assert.deepEqual(bodies[2], bodies[0]);
  assert.deepEqual(
    [...bodies[0]].sort(),
    ["after-b", "after-c", "after-d", "before-b", "before-c", "before-d"],
  );
  // No gap and no duplicate across the failover.
  for (const s of sequences) assert.deepEqual(s.map((d) => d.gseq), [1, 2, 3, 4, 5, 6]);
  // The lowest-address live member took over.
  for (const view of views.values()) assert.equal(view.sequencer, "b@m2.lab");
});

Deno.test("Sequencer crash in the middle of a run keeps one total order among the survivors", async () => {
  for (const seed of [1, 2, 3]) {
    const { reports } = await runMembers({
      order: "total",
      sim: { seed, reorder: 0.2 },
      before: (sim) => sim.crash("m1.lab", { at: 25 }),
    });
    assert.ok(!reports.has("p1@m1.lab"));
    const survivors = [...reports.values()];
    assert.equal(survivors.length, 3);
    const report = checkOrder(logsOf(reports));
    assert.equal(report.total, 0, `seed ${seed}`);
    assert.equal(report.partial, 0, `seed ${seed}`);
    const ids = survivors[0].deliveries.map((d) => d.id);
    for (const r of survivors) {
      assert.deepEqual(r.deliveries.map((d) => d.id), ids);
      assert.deepEqual(r.deliveries.map((d) => d.gseq), ids.map((_, i) => i + 1));
      // Every message of every survivor is delivered.
      for (const other of survivors) {
        const own = r.deliveries.filter((d) => d.sender === other.member).length;
        assert.equal(own, 5, `seed ${seed}: ${r.member} delivered ${own} of ${other.member}`);
      }
    }
  }
});

Deno.test("Sequencer.submit() ignores a submission it numbered already", () => {
  const message = {
    id: "a/1",
    sender: "a",
    stream: "a",
    view: 1,
    seq: 1,
    index: 1,
    hb: {},
    sentAt: 0,
    body: 1,
  };
  const sequencer = new Sequencer(1);
  assert.equal(sequencer.submit(message).length, 1);
  assert.equal(sequencer.submit(message).length, 0);
  assert.throws(() => new Sequencer(0), RangeError);
});
