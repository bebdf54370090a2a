/**
 * The UDP transport over real loopback sockets: one datagram per frame, a typed error for a frame
 * over the datagram limit, what a lossy path does to messages when the reliable channel is off
 * (lost, duplicated, reordered: in the trace, and exactly what the path did), and the reliable
 * channel over the same lossy path delivering every message exactly once and in order.
 * @module
 */
import dgram from "node:dgram";
import { startHost } from "../core/network/host.ts";
import { DatagramTooLargeError } from "../core/network/udp_network.ts";
import { FrameDecoder } from "../core/network/frame.ts";
import { encodePacket } from "../core/network/_framed_host_network.ts";
import { channelFidelity } from "../core/channel_fidelity.ts";
import { TimeoutError } from "../core/errors.ts";
import { Trace } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { assertAuthenticatedEcho, hostPair, within } from "./_host_pair.ts";
import { lossyRelay } from "./_udp_relay.ts";

const encoder = new TextEncoder();

Deno.test("UdpNetwork sends each frame as one datagram: a hello naming the sender, then the frame", async () => {
  const raw = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => raw.bind(0, "127.0.0.1", resolve));
  const datagrams: Uint8Array[] = [];
  const three = Promise.withResolvers<void>();
  raw.on("message", (m: Uint8Array) => {
    datagrams.push(new Uint8Array(m));
    if (datagrams.length === 3) three.resolve();
  });
  const host = await startHost("m1.lab", {
    transport: "udp",
    resolve: (m) => m === "m2.lab" ? `127.0.0.1:${raw.address().port}` : undefined,
    reliable: false,
    seed: 1,
  });
  try {
    host.machine.spawn("a", async (ctx) => {
      for (let i = 0; i < 3; i++) await ctx.send("b@m2.lab", { n: i });
    });
    await within([host], three.promise);
    const decoder = new TextDecoder();
    for (const [i, datagram] of datagrams.entries()) {
      const frames = new FrameDecoder().push(datagram).map((f) => JSON.parse(decoder.decode(f)));
      assertEquals(frames.length, 2, `datagram ${i} holds a hello and one frame`);
      assertEquals(frames[0], { kind: "hello", machine: "m1.lab" });
      assertEquals(frames[1].kind, "msg");
      assertEquals(frames[1].env.body, { n: i });
    }
  } finally {
    await host.close();
    await new Promise<void>((resolve) => raw.close(() => resolve()));
  }
});

Deno.test("UdpNetwork refuses a frame over the 64 KB datagram limit with a DatagramTooLargeError", async () => {
  const { a, b, close } = await hostPair({ transport: "udp" });
  try {
    const got = Promise.withResolvers<number>();
    b.machine.spawn("sink", async (ctx) => got.resolve((await ctx.receive<string>()).body.length));
    const refused = Promise.withResolvers<unknown>();
    a.machine.spawn("big", async (ctx) => {
      await ctx.send("sink@m2.lab", "x".repeat(60_000));
      try {
        await ctx.send("sink@m2.lab", "x".repeat(70_000));
        refused.resolve(undefined);
      } catch (error) {
        refused.resolve(error);
      }
    });
    assertEquals(await within([a, b], got.promise), 60_000);
    const error = await within([a, b], refused.promise);
    assertTrue(error instanceof DatagramTooLargeError, `not a DatagramTooLargeError: ${error}`);
    assertTrue(error instanceof RangeError);
    assertTrue(error.length > 70_000 && error.max === 65_507, `${error.length} / ${error.max}`);
    assertTrue(/datagram limit of 65507 bytes/.test(error.message), error.message);
  } finally {
    await close();
  }
});

/** Machines m1 (sender) and m2 (receiver) over UDP, m1's frames to m2 through a lossy relay. */
async function lossyPair(reliable: boolean, relayBack: boolean, count: number) {
  const trace = new Trace();
  const endpoints = new Map<string, string>();
  const receiver = await startHost("m2.lab", {
    transport: "udp",
    resolve: (m) => endpoints.get(`${m}@m2`),
    reliable,
    trace,
    seed: 2,
  });
  const faults = { drop: 0.1, duplicate: 0.1, reorder: 0.1, faultyDatagrams: count };
  const forth = await lossyRelay(receiver.endpoint, { seed: 7, ...faults });
  const sender = await startHost("m1.lab", {
    transport: "udp",
    resolve: (m) => endpoints.get(`${m}@m1`),
    reliable,
    trace,
    seed: 1,
  });
  const back = relayBack ? await lossyRelay(sender.endpoint, { seed: 8, ...faults }) : undefined;
  endpoints.set("m2.lab@m1", forth.endpoint);
  endpoints.set("m1.lab@m2", back?.endpoint ?? sender.endpoint);
  return {
    trace,
    sender,
    receiver,
    forth,
    back,
    async close() {
      await sender.close();
      await receiver.close();
      await forth.close();
      await back?.close();
    },
  };
}

