/**
 * The HTTP transport over real loopback sockets: frames as `POST /frames` requests through Hono
 * on keep-alive connections (one connection per sending peer, however many frames), anything
 * else refused by HTTP status, the listener's body cap applied, and the reliable channel over it
 * under injected loss delivering every message once and in order.
 * @module
 */
import type { HttpNetwork } from "../core/network/http_network.ts";
import { encodePacket } from "../core/network/_framed_host_network.ts";
import { channelFidelity } from "../core/channel_fidelity.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { assertAuthenticatedEcho, hostPair, within } from "./_host_pair.ts";

Deno.test("HttpNetwork carries 200 requests and replies on one keep-alive connection each way", async () => {
  const { a, b, close } = await hostPair({ transport: "http" });
  try {
    b.machine.spawn("echo", async (ctx) => {
      for (;;) {
        const m = await ctx.receive<number>();
        await ctx.reply(m, m.body * 2);
      }
    });
    const done = Promise.withResolvers<number>();
    a.machine.spawn("client", async (ctx) => {
      let sum = 0;
      for (let i = 0; i < 200; i++) sum += (await ctx.request<number>("echo@m2.lab", i)).body;
      done.resolve(sum);
    });
    assertEquals(await within([a, b], done.promise), 2 * (199 * 200) / 2);
    assertEquals((b.network as HttpNetwork).connections, 1, "m2 saw one connection from m1");
    assertEquals((a.network as HttpNetwork).connections, 1, "m1 saw one connection from m2");
    assertTrue(a.network.stats.frames >= 200 && b.network.stats.received >= 200);
  } finally {
    await close();
  }
});

Deno.test("HttpNetwork serves POST /frames only: a bad body is 400 and traced, a GET is 404, an oversized body 413", async () => {
  const trace = new Trace();
  const { a, close } = await hostPair({ transport: "http", trace });
  try {
    const url = `http://${a.endpoint}/frames`;
    const garbage = await fetch(url, { method: "POST", body: "not frames" });
    assertEquals(garbage.status, 400);
    await garbage.body?.cancel();
    assertEquals(a.network.stats.rejected, 1);
    assertTrue(trace.events.some((e) => e.ev === "drop" && e.note?.includes("malformed frame")));
    const get = await fetch(url);
    assertEquals(get.status, 404);
    await get.body?.cancel();
    const huge = encodePacket("m9.lab", [new Uint8Array(2 * 1024 * 1024)]);
    const big = await fetch(url, { method: "POST", body: huge });
    assertEquals(big.status, 413);
    await big.body?.cancel();
    // A well-formed packet from a machine it does not know is taken: 204.
    const frame = { kind: "ack", epoch: 1, seq: 1 };
    const ok = await fetch(url, {
      method: "POST",
      body: encodePacket("m9.lab", [new TextEncoder().encode(JSON.stringify(frame))]),
    });
    assertEquals(ok.status, 204);
  } finally {
    await close();
  }
});

Deno.test("HttpNetwork with the reliable channel under 20% injected loss delivers every message once, in order", async () => {
  const trace = new Trace();
  const { a, b, close } = await hostPair({ transport: "http", drop: 0.2, trace });
  try {
    const count = 100;
    const done = Promise.withResolvers<number[]>();
    b.machine.spawn("sink", async (ctx) => {
      const got: number[] = [];
      for (let i = 0; i < count; i++) got.push((await ctx.receive<number>()).body);
      done.resolve(got);
    });
    a.machine.spawn("source", async (ctx) => {
      for (let i = 0; i < count; i++) await ctx.send("sink@m2.lab", i);
    });
    assertEquals(await within([a, b], done.promise), Array.from({ length: count }, (_, i) => i));
    const seen = channelFidelity(trace.events, { include: (e) => e.to === "sink@m2.lab" });
    assertEquals([seen.lost, seen.duplicated, seen.reordered], [0, 0, 0]);
    assertTrue(trace.count("retransmit") > 0 && a.network.stats.dropped > 0);
  } finally {
    await close();
  }
});

Deno.test("HttpNetwork carries authenticated, sealed frames: a request and its reply under --auth --encrypt", async () => {
  const { a, b, close } = await hostPair({
    transport: "http",
    auth: { key: "k".repeat(32), encrypt: true },
  });
  try {
    await assertAuthenticatedEcho(a, b);
  } finally {
    await close();
  }
});
