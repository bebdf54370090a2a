/**
 * Request/reply and process life on a machine (seed 004 §2.2, "protocolo solicitud/respuesta"):
 * correlation ids, unknown processes, late replies, spawning, Lamport clocks and process failures.
 * @module
 */
import {
  ProcessFailedError,
  ProcessStoppedError,
  TimeoutError,
  UnknownProcessError,
} from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

function twoServers(sim: Simulator, slowFirst: boolean): void {
  // One server answers at once, the other after 50 ms.
  const serve = (delay: number) => async (ctx: ProcessContext) => {
    const request = await ctx.receive<{ q: string }>();
    if (delay > 0) await ctx.sleep(delay);
    await ctx.reply(request, `${ctx.self}:${request.body.q}`);
  };
  sim.machine("m1.lab").spawn("s1", serve(slowFirst ? 50 : 0));
  sim.machine("m2.lab").spawn("s2", serve(slowFirst ? 0 : 50));
}

async function concurrentRequests(slowFirst: boolean): Promise<string[]> {
  const sim = new Simulator({ seed: 2, latency: { kind: "constant", ms: 1 } });
  twoServers(sim, slowFirst);
  let answers: string[] = [];
  sim.machine("m3.lab").spawn("client", async (ctx) => {
    const replies = await Promise.all([
      ctx.request<string>("s1@m1.lab", { q: "a" }),
      ctx.request<string>("s2@m2.lab", { q: "b" }),
    ]);
    answers = replies.map((r) => r.body);
    const sent = sim.trace.events.filter((e) => e.ev === "send" && e.at === "client@m3.lab");
    assertEquals(replies.map((r) => r.replyTo), sent.map((e) => e.id));
  });
  await sim.run();
  return answers;
}

Deno.test("request() matches replies by correlation id: two concurrent requests get their own", async () => {
  assertEquals(await concurrentRequests(false), ["s1@m1.lab:a", "s2@m2.lab:b"]);
});

Deno.test("request() matches replies by correlation id when the replies come back reversed", async () => {
  assertEquals(await concurrentRequests(true), ["s1@m1.lab:a", "s2@m2.lab:b"]);
});

Deno.test("request() to an unknown process rejects with UnknownProcessError", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("kv", () => {});
  const errors: UnknownProcessError[] = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    errors.push(
      await assertRejects(
        () => ctx.request("ghost@m1.lab", "hi"),
        UnknownProcessError,
      ) as UnknownProcessError,
    );
    errors.push(
      await assertRejects(
        () => ctx.request("m2:nobody", "hi"),
        UnknownProcessError,
      ) as UnknownProcessError,
    );
  });
  await sim.run();
  assertEquals(errors.map((e) => e.address), ["ghost@m1.lab", "nobody@m2.lab"]);
  assertTrue(errors[0].message.includes('process "ghost@m1.lab" is unknown'), errors[0].message);
  assertTrue(sim.trace.events.some((e) => e.ev === "drop" && e.note === "unknown process"));
});

Deno.test("send() to an unknown process on the same machine rejects with UnknownProcessError", async () => {
  const sim = new Simulator({ seed: 1 });
  let error: Error | undefined;
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    error = await assertRejects(() => ctx.send("ghost@m1.lab", "x"), UnknownProcessError);
  });
  await sim.run();
  assertTrue(error instanceof UnknownProcessError);
});

Deno.test({
  name: "send({ sync: true }) to an unknown process on the same machine rejects",
  async fn() {
    const sim = new Simulator({ seed: 1 });
    let outcome = "pending";
    sim.machine("m1.lab").spawn("a", async (ctx) => {
      try {
        await ctx.send("ghost@m1.lab", "x", { sync: true });
        outcome = "resolved";
      } catch (error) {
        outcome = error instanceof UnknownProcessError ? "unknown" : String(error);
      }
    });
    await sim.run();
    assertEquals(outcome, "unknown");
  },
});