Deno.test("UdpNetwork without the reliable channel: the trace shows the path's losses, duplicates and reorderings", async () => {
  const count = 300;
  const run = await lossyPair(false, false, count);
  try {
    const done = Promise.withResolvers<number[]>();
    run.receiver.machine.spawn("sink", async (ctx) => {
      const got: number[] = [];
      for (let i = 0; i < 2 * count; i++) {
        const m = await ctx.receive<number | "end">();
        if (m.body === "end") break;
        got.push(m.body);
      }
      done.resolve(got);
    });
    run.sender.machine.spawn("source", async (ctx) => {
      for (let i = 0; i < count; i++) {
        await ctx.send("sink@m2.lab", i);
        // Paced, so that no socket's receive buffer overflows: the path's faults are the only ones.
        if (i % 10 === 9) await ctx.sleep(1);
      }
      // Past the relay's faulty datagrams: it goes through, and after any datagram held back.
      await ctx.send("sink@m2.lab", "end");
    });
    const got = await within([run.sender, run.receiver], done.promise);
    const seen = channelFidelity(run.trace.events, { include: (e) => e.to === "sink@m2.lab" });
    const path = run.forth.counts;
    assertTrue(path.dropped > 0 && path.duplicated > 0 && path.reordered > 0, JSON.stringify(path));
    assertEquals(seen.sent, count + 1);
    assertEquals(
      { lost: seen.lost, duplicated: seen.duplicated, reordered: seen.reordered },
      { lost: path.dropped, duplicated: path.duplicated, reordered: path.reordered },
      "the trace shows exactly what the path did",
    );
    assertEquals(got.length, count - path.dropped + path.duplicated);
    assertEquals(run.trace.count("retransmit"), 0);
  } finally {
    await run.close();
  }
});

Deno.test("UdpNetwork with the reliable channel over a lossy path delivers every message exactly once, in order", async () => {
  const count = 150;
  const run = await lossyPair(true, true, count);
  try {
    const done = Promise.withResolvers<{ got: number[]; extra: unknown }>();
    run.receiver.machine.spawn("sink", async (ctx) => {
      const got: number[] = [];
      for (let i = 0; i < count; i++) got.push((await ctx.receive<number>()).body);
      // Nothing more comes: no message twice. (The sender's retransmissions, if any are still
      // due, are acknowledged and suppressed by the channel.)
      const extra = await ctx.receive({ timeout: 300 }).catch((e) => e);
      done.resolve({ got, extra });
    });
    run.sender.machine.spawn("source", async (ctx) => {
      for (let i = 0; i < count; i++) await ctx.send("sink@m2.lab", i);
    });
    const { got, extra } = await within([run.sender, run.receiver], done.promise);
    assertEquals(got, Array.from({ length: count }, (_, i) => i));
    assertTrue(extra instanceof TimeoutError, `a message arrived after the last: ${extra}`);
    const seen = channelFidelity(run.trace.events, { include: (e) => e.to === "sink@m2.lab" });
    assertEquals(
      { lost: seen.lost, duplicated: seen.duplicated, reordered: seen.reordered },
      { lost: 0, duplicated: 0, reordered: 0 },
    );
    const path = run.forth.counts, back = run.back!.counts;
    assertTrue(path.dropped + back.dropped > 0, "the path lost datagrams");
    assertTrue(path.duplicated > 0 && path.reordered > 0, JSON.stringify(path));
    assertTrue(run.trace.count("retransmit") > 0, "lost frames were retransmitted");
  } finally {
    await run.close();
  }
});

Deno.test("UdpNetwork carries authenticated frames: a request and its reply under --auth", async () => {
  const auth = { key: "k".repeat(32), encrypt: true };
  const { a, b, close } = await hostPair({ transport: "udp", auth });
  try {
    await assertAuthenticatedEcho(a, b);
  } finally {
    await close();
  }
});

