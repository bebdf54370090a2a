import assert from "node:assert/strict";
import { TimeoutError } from "../core/errors.ts";
import { type Group, GroupClient } from "../groups/group.ts";
import { GroupClosedError, GroupError } from "../groups/errors.ts";
import { groupManager } from "../groups/manager_process.ts";
import type { GroupDelivery } from "../groups/types.ts";
import type { ProcessFn } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";

function system(seed = 1): Simulator {
  const sim = new Simulator({ seed });
  sim.machine("g0.lab").spawn("groups", groupManager());
  return sim;
}

async function drain(g: Group, ms: number): Promise<GroupDelivery[]> {
  const got: GroupDelivery[] = [];
  for (let i = 0; i < 1000; i++) {
    try {
      got.push(await g.deliver({ timeout: ms }));
    } catch (error) {
      if (error instanceof TimeoutError) return got;
      throw error;
    }
  }
  return got;
}

async function until(g: Group, done: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !done(); i++) await drain(g, 200);
}

async function run(sim: Simulator): Promise<void> {
  await sim.run({ until: 600_000 });
}

Deno.test("GroupClient.send() rejects a non-member of a closed group, naming both", async () => {
  const sim = system();
  const errors: unknown[] = [];
  let delivered: GroupDelivery[] = [];
  sim.machine("m1.lab").spawn("worker", async (ctx) => {
    const g = await new GroupClient(ctx).join("workers", { create: { closed: true } });
    await g.multicast("member's own message");
    delivered = await drain(g, 300);
    await g.leave();
  });
  sim.machine("m9.lab").spawn("spy", async (ctx) => {
    await ctx.sleep(50);
    errors.push(await new GroupClient(ctx).send("workers", "let me in").catch((e) => e));
  });
  await run(sim);
  const [error] = errors;
  assert.ok(error instanceof GroupClosedError, String(error));
  assert.equal(error.group, "workers");
  assert.equal(error.sender, "spy@m9.lab");
  assert.match(error.message, /Cannot send to group "workers": "spy@m9.lab" is not a member/);
  assert.deepEqual(delivered.map((d) => d.body), ["member's own message"]);
});

Deno.test("GroupClient.send() from outside an open group reaches every member", async () => {
  const sim = system();
  const got = new Map<string, GroupDelivery[]>();
  for (const m of ["m1.lab", "m2.lab"]) {
    sim.machine(m).spawn("replica", async (ctx) => {
      const g = await new GroupClient(ctx).join("replicas", { create: { order: "total" } });
      await until(g, () => g.view.members.length === 2);
      got.set(ctx.self, await drain(g, 300));
      await g.leave();
    });
  }
  sim.machine("m9.lab").spawn("client", async (ctx) => {
    await ctx.sleep(200);
    await new GroupClient(ctx).send("replicas", { kind: "put", key: "x" });
  });
  await run(sim);
  assert.equal(got.size, 2);
  for (const deliveries of got.values()) {
    assert.deepEqual(deliveries.map((d) => [d.from, d.body]), [
      ["client@m9.lab", { kind: "put", key: "x" }],
    ]);
  }
});

Deno.test("Group.views numbers every join, leave and crash", async () => {
  const sim = system(2);
  const seen = new Map<string, string[]>();
  const member = (delay: number, stay: number): ProcessFn => async (ctx) => {
    await ctx.sleep(delay);
    const g = await new GroupClient(ctx).join("club", { create: {} });
    await drain(g, stay);
    seen.set(ctx.self, g.views.map((v) => `${v.id}:${v.members.map((m) => m[0]).join("")}`));
    await g.leave();
  };
  sim.machine("m1.lab").spawn("a", member(0, 3000));
  sim.machine("m2.lab").spawn("b", member(100, 200));
  sim.machine("m3.lab").spawn("c", member(200, 100_000));
  sim.crash("m3.lab", { at: 600 });
  await run(sim);
  assert.deepEqual(seen.get("a@m1.lab"), ["1:a", "2:ab", "3:abc", "4:ac", "5:a"]);
  assert.deepEqual(seen.get("b@m2.lab"), ["2:ab", "3:abc"]);
});

Deno.test("Group.deliver() keeps the groups of a process in several groups apart", async () => {
  const sim = system();
  const got: Record<string, unknown[]> = {};
  sim.machine("m1.lab").spawn("both", async (ctx) => {
    const client = new GroupClient(ctx);
    const red = await client.join("red", { create: { order: "fifo" } });
    const blue = await client.join("blue", { create: { order: "causal" } });
    await red.multicast("r1");
    await blue.multicast("b1");
    await red.multicast("r2");
    got.red = (await drain(red, 200)).map((d) => d.body);
    got.blue = (await drain(blue, 200)).map((d) => d.body);
    await red.leave();
    await blue.leave();
  });
  await run(sim);
  assert.deepEqual(got, { red: ["r1", "r2"], blue: ["b1"] });
});

Deno.test("GroupClient.destroy() ends every member: deliver fails with GroupError", async () => {
  const sim = system();
  let error: unknown;
  sim.machine("m1.lab").spawn("member", async (ctx) => {
    const g = await new GroupClient(ctx).join("doomed", { create: {} });
    error = await g.deliver({ timeout: 10_000 }).catch((e) => e);
  });
  sim.machine("m2.lab").spawn("admin", async (ctx) => {
    await ctx.sleep(100);
    await new GroupClient(ctx).destroy("doomed");
  });
  await run(sim);
  assert.ok(error instanceof GroupError);
  assert.equal(error.reason, "destroyed");
});

Deno.test("GroupClient.create() and join() fail clearly on a bad group", async () => {
  const sim = system();
  const errors: Record<string, unknown> = {};
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    const client = new GroupClient(ctx);
    await client.create("g", { order: "total" });
    errors.exists = await client.create("g").catch((e) => e);
    errors.unknown = await client.join("nowhere").catch((e) => e);
    errors.mismatch = await client.join("g", { create: { order: "fifo" } }).catch((e) => e);
    const g = await client.join("g");
    errors.twice = await client.join("g").catch((e) => e);
    errors.name = await client.join("no spaces").catch((e) => e);
    await g.leave();
    errors.after = await g.multicast("x").catch((e) => e);
  });
  await run(sim);
  const reason = (key: string) => (errors[key] as GroupError).reason;
  assert.equal(reason("exists"), "exists");
  assert.equal(reason("unknown"), "rejected");
  assert.match((errors.unknown as Error).message, /Cannot join group "nowhere": it does not exist/);
  assert.equal(reason("mismatch"), "rejected");
  assert.equal(reason("twice"), "joined");
  assert.ok(errors.name instanceof TypeError);
  assert.equal(reason("after"), "left");
});
