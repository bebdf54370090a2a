/**
 * Vector clocks in traces (issue 8, point 6): every traced send, delivery and receive carries a
 * vector clock, so `causalOrder` and `happenedBefore` answer happened-before between events; the
 * clocks stay off the simulated wire (byte counts do not change) and travel between real hosts
 * only when they trace.
 * @module
 */
import { AuthStage } from "../core/auth/auth_stage.ts";
import { causalOrder, happenedBefore } from "../core/causality.ts";
import type { Envelope } from "../core/envelope.ts";
import { startHost } from "../core/network/host.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { Trace, type TraceEvent } from "../core/trace.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

/** a -> b -> c on three machines, and d sending to c on its own. */
async function chain(): Promise<Simulator> {
  const sim = new Simulator({ seed: 5 });
  sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", "one"));
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    const got = await ctx.receive<string>();
    await ctx.send("c@m3.lab", `${got.body}, two`);
  });
  sim.machine("m3.lab").spawn("c", async (ctx) => {
    await ctx.receive();
    await ctx.receive();
  });
  sim.machine("m4.lab").spawn("d", (ctx) => ctx.send("c@m3.lab", "aside"));
  await sim.run();
  return sim;
}

/** A clock as JSON carries it (a plain record). */
function json(clock: unknown): unknown {
  return JSON.parse(JSON.stringify(clock));
}

function find(events: readonly TraceEvent[], ev: string, at: string, from?: string): TraceEvent {
  const found = events.find((e) =>
    e.ev === ev && e.at === at && (from === undefined || e.from === from)
  );
  if (found === undefined) throw new Error(`no ${ev} event at ${at}`);
  return found;
}

Deno.test("happenedBefore() orders a message chain a -> b -> c and leaves independent sends concurrent", async () => {
  const events = (await chain()).trace.events;
  const aSend = find(events, "send", "a@m1.lab");
  const bReceive = find(events, "receive", "b@m2.lab");
  const bSend = find(events, "send", "b@m2.lab");
  const cReceive = find(events, "receive", "c@m3.lab", "b@m2.lab");
  const dSend = find(events, "send", "d@m4.lab");
  const cReceiveD = find(events, "receive", "c@m3.lab", "d@m4.lab");
  assertTrue(happenedBefore(aSend, bReceive));
  assertTrue(happenedBefore(bReceive, bSend));
  assertTrue(happenedBefore(aSend, cReceive));
  assertTrue(!happenedBefore(cReceive, aSend));
  assertEquals(causalOrder(cReceive, aSend), "after");
  assertEquals(causalOrder(aSend, dSend), "concurrent");
  assertEquals(causalOrder(bSend, dSend), "concurrent");
  assertTrue(happenedBefore(dSend, cReceiveD));
  // A delivery carries the clock its message was sent with; the receive adds the receiver's tick.
  const cDeliver = find(events, "deliver", "c@m3.lab", "b@m2.lab");
  assertTrue(cDeliver.vc === bSend.vc, "the delivery carries the send's stamp itself");
  assertEquals(causalOrder(bSend, cDeliver), "equal");
  assertEquals(json(bSend.vc), { "a@m1.lab": 1, "b@m2.lab": 2 });
});

Deno.test("causalOrder() answers the same for events read back from JSONL, alone or mixed with live ones", async () => {
  const sim = await chain();
  const live = sim.trace.events;
  const read: TraceEvent[] = sim.trace.toJsonl().trimEnd().split("\n").map((l) => JSON.parse(l));
  const clocked = live.flatMap((e, i) => e.vc === undefined ? [] : [i]);
  assertEquals(clocked.length, 9); // 3 messages: send, deliver, receive each
  for (const i of clocked) {
    for (const j of clocked) {
      const expected = causalOrder(live[i], live[j]);
      assertEquals(causalOrder(read[i], read[j]), expected);
      assertEquals(causalOrder(live[i], read[j]), expected);
      assertEquals(causalOrder(read[i], live[j]), expected);
    }
  }
});

Deno.test("a reply handed to a waiting request advances the requester's vector clock", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    await ctx.reply(await ctx.receive(), "v1");
  });
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await ctx.request("kv@m1.lab", "get");
    await ctx.send("log@m3.lab", "got v1");
  });
  sim.machine("m3.lab").spawn("log", async (ctx) => {
    await ctx.receive();
  });
  await sim.run();
  const events = sim.trace.events;
  const replySend = find(events, "send", "kv@m1.lab");
  const logReceive = find(events, "receive", "log@m3.lab");
  const [request, note] = events.filter((e) => e.ev === "send" && e.at === "client@m2.lab");
  assertEquals(json(request.vc), { "client@m2.lab": 1 });
  assertEquals(json(replySend.vc), { "client@m2.lab": 1, "kv@m1.lab": 2 });
  assertTrue(happenedBefore(replySend, note));
  assertTrue(happenedBefore(replySend, logReceive));
});