Deno.test("UdpNetwork answers a machine its directory does not know at the address its datagrams came from", async () => {
  const server = await startHost("m1.lab", { transport: "udp", resolve: () => undefined, seed: 1 });
  const client = await startHost("m2.lab", {
    transport: "udp",
    resolve: (m) => m === "m1.lab" ? server.endpoint : undefined,
    seed: 2,
  });
  try {
    server.machine.spawn("echo", async (ctx) => {
      for (let i = 0; i < 3; i++) {
        const m = await ctx.receive<number>();
        await ctx.reply(m, m.body + 1);
      }
    });
    const done = Promise.withResolvers<number[]>();
    client.machine.spawn("client", async (ctx) => {
      const got: number[] = [];
      for (let i = 0; i < 3; i++) {
        got.push((await ctx.request<number>("echo@m1.lab", i, { timeout: 10_000 })).body);
      }
      done.resolve(got);
    });
    assertEquals(await within([server, client], done.promise), [1, 2, 3]);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("UdpNetwork refuses a hello that claims a machine heard from another address within 5 s: a third party cannot take its replies", async () => {
  const trace = new Trace();
  const endpoints = new Map<string, string>();
  // m1 knows no m2.lab in its directory: it answers m2 at the address m2's datagrams come from.
  const m1 = await startHost("m1.lab", {
    transport: "udp",
    resolve: (m) => m === "m2.lab" ? undefined : endpoints.get(m),
    reliable: false,
    trace,
    seed: 1,
  });
  endpoints.set("m1.lab", m1.endpoint);
  const m2 = await startHost("m2.lab", {
    transport: "udp",
    resolve: (m) => endpoints.get(m),
    reliable: false,
    seed: 2,
  });
  const impostor = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => impostor.bind(0, "127.0.0.1", resolve));
  try {
    const sinkGot: string[] = [];
    const heard = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    m1.machine.spawn("sink", async (ctx) => {
      for (let i = 0; i < 2; i++) {
        const m = await ctx.receive<string>();
        sinkGot.push(`${m.from} ${m.body}`);
        heard[i].resolve();
      }
    });
    const answered = Promise.withResolvers<string>();
    m2.machine.spawn("c", async (ctx) => {
      await ctx.send("sink@m1.lab", "hi");
      answered.resolve(`c ${(await ctx.receive<string>()).body}`);
    });
    await within([m1, m2], heard[0].promise, "m2's first message");

    // A third party says hello as m2.lab (with a message, so that m1 shows what it did with it).
    const refused = Promise.withResolvers<void>();
    const stop = trace.listen((e) => {
      if (e.ev === "drop" && e.at === "m1.lab") refused.resolve();
    });
    const env = {
      id: "spy@m2.lab#1.1",
      from: "spy@m2.lab",
      to: "sink@m1.lab",
      kind: "note",
      body: "spy",
      lamport: 1,
    };
    const packet = encodePacket("m2.lab", [encoder.encode(JSON.stringify({ kind: "msg", env }))]);
    const port = Number(m1.endpoint.slice(m1.endpoint.lastIndexOf(":") + 1));
    impostor.send(packet, port, "127.0.0.1");
    await within(
      [m1, m2],
      Promise.race([refused.promise, heard[1].promise]),
      "the impostor's packet",
    );
    stop();

    // m1 now answers m2.lab: the answer goes to m2, not to the third party.
    const stolen = Promise.withResolvers<string>();
    impostor.on("message", () => stolen.resolve("impostor"));
    m1.machine.spawn("teller", (ctx) => ctx.send("c@m2.lab", "secret"));
    assertEquals(
      await within([m1, m2], Promise.race([answered.promise, stolen.promise])),
      "c secret",
    );
    assertEquals(sinkGot, ["c@m2.lab hi"], "the impostor's message was not delivered");
    assertEquals(m1.network.stats.rejected, 1);
    const notes = trace.events.filter((e) => e.ev === "drop").map((e) => `${e.at} ${e.note}`);
    assertEquals(notes.length, 1, notes.join("\n"));
    assertTrue(
      /^m1\.lab refused frame from "127\.0\.0\.1:\d+": Cannot accept hello: it claims machine "m2\.lab", heard from 127\.0\.0\.1:\d+ \d+ ms ago/
        .test(notes[0]),
      notes[0],
    );
  } finally {
    await m2.close();
    await m1.close();
    await new Promise<void>((resolve) => impostor.close(() => resolve()));
  }
});
