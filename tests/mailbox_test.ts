/**
 * Mailboxes and SEND/RECEIVE (seed 000, seed 004 §2.2 "Primitivas SEND y RECEIVE"): bounded
 * capacity with backpressure, capacity 0 as a rendezvous, synchronous send across machines,
 * filtered receive with a timeout, and message boundaries.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError } from "../core/errors.ts";
import { Mailbox } from "../core/mailbox.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertThrows, assertTrue } from "./_assert.ts";

function env(n: number, from = "a@m1.lab", kind = "data"): Envelope {
  return { id: `${from}#${n}`, from, to: "b@m1.lab", kind, body: n, lamport: n };
}

Deno.test("Mailbox.put() buffers up to capacity, then the put waits until a take makes room", () => {
  const box = new Mailbox(2);
  const admitted: number[] = [];
  assertEquals(box.put(env(1)), true);
  assertEquals(box.put(env(2)), true);
  assertEquals(box.put(env(3), () => admitted.push(3)), false);
  assertEquals(box.put(env(4), () => admitted.push(4)), false);
  assertEquals(box.size, 2);
  assertEquals(box.waitingSenders, 2);
  assertEquals(box.take()?.body, 1);
  assertEquals(admitted, [3]);
  assertEquals(box.size, 2);
  assertEquals([box.take()?.body, box.take()?.body, box.take()?.body], [2, 3, 4]);
  assertEquals(admitted, [3, 4]);
  assertEquals(box.take(), undefined);
});

Deno.test("Mailbox with capacity 0 buffers nothing: a put is admitted only when taken", () => {
  const box = new Mailbox(0);
  let admitted = false;
  assertEquals(box.put(env(1), () => admitted = true), false);
  assertEquals(box.size, 0);
  assertEquals(admitted, false);
  assertEquals(box.take()?.body, 1);
  assertTrue(admitted);
  assertEquals(box.size, 0);
  // A receiver already waiting takes the message at once.
  let got: Envelope | undefined;
  box.wait(undefined, (e) => got = e);
  assertEquals(box.put(env(2)), true);
  assertEquals(got?.body, 2);
  assertEquals(box.size, 0);
});

Deno.test("Mailbox.reserve() holds slots for messages on their way: admit() fills one, release() frees the rest", () => {
  const box = new Mailbox(3);
  const taken: number[] = [];
  box.onTake = (e) => taken.push(e.body as number);
  box.put(env(1));
  box.reserve(2);
  assertEquals([box.size, box.reserved, box.free], [1, 2, 0]);
  // A message without a reservation waits, as in a full mailbox.
  let admitted = false;
  assertEquals(box.put(env(2), () => admitted = true), false);
  assertThrows(() => box.reserve(1), RangeError, "0 are free");
  // A reserved message enters at once, ahead of the waiting one.
  box.admit(env(3));
  assertEquals([box.size, box.reserved, admitted], [2, 1, false]);
  // Giving back the last reservation lets the waiting message in.
  box.release(1);
  assertEquals([box.size, box.reserved, admitted], [3, 0, true]);
  assertEquals([box.take()?.body, box.take()?.body, box.take()?.body], [1, 3, 2]);
  assertEquals(taken, [1, 3, 2]);
});

Deno.test("Mailbox.take() filters by sender and kind and keeps the others in order", () => {
  const box = new Mailbox();
  box.put(env(1, "a@m1.lab", "get"));
  box.put(env(2, "c@m2.lab", "put"));
  box.put(env(3, "a@m1.lab", "put"));
  assertEquals(box.take({ kind: "put" })?.body, 2);
  assertEquals(box.take({ from: "c@m2.lab" }), undefined);
  assertEquals(box.take({ from: "a@m1.lab", kind: ["del", "put"] })?.body, 3);
  assertEquals(box.take()?.body, 1);
  assertThrows(() => new Mailbox(-1), RangeError, "-1");
});

Deno.test("send() on a full mailbox suspends the sender until the receiver takes", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const doneAt: number[] = [];
  const takenAt: number[] = [];
  m1.spawn("rx", async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.sleep(100);
      await ctx.receive();
      takenAt.push(ctx.now());
    }
  }, { capacity: 2 });
  m1.spawn("tx", async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.send("rx@m1.lab", i);
      doneAt.push(ctx.now());
    }
  });
  await sim.run();
  assertEquals(takenAt, [100, 200, 300, 400, 500]);
  // Two fit in the mailbox at once; the 3rd..5th complete only as receives make room.
  assertEquals(doneAt, [0, 0, 100, 200, 300]);
});

Deno.test("send() to a capacity-0 mailbox is a rendezvous: it completes when the receiver takes", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const doneAt: number[] = [];
  m1.spawn("rx", async (ctx) => {
    for (let i = 0; i < 3; i++) {
      await ctx.sleep(100);
      await ctx.receive();
    }
  }, { capacity: 0 });
  m1.spawn("tx", async (ctx) => {
    for (let i = 0; i < 3; i++) {
      await ctx.send("rx@m1.lab", i);
      doneAt.push(ctx.now());
    }
  });
  await sim.run();
  assertEquals(doneAt, [100, 200, 300]);
  // Nothing was buffered: each message reached the mailbox only at the moment it was taken.
  const delivered = sim.trace.events.filter((e) => e.ev === "deliver").map((e) => e.t);
  assertEquals(delivered, [100, 200, 300]);
});

Deno.test("send() is asynchronous across machines: it returns before the message arrives", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let sentAt = -1, receivedAt = -1;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    await ctx.receive();
    receivedAt = ctx.now();
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m2.lab", "hello");
    sentAt = ctx.now();
  });
  await sim.run();
  assertEquals([sentAt, receivedAt], [0, 5]);
});

Deno.test("send({ sync: true }) resolves once the remote mailbox holds the message", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let doneAt = -1, receivedAt = -1;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    await ctx.sleep(1000);
    await ctx.receive();
    receivedAt = ctx.now();
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m2.lab", "hello", { sync: true });
    doneAt = ctx.now();
  });
  await sim.run();
  const deliver = sim.trace.events.find((e) => e.ev === "deliver" && e.to === "rx@m2.lab");
  assertEquals(deliver?.t, 5);
  // In the mailbox at 5 ms, the receipt back at 10 ms, long before the receiver takes it.
  assertEquals([doneAt, receivedAt], [10, 1000]);
});

Deno.test("send({ sync: true }) to a capacity-0 remote mailbox waits for the receiver to take it", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let doneAt = -1;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    await ctx.sleep(100);
    await ctx.receive();
  }, { capacity: 0 });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m2.lab", "hello", { sync: true });
    doneAt = ctx.now();
  });
  await sim.run();
  assertEquals(doneAt, 105);
});

Deno.test("send({ sync: true }) fails with TimeoutError when the receiver's machine is cut off", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let received = false;
  let failure: TimeoutError | undefined;
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    await ctx.receive();
    received = true;
  });
  sim.partition(["m1.lab"], ["m2.lab"]);
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.sleep(1); // see simulator_test.ts: a partition "now" applies after the t=0 steps
    failure = await assertRejects(
      () => ctx.send("rx@m2.lab", "hello", { sync: true, timeout: 200 }),
      TimeoutError,
      "send synchronously",
    ) as TimeoutError;
    assertEquals(ctx.now(), 201);
  });
  await sim.run();
  assertEquals(failure?.timeout, 200);
  assertEquals(received, false);
  assertTrue(sim.trace.events.some((e) => e.ev === "drop" && e.note === "partition"));
});

Deno.test("receive() filters by from and kind, leaving other messages queued", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const order: string[] = [];
  m1.spawn("rx", async (ctx) => {
    await ctx.sleep(10); // let all three arrive first
    const fromB = await ctx.receive<string>({ from: "m1:b" });
    const put = await ctx.receive<{ kind: string; n: number }>({ kind: "put" });
    const any = await ctx.receive<string>({ kind: ["get", "del"] });
    order.push(fromB.body, `${put.body.kind} ${put.body.n}`, JSON.stringify(any.body));
    assertEquals(fromB.from, "b@m1.lab");
  });
  m1.spawn("a", async (ctx) => {
    await ctx.send("rx@m1.lab", { kind: "get", n: 1 });
    await ctx.send("rx@m1.lab", { kind: "put", n: 2 });
  });
  m1.spawn("b", (ctx) => ctx.send("rx@m1.lab", "from b"));
  await sim.run();
  assertEquals(order, ["from b", "put 2", '{"kind":"get","n":1}']);
});

Deno.test("receive({ timeout }) rejects with TimeoutError when nothing matching arrives", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  let at = -1;
  m1.spawn("rx", async (ctx) => {
    await assertRejects(() => ctx.receive({ kind: "never", timeout: 250 }), TimeoutError, "250 ms");
    at = ctx.now();
    // The unmatched message is still there.
    assertEquals((await ctx.receive({ timeout: 1 })).body, "other");
  });
  m1.spawn("tx", (ctx) => ctx.send("rx@m1.lab", "other"));
  await sim.run();
  assertEquals(at, 250);
});

Deno.test("receiveWithin() gives undefined once its timeout passes, traced as receive's, and a message in time", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const seen: unknown[] = [];
  m1.spawn("rx", async (ctx) => {
    seen.push(await ctx.receiveWithin(250, { kind: "never" }), ctx.now());
    seen.push((await ctx.receiveWithin<string>(10, { from: "m1:tx" }))?.body, ctx.now());
    seen.push((await ctx.receiveWithin(Infinity))?.body);
  });
  m1.spawn("tx", async (ctx) => {
    await ctx.send("rx@m1.lab", "early");
    await ctx.sleep(300);
    await ctx.send("rx@m1.lab", "late");
  });
  await sim.run();
  // The message sent at 0 waited unmatched; the second receive took it at once.
  assertEquals(seen, [undefined, 250, "early", 250, "late"]);
  const timers = sim.trace.events.filter((e) => e.ev === "timer" && e.at === "rx@m1.lab");
  assertEquals(timers.map((e) => [e.t, e.note]), [[250, "timeout: receive after 250 ms"]]);
});

Deno.test("send() keeps message boundaries: 10 messages of 100 bytes arrive as 10 envelopes", async () => {
  const sim = new Simulator({ seed: 5, duplicate: 0.2, reorder: 0.3 });
  const bodies: string[] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) bodies.push((await ctx.receive<string>()).body);
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 10; i++) await ctx.send("rx@m2.lab", String(i).repeat(100));
  });
  await sim.run();
  assertEquals(bodies.length, 10);
  assertEquals(bodies.map((b) => b.length), Array(10).fill(100));
  assertEquals(bodies, Array.from({ length: 10 }, (_, i) => String(i).repeat(100)));
});