Deno.test("causalOrder() refuses an event that carries no vector clock, naming it", () => {
  const spawn: TraceEvent = { t: 0, ev: "spawn", at: "a@m1.lab" };
  const send: TraceEvent = { t: 1, ev: "send", at: "a@m1.lab", vc: { "a@m1.lab": 1 } };
  assertThrows(
    () => causalOrder(send, spawn),
    TypeError,
    'second event (spawn at "a@m1.lab", t 0)',
  );
});

Deno.test("an untraced run keeps no vector clocks: envelopes carry none", async () => {
  const sim = new Simulator({ seed: 1, trace: false });
  const got: Envelope[] = [];
  sim.machine("m1.lab").spawn("b", async (ctx) => {
    got.push(await ctx.receive(), await ctx.receive());
  });
  sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m1.lab", 1));
  sim.machine("m2.lab").spawn("c", (ctx) => ctx.send("b@m1.lab", 2));
  await sim.run();
  assertEquals(got.map((e) => e.vc), [undefined, undefined]);
});

async function exchange(options: SimulatorOptions, auth: boolean): Promise<Simulator> {
  const stages = auth
    ? [new AuthStage({ key: "a shared key that is long enough, 32+", encrypt: true })]
    : [];
  const sim = new Simulator({ ...options, stages });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (let i = 0; i < 6; i++) await ctx.reply(await ctx.receive(), { kind: "ok", i });
  });
  for (const m of ["m2.lab", "m3.lab"]) {
    sim.machine(m).spawn("client", async (ctx) => {
      for (let i = 0; i < 3; i++) await ctx.request("kv@m1.lab", { kind: "get", key: `k${i}` });
    });
  }
  await sim.run();
  return sim;
}

for (const auth of [false, true]) {
  Deno.test(`Simulator keeps vector clocks off the wire: equal bytes with the trace on and off${auth ? " (authenticated)" : ""}`, async () => {
    const options: SimulatorOptions = { seed: 9, drop: 0.2, duplicate: 0.1 };
    const traced = await exchange(options, auth);
    const untraced = await exchange({ ...options, trace: false }, auth);
    assertTrue(traced.trace.events.some((e) => e.ev === "receive" && e.vc !== undefined));
    assertEquals(traced.trace.count("receive"), 6);
    assertEquals(traced.stats, untraced.stats);
  });
}

Deno.test("startHost(): machines that trace carry vector clocks over TCP; one that does not sends none", async () => {
  const endpoints = new Map<string, string>();
  const resolve = (m: string) => endpoints.get(m);
  const traceA = new Trace(), traceB = new Trace();
  const received = Promise.withResolvers<Envelope[]>();
  // A process that fails fails the test (instead of leaving it waiting).
  const onProcessError = (address: string, error: unknown) =>
    received.reject(new Error(`process ${address} failed`, { cause: error }));
  const a = await startHost("a.lab", { resolve, seed: 1, trace: traceA, onProcessError });
  const b = await startHost("b.lab", { resolve, seed: 2, trace: traceB, onProcessError });
  const quiet = await startHost("q.lab", { resolve, seed: 3, onProcessError });
  for (const host of [a, b, quiet]) endpoints.set(host.machine.name, host.endpoint);
  try {
    b.machine.spawn("sink", async (ctx) => {
      const first = await ctx.receive({ from: "source@a.lab" });
      received.resolve([first, await ctx.receive({ from: "mute@q.lab" })]);
    });
    a.machine.spawn("source", async (ctx) => {
      await ctx.send("sink@b.lab", "x");
      await ctx.send("sink@b.lab", "y");
    });
    quiet.machine.spawn("mute", (ctx) => ctx.send("sink@b.lab", "z"));
    const [fromA, fromQuiet] = await received.promise;
    assertEquals(fromA.vc, { "source@a.lab": 1 });
    assertEquals(fromQuiet.vc, undefined);
    const take = find(traceB.events, "receive", "sink@b.lab", "source@a.lab");
    assertTrue(happenedBefore(find(traceA.events, "send", "source@a.lab"), take));
  } finally {
    await Promise.all([a.close(), b.close(), quiet.close()]);
  }
});

Deno.test("vector clocks grow with the processes met: a token around a ring of 60 machines", async () => {
  const sim = new Simulator({ seed: 2 });
  const n = 60;
  for (let i = 0; i < n; i++) {
    sim.machine(`r${i}.lab`).spawn("node", async (ctx) => {
      if (i === 0) await ctx.send("node@r1.lab", 0);
      const token = await ctx.receive<number>();
      if (i !== 0) await ctx.send(`node@r${(i + 1) % n}.lab`, token.body + 1);
    });
  }
  await sim.run();
  const events = sim.trace.events;
  const sends = events.filter((e) => e.ev === "send");
  const last = find(events, "receive", "node@r0.lab");
  assertEquals(sends.length, n);
  for (let i = 1; i < sends.length; i++) assertTrue(happenedBefore(sends[i - 1], sends[i]));
  assertTrue(happenedBefore(sends[0], last));
  assertEquals(Object.keys(json(last.vc) as object).length, n);
  assertEquals((json(last.vc) as Record<string, number>)["node@r0.lab"], 2);
  assertEquals(causalOrder(find(events, "receive", "node@r7.lab"), sends[40]), "before");
});
