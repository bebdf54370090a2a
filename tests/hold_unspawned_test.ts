/**
 * A machine with `holdForUnspawned` keeps what other machines send to a process it has not
 * spawned yet, and hands it over when that process is spawned: the lab's collectors are spawned
 * after the machines that report to them have booted. Real sockets.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import { assertEquals } from "./_assert.ts";

async function pair(hold: number): Promise<[Host, Host]> {
  const endpoints = new Map<string, string>();
  const resolve = (machine: string) => endpoints.get(machine);
  const ctl = await startHost("ctl.lab", { resolve, seed: 1, holdForUnspawned: hold });
  const node = await startHost("m1.lab", { resolve, seed: 2 });
  endpoints.set("ctl.lab", ctl.endpoint);
  endpoints.set("m1.lab", node.endpoint);
  return [ctl, node];
}

Deno.test("holdForUnspawned: a report sent before its collector exists reaches it once spawned", async () => {
  const [ctl, node] = await pair(10);
  try {
    const sent = Promise.withResolvers<void>();
    node.machine.spawn("client", async (ctx) => {
      for (let i = 1; i <= 3; i++) await ctx.send("collector@ctl.lab", { kind: "report", i });
      // A request waits for its answer: it is held too, and answered once the collector runs.
      const reply = await ctx.request<{ kind: string }>("collector@ctl.lab", { kind: "ping" });
      assertEquals(reply.body.kind, "pong");
      sent.resolve();
    });
    // The frames have reached ctl.lab once the machine there holds them; poll the activity, bounded.
    for (let i = 0; i < 200 && ctl.activity().received < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const got: number[] = [];
    const done = Promise.withResolvers<void>();
    ctl.machine.spawn("collector", async (ctx) => {
      for (let i = 0; i < 3; i++) got.push((await ctx.receive<{ i: number }>()).body.i);
      const ping = await ctx.receive();
      await ctx.reply(ping, { kind: "pong" });
      done.resolve();
    });
    await ctl.watch(done.promise);
    await node.watch(sent.promise);
    assertEquals(got, [1, 2, 3]);
  } finally {
    await node.close();
    await ctl.close();
  }
});
