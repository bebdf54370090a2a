/**
 * Group multicast in the simulator: 4 members each multicast 100 messages and every member
 * delivers all 400 (1,600 deliveries per iteration), for each order, against a raw baseline
 * in which each machine sends the same messages as plain unicasts (one per other member) and
 * receives them with no group protocol (a sender and a receiver process per machine). Deliveries per second = 1,600 / time per iteration.
 * Each group iteration includes joining (view changes) and leaving.
 * @module
 */
import { GroupClient } from "../groups/group.ts";
import { groupManager } from "../groups/manager_process.ts";
import type { GroupOrder } from "../groups/types.ts";
import { Simulator } from "../core/simulator/simulator.ts";

const MEMBERS = 4;
const MESSAGES = 100;
const DELIVERIES = MEMBERS * MEMBERS * MESSAGES;

async function raw(): Promise<void> {
  const sim = new Simulator({ seed: 1, trace: false });
  let delivered = 0;
  const receivers = Array.from({ length: MEMBERS }, (_, i) => `rx@m${i + 1}.lab`);
  for (let i = 0; i < MEMBERS; i++) {
    const machine = sim.machine(`m${i + 1}.lab`);
    machine.spawn("rx", async (ctx) => {
      for (let n = 0; n < (MEMBERS - 1) * MESSAGES; n++) {
        await ctx.receive({ kind: "chat" });
        delivered++;
      }
    });
    machine.spawn("tx", async (ctx) => {
      const self = `rx@${ctx.machine}`;
      for (let n = 1; n <= MESSAGES; n++) {
        delivered++; // its own message, delivered locally as in a group
        for (const to of receivers) if (to !== self) await ctx.send(to, { kind: "chat", n });
      }
    });
  }
  await sim.run();
  if (delivered !== DELIVERIES) throw new Error(`raw: ${delivered} deliveries`);
}

async function group(order: GroupOrder): Promise<void> {
  const sim = new Simulator({ seed: 1, trace: false });
  sim.machine("g0.lab").spawn("groups", groupManager());
  let delivered = 0;
  for (let i = 0; i < MEMBERS; i++) {
    sim.machine(`m${i + 1}.lab`).spawn(`p${i + 1}`, async (ctx) => {
      const g = await new GroupClient(ctx).join("bench", {
        create: { order },
        traceDeliveries: false,
      });
      let mine = 0;
      while (g.view.members.length < MEMBERS) {
        await g.deliver();
        mine++;
      }
      for (let n = 1; n <= MESSAGES; n++) await g.multicast({ kind: "chat", n });
      for (; mine < MEMBERS * MESSAGES; mine++) await g.deliver();
      delivered += mine;
      await g.leave();
    });
  }
  await sim.run();
  if (delivered !== DELIVERIES) throw new Error(`${order}: ${delivered} deliveries`);
}

Deno.bench({
  name: `raw unicast loop, ${DELIVERIES} deliveries`,
  group: "group multicast",
  baseline: true,
  fn: raw,
});

for (const order of ["none", "fifo", "causal", "total"] as const) {
  Deno.bench({
    name: `multicast ${order}, ${DELIVERIES} deliveries`,
    group: "group multicast",
    // An async function, so that Deno.bench awaits each run.
    async fn() {
      await group(order);
    },
  });
}
