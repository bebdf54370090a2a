/**
 * The simulator: virtual time, latency distributions, per-link faults, partitions (one-way,
 * healed), crash and restart of a machine, run limits and clock skew.
 * @module
 */
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

Deno.test("Simulator.run() runs in virtual time: sleep(1000) ends at now() == 1000", async () => {
  const sim = new Simulator({ seed: 1 });
  const seen: number[] = [];
  sim.machine("m1.lab").spawn("sleeper", async (ctx) => {
    seen.push(ctx.now());
    await ctx.sleep(1000);
    seen.push(ctx.now());
    await ctx.sleep(250.5);
    seen.push(ctx.now());
  });
  const result = await sim.run();
  assertEquals(seen, [0, 1000, 1250.5]);
  assertEquals(result, { time: 1250.5, events: 2, quiescent: true });
  assertEquals(sim.now, 1250.5);
});

Deno.test("Simulator wakes a process on the first of two outstanding waits (Promise.race)", async () => {
  const sim = new Simulator({ seed: 1 });
  let at = -1;
  sim.machine("m1.lab").spawn("racer", async (ctx) => {
    await Promise.race([ctx.sleep(5), ctx.sleep(1000)]);
    at = ctx.now();
  });
  await sim.run();
  assertEquals(at, 5);
});

function oneMessage(sim: Simulator): () => number {
  let at = -1;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    await ctx.receive();
    at = ctx.now();
  });
  sim.machine("m1.lab").spawn("tx", (ctx) => ctx.send("rx@m2.lab", "x"));
  return () => at;
}

Deno.test("Simulator latency: constant 7 ms delivers at exactly t = 7", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 7 } });
  const at = oneMessage(sim);
  await sim.run();
  assertEquals(at(), 7);
  assertEquals(sim.trace.events.find((e) => e.ev === "deliver")?.t, 7);
});

Deno.test("Simulator latency: uniform and exponential stay within their bounds", async () => {
  const delays = async (latency: ConstructorParameters<typeof Simulator>[0]) => {
    const sim = new Simulator({ seed: 3, reliable: false, ...latency });
    const times: number[] = [];
    sim.machine("m2.lab").spawn("rx", async (ctx) => {
      for (let i = 0; i < 200; i++) {
        await ctx.receive();
        times.push(ctx.now());
      }
    });
    sim.machine("m1.lab").spawn("tx", async (ctx) => {
      for (let i = 0; i < 200; i++) await ctx.send("rx@m2.lab", i);
    });
    await sim.run();
    return times;
  };
  const uniform = await delays({ latency: { kind: "uniform", min: 10, max: 20 } });
  assertEquals(uniform.length, 200);
  assertTrue(uniform.every((t) => t >= 10 && t <= 20), String(uniform));
  assertTrue(new Set(uniform).size > 100, "uniform latencies should vary");
  const exponential = await delays({ latency: { kind: "exponential", mean: 5, min: 2 } });
  assertTrue(exponential.every((t) => t >= 2));
  const mean = exponential.reduce((a, b) => a + b, 0) / exponential.length;
  assertTrue(mean > 4 && mean < 10, `mean ${mean}`);
});

Deno.test("Simulator.link() sets faults per directed link", async () => {
  const sim = new Simulator({ seed: 1, reliable: false, latency: { kind: "constant", ms: 1 } });
  sim.link("m1.lab", "m2.lab", { drop: 1 });
  sim.link("m1.lab", "m3.lab", { latency: { kind: "constant", ms: 40 } });
  const got: string[] = [];
  for (const m of ["m2", "m3"]) {
    sim.machine(`${m}.lab`).spawn("rx", async (ctx) => {
      got.push(`${m}@${ctx.now()}`);
      await ctx.receive();
      got.push(`${m}@${ctx.now()}`);
    });
  }
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m2.lab", "x");
    await ctx.send("rx@m3.lab", "x");
  });
  await sim.run();
  assertEquals(got, ["m2@0", "m3@0", "m3@40"]);
  assertEquals(sim.stats.dropped, 1);
});

Deno.test("Simulator.partition({ oneWay }) cuts A->B while B->A still works", async () => {
  const sim = new Simulator({ seed: 1, reliable: false, latency: { kind: "constant", ms: 1 } });
  const got: string[] = [];
  sim.partition(["m1.lab"], ["m2.lab"], { oneWay: true });
  const talk = (to: string) => async (ctx: ProcessContext) => {
    await ctx.sleep(1);
    await ctx.send(to, `from ${ctx.machine}`);
    try {
      got.push(`${ctx.machine} got ${(await ctx.receive({ timeout: 100 })).body}`);
    } catch {
      got.push(`${ctx.machine} got nothing`);
    }
  };
  sim.machine("m1.lab").spawn("a", talk("b@m2.lab"));
  sim.machine("m2.lab").spawn("b", talk("a@m1.lab"));
  await sim.run();
  assertEquals(got.sort(), ["m1.lab got from m2.lab", "m2.lab got nothing"]);
  const drop = sim.trace.events.find((e) => e.ev === "drop");
  assertEquals([drop?.from, drop?.note], ["a@m1.lab", "partition"]);
  assertTrue(sim.trace.events.some((e) => e.ev === "partition" && e.note?.includes("->")));
});

