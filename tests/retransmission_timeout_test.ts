/**
 * The reliable channel's retransmission timeout is RFC 6298's, end to end: a long but constant
 * delay is not mistaken for loss, a cut link costs one retransmission per timeout rather than one
 * per frame, a stalled machine causes no storm (in the simulator and over real loopback TCP), and
 * loss is still repaired in order, exactly once.
 * @module
 */
import { startHost } from "../core/network/host.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { Trace } from "../core/trace.ts";
import { runClientServer } from "../lab/client_server/command.ts";
import { kvClient } from "../tiers/client_server/kv_client.ts";
import { kvServer } from "../tiers/client_server/kv_server.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureLog } from "./_lab.ts";

/** A key-value server on m1 and three clients, `requests` each, over a constant delay. */
async function kvRun(delay: number, requests: number): Promise<Simulator> {
  const sim = new Simulator({ seed: 3, latency: { kind: "constant", ms: delay } });
  sim.machine("m1.lab").spawn("kv", kvServer());
  for (let i = 1; i <= 3; i++) {
    // The client's own timeout is above the round trip: only the channel could retransmit.
    sim.machine(`m${i + 1}.lab`).spawn(
      `c${i}`,
      kvClient({ server: "kv@m1.lab", requests, timeout: 4 * delay + 1000 }),
    );
  }
  await sim.run();
  return sim;
}

for (const delay of [20, 50, 200, 1000]) {
  Deno.test(`Simulator with a constant ${delay} ms delay and no loss retransmits at most 2% of the messages`, async () => {
    const sim = await kvRun(delay, 50);
    const messages = sim.trace.count("send");
    assertEquals(messages, 300);
    const retransmits = sim.trace.count("retransmit");
    assertTrue(retransmits <= 0.02 * messages, `${retransmits} retransmissions`);
    // Every request was answered the first time.
    assertEquals(sim.trace.events.filter((e) => e.ev === "log").length, 0);
  });
}

Deno.test("Simulator with the default jitter (1..5 ms) and bursts retransmits at most 2% of the messages", async () => {
  // Frames sent together overtake each other under jitter: that is not loss.
  const sim = new Simulator({ seed: 1 });
  let got = 0;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) {
      await ctx.receive();
      got++;
    }
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 20; i++) await ctx.send("rx@m2.lab", i);
      await ctx.sleep(50);
    }
  });
  await sim.run();
  assertEquals(got, 400);
  const retransmits = sim.trace.count("retransmit");
  assertTrue(retransmits <= 8, `${retransmits} retransmissions`);
});

Deno.test("runClientServer() with --delay 200 does not mistake the delay for loss", async () => {
  const { code, out } = await captureLog(runClientServer, [
    "--sim",
    "--delay",
    "200",
    "--requests",
    "50",
    "--json",
  ]);
  assertEquals(code, 0);
  const summary = JSON.parse(out.at(-1)!);
  // 150 requests and their replies, and c1's malformed request with its error reply.
  assertEquals([summary.messages, summary.errors], [302, 0]);
  assertTrue(summary.retransmissions <= 6, `${summary.retransmissions} retransmissions`);
});

Deno.test("Simulator over a cut link retransmits one frame per timeout, not every frame", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  sim.partition(["m1.lab"], ["m2.lab"], { at: 0, until: 20_000 });
  const got: number[] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (let i = 0; i < 30; i++) got.push((await ctx.receive<number>()).body);
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.sleep(1);
    for (let i = 0; i < 30; i++) await ctx.send("rx@m2.lab", i);
  });
  await sim.run();
  const cut = sim.trace.events.filter((e) => e.ev === "retransmit" && e.t < 20_000);
  // The simulator's first timeout for a 2 ms latency is the 200 ms minimum, doubled on each
  // expiry: six timeouts during the 20 s cut, each resending the earliest frame only.
  assertEquals(cut.map((e) => [e.t, e.id]), [
    [201, "tx@m1.lab#1.1"],
    [601, "tx@m1.lab#1.1"],
    [1401, "tx@m1.lab#1.1"],
    [3001, "tx@m1.lab#1.1"],
    [6201, "tx@m1.lab#1.1"],
    [12601, "tx@m1.lab#1.1"],
  ]);
  assertEquals(got, Array.from({ length: 30 }, (_, i) => i));
});