Deno.test("request() times out with TimeoutError; the late reply is dropped and traced", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  sim.machine("m1.lab").spawn("sluggish", async (ctx) => {
    const request = await ctx.receive();
    await ctx.sleep(100);
    await ctx.reply(request, "too late");
  });
  let failedAt = -1;
  let stray = 0;
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    await assertRejects(
      () => ctx.request("sluggish@m1.lab", "q", { timeout: 30 }),
      TimeoutError,
      "sluggish@m1.lab",
    );
    failedAt = ctx.now();
    // The late reply must not show up as an ordinary message either.
    try {
      await ctx.receive({ timeout: 500 });
      stray++;
    } catch (error) {
      if (!(error instanceof TimeoutError)) throw error;
    }
  });
  await sim.run();
  assertEquals(failedAt, 30);
  assertEquals(stray, 0);
  const late = sim.trace.events.filter((e) => e.ev === "drop" && /late reply/.test(e.note ?? ""));
  assertEquals(late.length, 1);
  assertEquals(late[0].from, "sluggish@m1.lab");
  assertEquals(late[0].t, 104);
});

Deno.test("request() on the same machine is answered without the network", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  m1.spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<{ kind: string; x: number }>({ kind: "double" });
      await ctx.reply(request, request.body.x * 2);
    }
  });
  let results: number[] = [];
  m1.spawn("client", async (ctx) => {
    for (let x = 1; x <= 3; x++) {
      results.push((await ctx.request<number>("kv@m1.lab", { kind: "double", x })).body);
    }
    assertEquals(ctx.now(), 0);
  });
  await sim.run();
  assertEquals(results, [2, 4, 6]);
  results = [];
  assertEquals(sim.stats.frames, 0);
});

Deno.test("envelopes carry Lamport clocks that grow along a causal chain", async () => {
  const sim = new Simulator({ seed: 4 });
  const seen: number[] = [];
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    await ctx.send("b@m2.lab", "1");
    seen.push((await ctx.receive()).lamport);
  });
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    const first = await ctx.receive();
    seen.push(first.lamport);
    assertTrue(ctx.lamport() > first.lamport);
    await ctx.send("a@m1.lab", "2");
  });
  await sim.run();
  assertEquals(seen, [1, 3]);
  const sends = sim.trace.events.filter((e) => e.ev === "send").map((e) => e.lamport);
  assertEquals(sends, [1, 3]);
});

Deno.test("Machine.spawn() rejects a taken name; ctx.spawn() starts a child on the same machine", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  let childGot = "";
  m1.spawn("parent", async (ctx) => {
    const child = ctx.spawn("child", async (c) => {
      childGot = (await c.receive<string>()).body;
    });
    assertEquals(child, "child@m1.lab");
    await ctx.send(child, "hello child");
  });
  assertThrows(() => m1.spawn("parent", () => {}), TypeError, "parent@m1.lab");
  await sim.run();
  assertEquals(childGot, "hello child");
  assertEquals(m1.processes(), []);
});

Deno.test("a process that throws fails Simulator.run(); its exit in the trace carries the error", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("faulty", () => {
    throw new Error("boom");
  });
  const failure = await assertRejects(() => sim.run(), ProcessFailedError, "faulty@m1.lab");
  assertEquals((failure.cause as Error).message, "boom");
  const exit = sim.trace.events.find((e) => e.ev === "exit" && e.at === "faulty@m1.lab");
  assertEquals(exit?.note, "Error: boom");
});

Deno.test("Machine.crash() stops its processes; new spawns fail with ProcessStoppedError", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  let woke = false;
  m1.spawn("sleeper", async (ctx) => {
    await ctx.sleep(100);
    woke = true;
  });
  sim.crash("m1.lab", { at: 50 });
  await sim.run();
  assertEquals(woke, false);
  assertEquals(m1.alive, false);
  assertThrows(() => m1.spawn("late", () => {}), ProcessStoppedError, "late@m1.lab");
});