Deno.test("Simulator.partition({ until }) heals at that virtual time and retransmissions get through", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  sim.partition(["m1.lab"], ["m2.lab"], { at: 0, until: 500 });
  let at = -1;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    assertEquals((await ctx.receive()).body, "across");
    at = ctx.now();
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.sleep(1);
    await ctx.send("rx@m2.lab", "across");
  });
  await sim.run();
  assertTrue(at > 500, `delivered at ${at}`);
  // The channel has no round trip yet: its first timeout is the initial RTO (3 s).
  assertTrue(sim.trace.count("retransmit") >= 1);
  assertEquals(sim.trace.events.find((e) => e.ev === "heal")?.t, 500);
  const retransmits = sim.trace.events.filter((e) => e.ev === "retransmit").map((e) => e.t);
  assertTrue(retransmits.some((t) => t > 500 && t <= at), String(retransmits));
});

// A counter with volatile state: "inc" adds one, "get" is answered with the count.
async function counter(ctx: ProcessContext): Promise<void> {
  let count = 0;
  for (;;) {
    const msg = await ctx.receive<{ kind: string }>();
    if (msg.body.kind === "inc") count++;
    else await ctx.reply(msg, count);
  }
}

Deno.test("Machine crash and restart: volatile state is lost and boot processes start again", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  sim.machine("m1.lab").spawn("counter", counter);
  sim.crash("m1.lab", { at: 100, restartAt: 200 });
  const counts: number[] = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 3; i++) await ctx.send("counter@m1.lab", { kind: "inc" });
    counts.push((await ctx.request<number>("counter@m1.lab", { kind: "get" })).body);
    await ctx.sleep(250 - ctx.now());
    await ctx.send("counter@m1.lab", { kind: "inc" });
    counts.push((await ctx.request<number>("counter@m1.lab", { kind: "get" })).body);
  });
  await sim.run();
  assertEquals(counts, [3, 1]);
  assertEquals(sim.machine("m1.lab").epoch, 2);
  const spawns = sim.trace.events.filter((e) => e.ev === "spawn" && e.at === "counter@m1.lab");
  assertEquals(spawns.map((e) => e.t), [0, 200]);
  assertEquals(sim.trace.events.find((e) => e.ev === "restart")?.note, "epoch 2");
});

Deno.test('Machine crash: messages to a down machine are dropped with note "machine down"', async () => {
  const sim = new Simulator({ seed: 1, reliable: false, latency: { kind: "constant", ms: 1 } });
  sim.machine("m1.lab").spawn("counter", counter);
  sim.crash("m1.lab", { at: 10 });
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await ctx.sleep(20);
    await ctx.send("counter@m1.lab", { kind: "inc" });
  });
  await sim.run();
  const drops = sim.trace.events.filter((e) => e.ev === "drop");
  assertEquals(drops.map((e) => [e.t, e.note]), [[21, "machine down"]]);
  assertEquals(sim.machine("m1.lab").alive, false);
  assertEquals(sim.machine("m1.lab").processes(), []);
});

Deno.test("Simulator.run({ until }) stops at the limit and can be resumed", async () => {
  const sim = new Simulator({ seed: 1 });
  let ticks = 0;
  sim.machine("m1.lab").spawn("ticker", async (ctx) => {
    for (;;) {
      await ctx.sleep(10);
      ticks++;
    }
  });
  const first = await sim.run({ until: 95 });
  assertEquals([first.time, first.quiescent, ticks], [95, false, 9]);
  const second = await sim.run({ until: 200 });
  assertEquals([second.time, ticks], [200, 20]);
  const third = await sim.run({ maxEvents: 5 });
  assertEquals([third.events, third.quiescent, ticks], [5, false, 25]);
});

Deno.test("Simulator.skew() shifts and stretches one machine's clock only", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.skew("m1.lab", { offset: 500, drift: 0.1 });
  const seen: Record<string, number[]> = {};
  for (const m of ["m1.lab", "m2.lab"]) {
    seen[m] = [];
    sim.machine(m).spawn("p", async (ctx) => {
      seen[m].push(ctx.now());
      await ctx.sleep(100);
      seen[m].push(ctx.now());
    });
  }
  const { time } = await sim.run();
  assertEquals(seen["m2.lab"], [0, 100]);
  assertEquals(seen["m1.lab"][0], 500);
  // Its timers run on its own clock: 100 ms of it, about 90.9 ms of virtual time.
  assertTrue(Math.abs(seen["m1.lab"][1] - 600) < 1e-9, String(seen["m1.lab"]));
  assertTrue(Math.abs(time - 100) < 1e-9, String(time));
});