Deno.test("Simulator: a delay spike of tens of ms causes no retransmission, a long one no storm", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 0.1 } });
  // Frames to m2 take 45 ms from 1 s to 1.15 s, and 1 s from 3 s to 5 s (a stalled receiver).
  for (const [at, ms, until] of [[1000, 45, 1150], [3000, 1000, 5000]]) {
    sim.at(at, () => sim.link("m1.lab", "m2.lab", { latency: { kind: "constant", ms } }));
    sim.at(until, () => sim.link("m1.lab", "m2.lab", { latency: { kind: "constant", ms: 0.1 } }));
  }
  sim.machine("m2.lab").spawn("echo", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      await ctx.reply(request, request.body);
    }
  });
  let answered = 0;
  sim.machine("m1.lab").spawn("client", async (ctx) => {
    // Eight requests in flight at a time, for 6 s of virtual time.
    for (let round = 0; round < 600; round++) {
      const replies = [];
      for (let i = 0; i < 8; i++) replies.push(ctx.request("echo@m2.lab", round * 8 + i));
      answered += (await Promise.all(replies)).length;
      await ctx.sleep(10);
    }
  });
  await sim.run();
  assertEquals(answered, 4800);
  const retransmits = sim.trace.events.filter((e) => e.ev === "retransmit");
  assertEquals(retransmits.filter((e) => e.t < 2000), [], "tens of ms are below every timeout");
  // The 2 s spike holds two rounds of eight requests: each round costs a probe and timeouts of
  // its earliest frame backing off (200, then 400 ms), one frame at a time, never the eight.
  const times = retransmits.map((e) => e.t);
  assertEquals(new Set(times).size, times.length, "two retransmissions at one instant");
  assertTrue(retransmits.length <= 8, retransmits.map((e) => `${e.t} ${e.note}`).join("\n"));
});

Deno.test("startHost() on loopback: a stalled event loop causes no retransmission storm", async () => {
  const endpoints = new Map<string, string>();
  const trace = new Trace();
  const resolve = (m: string) => endpoints.get(m);
  const server = await startHost("m1.lab", { resolve, seed: 1, trace });
  const client = await startHost("m2.lab", { resolve, seed: 2, trace });
  endpoints.set("m1.lab", server.endpoint);
  endpoints.set("m2.lab", client.endpoint);
  try {
    server.machine.spawn("echo", async (ctx) => {
      for (;;) {
        const request = await ctx.receive();
        await ctx.reply(request, request.body);
      }
    });
    const done = Promise.withResolvers<number>();
    client.machine.spawn("client", async (ctx) => {
      let answered = 0;
      for (let round = 0; round < 50; round++) {
        const replies = [];
        for (let i = 0; i < 8; i++) replies.push(ctx.request("echo@m1.lab", round * 8 + i));
        if (round % 5 === 4) {
          // A loaded machine: the event loop (both hosts share it) stalls for 40 ms.
          const until = performance.now() + 40;
          while (performance.now() < until) { /* busy */ }
        }
        answered += (await Promise.all(replies)).length;
      }
      done.resolve(answered);
    });
    assertEquals(await done.promise, 400);
    const retransmits = trace.events.filter((e) => e.ev === "retransmit");
    // Ten stalls of 40 ms with eight frames in flight each: per-frame timers of a few ms would
    // resend dozens; the channel's timer resends nothing (40 ms is below every timeout), and
    // even an unlucky longer stall of the test machine costs one frame at a time.
    assertTrue(retransmits.length <= 8, retransmits.map((e) => `${e.t} ${e.note}`).join("\n"));
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("Simulator with 20% loss still delivers every request once, in order, with retransmissions", async () => {
  const sim = new Simulator({ seed: 7, drop: 0.2 });
  const got: number[] = [];
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<number>();
      got.push(request.body);
      await ctx.reply(request, request.body);
    }
  });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 100; i++) {
      assertEquals((await ctx.request<number>("rx@m1.lab", i, { timeout: 60_000 })).body, i);
    }
  });
  await sim.run();
  assertEquals(got, Array.from({ length: 100 }, (_, i) => i));
  assertTrue(sim.trace.count("retransmit") > 0);
  assertTrue(sim.stats.dropped > 0);
});