// A process may have several waits outstanding; each one wakes it when it completes.
Deno.test({
  name: "request() wakes the caller when its reply arrives even with another wait outstanding",
  async fn() {
    const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
    sim.machine("m1.lab").spawn("fast", async (ctx) => {
      await ctx.reply(await ctx.receive(), "fast");
    });
    sim.machine("m2.lab").spawn("slow", async (ctx) => {
      const request = await ctx.receive();
      await ctx.sleep(1000);
      await ctx.reply(request, "slow");
    });
    let fastSeenAt = -1;
    sim.machine("m3.lab").spawn("client", async (ctx) => {
      const fast = ctx.request("fast@m1.lab", "q");
      const slow = ctx.request("slow@m2.lab", "q");
      await fast;
      fastSeenAt = ctx.now();
      await slow;
    });
    await sim.run();
    assertEquals(fastSeenAt, 2);
  },
});

Deno.test("ctx.now and ctx.random can be passed around as plain functions", async () => {
  const sim = new Simulator({ seed: 4 });
  let values: number[] = [];
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    const { now, random } = ctx;
    await ctx.sleep(5);
    values = [now(), random()];
  });
  await sim.run();
  assertEquals(values[0], 5);
  assertTrue(values[1] >= 0 && values[1] < 1);
});

Deno.test("Machine.receiveFrame() refuses malformed frames with their reason in the trace; the process keeps serving", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  const m1 = sim.machine("m1.lab");
  m1.spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      await ctx.reply(request, "served");
    }
  });
  const good = { id: "c@m9.lab#1.1", to: "kv@m1.lab", kind: "get", body: {}, lamport: 1 };
  const bad: unknown[] = [
    { kind: "msg", env: good }, // no sender
    { kind: "msg", env: { ...good, from: 42 } },
    { kind: "msg", env: { ...good, from: "###" } },
    { kind: "msg", env: { ...good, from: "c@m9.lab" }, epoch: 1, seq: 0 },
    { kind: "ack", epoch: "1", seq: 1 },
    null,
  ];
  sim.at(5, () => {
    for (const frame of bad) m1.receiveFrame("m9.lab", frame as never);
  });
  let answer: unknown;
  sim.machine("m2.lab").spawn("c", async (ctx) => {
    await ctx.sleep(10);
    answer = (await ctx.request("kv@m1.lab", "get")).body;
  });
  await sim.run();
  assertEquals(answer, "served");
  assertEquals(m1.rejectedFrames, bad.length);
  const notes = sim.trace.events.filter((e) => e.ev === "drop").map((e) => e.note);
  assertEquals(notes, [
    'malformed frame from "m9.lab": env.from is missing, not a process address (process@machine.domain)',
    'malformed frame from "m9.lab": env.from is 42, not a process address (process@machine.domain)',
    'malformed frame from "m9.lab": env.from is "###", not a process address (process@machine.domain)',
    'malformed frame from "m9.lab": seq is 0, not an integer >= 1',
    'malformed frame from "m9.lab": epoch is "1", not an integer >= 0',
    'malformed frame from "m9.lab": the frame is null, not an object',
  ]);
});

Deno.test("Machine.receiveFrame() refuses a message whose sender is on another machine than the frame came from", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  const m1 = sim.machine("m1.lab");
  const got: string[] = [];
  m1.spawn("sink", async (ctx) => {
    for (;;) got.push((await ctx.receive()).from);
  });
  const env = (from: string) => ({
    id: `${from}#1`,
    from,
    to: "sink@m1.lab",
    kind: "x",
    body: 0,
    lamport: 1,
  });
  const verdicts: boolean[] = [];
  sim.at(5, () => {
    verdicts.push(m1.receiveFrame("m2.lab", { kind: "msg", env: env("c@m9.lab") }));
    verdicts.push(m1.receiveFrame("m2.lab", { kind: "msg", env: env("c@m2.lab") }));
    verdicts.push(m1.receiveFrame("m2.lab", { kind: "ack", epoch: 1, seq: 1 }));
  });
  await sim.run();
  assertEquals(verdicts, [false, true, true]);
  assertEquals(got, ["c@m2.lab"]);
  assertEquals(m1.rejectedFrames, 1);
  const notes = sim.trace.events.filter((e) => e.ev === "drop").map((e) => e.note ?? "");
  assertEquals(notes.length, 1);
  assertTrue(notes[0].startsWith('refused frame from "m2.lab": Cannot accept frame: '), notes[0]);
  assertTrue(notes[0].includes('"m9.lab"'), notes[0]);
});