Deno.test("Simulator.skew() a slow clock's timer fires once that clock reaches the deadline", async () => {
  // Timers on virtual time fired before a slow clock reached the deadline: a process that waits
  // `deadline - now()` and compares again waited ever shorter, until virtual time stopped.
  const sim = new Simulator({ seed: 1 });
  sim.skew("m1.lab", { offset: 7, drift: -0.037 });
  const waits: number[] = [];
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    const deadline = ctx.now() + 1000.1;
    for (let i = 0; i < 100 && ctx.now() < deadline; i++) {
      waits.push(deadline - ctx.now());
      await ctx.sleep(deadline - ctx.now());
    }
  });
  const { time } = await sim.run();
  assertEquals(waits, [1000.1]);
  assertTrue(time > 1000.1 / 0.963 - 1e-6, String(time));
});

Deno.test("Simulator.skew() refuses a drift of -1 or less", () => {
  const sim = new Simulator({ seed: 1 });
  assertThrows(() => sim.skew("m1.lab", { drift: -1 }), RangeError, "drift -1");
  assertThrows(() => sim.skew("m1.lab", { offset: NaN }), RangeError, "offset NaN");
});

Deno.test("Simulator() rejects fault probabilities outside [0, 1]", () => {
  assertThrows(() => new Simulator({ drop: 1.5 }), RangeError, "drop 1.5");
  assertThrows(() => new Simulator({ reorder: -0.1 }), RangeError, "reorder -0.1");
});

Deno.test("Simulator.stats counts frames, bytes, acks and drops", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  oneMessage(sim);
  await sim.run();
  assertEquals([sim.stats.frames, sim.stats.acks, sim.stats.dropped], [2, 1, 0]);
  assertTrue(sim.stats.bytes > 50);
  const raw = new Simulator({ seed: 1, wire: "object", reliable: false });
  oneMessage(raw);
  await raw.run();
  assertEquals([raw.stats.frames, raw.stats.bytes], [1, 0]);
});

Deno.test({
  name: "Simulator.partition() declared before run() cuts messages sent at t = 0",
  async fn() {
    const sim = new Simulator({ seed: 1, reliable: false });
    sim.partition(["m1.lab"], ["m2.lab"]);
    const at = oneMessage(sim);
    await sim.run();
    assertEquals(at(), -1);
  },
});

Deno.test("Simulator.run() waits for processes that send and receive in long bursts without blocking", async () => {
  const sim = new Simulator({ seed: 1 });
  let got = 0;
  sim.machine("r.lab").spawn("sink", async (ctx) => {
    for (;;) {
      await ctx.receive();
      got++;
    }
  });
  for (let m = 0; m < 4; m++) {
    sim.machine(`s${m}.lab`).spawn("src", async (ctx) => {
      for (let i = 0; i < 300; i++) await ctx.send("sink@r.lab", i);
    });
  }
  await sim.run();
  assertEquals(got, 1200);
});

Deno.test("Simulator keeps pending timers in order when it compacts thousands of cancelled timeouts", async () => {
  const sim = new Simulator({ seed: 2, trace: false });
  const m1 = sim.machine("m1.lab");
  const order: number[] = [];
  // Timers that are pending while the request timeouts pile up and get compacted away.
  for (const at of [30, 10, 20]) {
    m1.spawn(`sleeper${at}`, async (ctx) => {
      await ctx.sleep(at);
      order.push(at);
    });
  }
  m1.spawn("server", async (ctx) => {
    for (let i = 0; i < 6000; i++) await ctx.reply(await ctx.receive(), i);
  });
  let answered = 0;
  m1.spawn("client", async (ctx) => {
    for (let i = 0; i < 6000; i++) {
      await ctx.request("server@m1.lab", i, { timeout: 10_000 });
      answered++;
    }
  });
  const result = await sim.run();
  assertEquals(answered, 6000);
  assertEquals(order, [10, 20, 30]);
  assertEquals(result.time, 30);
});

Deno.test("a request after a server restart is answered at once, not after the backed-off timeouts", async () => {
  const sim = new Simulator({ seed: 5, latency: { kind: "constant", ms: 2 } });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) await ctx.reply(await ctx.receive(), "ok");
  });
  sim.crash("m1.lab", { at: 1, restartAt: 900 });
  let answeredAt = -1;
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await ctx.sleep(1000);
    await ctx.request("kv@m1.lab", "after the restart", { timeout: 5000 });
    answeredAt = ctx.now();
  });
  sim.machine("m2.lab").spawn("early", async (ctx) => {
    await ctx.sleep(2);
    await ctx.request("kv@m1.lab", "while it is down", { timeout: 5000 }).catch(() => {});
  });
  await sim.run();
  // Without resending the stalled frame on the first ack, the answer waits for the backed-off
  // retransmission of the request sent while the server was down (seconds later).
  assertTrue(answeredAt > 1000 && answeredAt < 1020, `answered at ${answeredAt}`);
});
