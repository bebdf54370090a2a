/**
 * The reliable channel (seed 004 §2.2: "el receptor envíe de regreso un mensaje especial de
 * confirmación ... Si el emisor no ha recibido una confirmación después de cierto tiempo,
 * retransmite el mensaje"): acknowledgements, retransmission with backoff, duplicate suppression
 * and FIFO order, end to end over 200 seeds and as pure state machines.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { ReliableReceiver, ReliableSender } from "../core/reliable_channel.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator.ts";
import type { MessageFrame } from "../core/wire.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const COUNT = 30;

/** Sends 0..COUNT-1 from m1 to m2 and returns what the receiver got, in order. */
async function transfer(options: SimulatorOptions): Promise<{ got: number[]; sim: Simulator }> {
  const sim = new Simulator(options);
  const got: number[] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) got.push((await ctx.receive<number>()).body);
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < COUNT; i++) await ctx.send("rx@m2.lab", i);
  });
  await sim.run({ until: 600_000 });
  return { got, sim };
}

const ALL = Array.from({ length: COUNT }, (_, i) => i);

Deno.test("reliable channel delivers every message exactly once and in order over 200 lossy seeds", async () => {
  for (let seed = 1; seed <= 200; seed++) {
    const { got, sim } = await transfer({ seed, drop: 0.3, duplicate: 0.1, reorder: 0.3 });
    assertEquals(got, ALL, `seed ${seed}: replay with new Simulator({ seed: ${seed}, ... })`);
    assertTrue(sim.trace.count("retransmit") > 0, `seed ${seed}: no retransmission`);
    assertTrue(sim.stats.dropped > 0, `seed ${seed}: nothing dropped`);
  }
});

Deno.test("reliable: false shows the raw network: messages are lost, duplicated and reordered", async () => {
  const lossy = await transfer({ seed: 1, drop: 0.3, reliable: false });
  assertTrue(lossy.got.length < COUNT, `got all ${lossy.got.length}`);
  assertEquals(lossy.sim.trace.count("retransmit"), 0);
  assertTrue(lossy.sim.trace.events.some((e) => e.ev === "drop" && e.note === "lost"));
  // The same seed with the reliable channel delivers everything.
  assertEquals((await transfer({ seed: 1, drop: 0.3 })).got, ALL);

  const doubled = await transfer({ seed: 1, duplicate: 0.3, reliable: false });
  assertTrue(doubled.got.length > COUNT, `got ${doubled.got.length}`);
  const shuffled = await transfer({ seed: 1, reorder: 0.5, reliable: false });
  assertEquals([...shuffled.got].sort((a, b) => a - b), ALL);
  assertTrue(shuffled.got.some((n, i) => n !== i), "no reordering seen");
});

Deno.test("reliable channel suppresses network duplicates and traces them", async () => {
  const { got, sim } = await transfer({ seed: 9, duplicate: 0.5 });
  assertEquals(got, ALL);
  assertTrue(sim.trace.events.some((e) => e.ev === "duplicate" && e.note === "suppressed"));
});

function env(n: number): Envelope {
  return {
    id: `a@m1.lab#${n}`,
    from: "a@m1.lab",
    to: "b@m2.lab",
    kind: "data",
    body: n,
    lamport: n,
  };
}

function frame(epoch: number, seq: number, base: number, body = seq): MessageFrame {
  return { kind: "msg", env: env(body), epoch, seq, base };
}

Deno.test("ReliableSender.stamp() numbers frames and carries the lowest unacknowledged as base", () => {
  const sender = new ReliableSender(3);
  const first = sender.stamp(env(1));
  assertEquals([first.frame.epoch, first.frame.seq, first.frame.base], [3, 1, 1]);
  sender.stamp(env(2));
  assertEquals(sender.stamp(env(3)).frame.base, 1);
  assertEquals(sender.acknowledge({ kind: "ack", epoch: 3, seq: 2 }).map((u) => u.frame.seq), [
    1,
    2,
  ]);
  assertEquals(sender.stamp(env(4)).frame.base, 3);
  assertEquals(sender.inFlight, 2);
});

Deno.test("ReliableSender.acknowledge() ignores acks of another epoch", () => {
  const sender = new ReliableSender(2);
  sender.stamp(env(1));
  assertEquals(sender.acknowledge({ kind: "ack", epoch: 1, seq: 1 }), []);
  assertEquals(sender.inFlight, 1);
  assertEquals(sender.acknowledge({ kind: "ack", epoch: 2, seq: 1 }).length, 1);
  assertEquals(sender.inFlight, 0);
});

Deno.test("ReliableSender.expire() backs off the timeout, caps it, then gives up", () => {
  const sender = new ReliableSender(1, { rto: 10, backoff: 3, maxRto: 50, maxAttempts: 4 });
  const entry = sender.stamp(env(1));
  const rtos: number[] = [entry.rto];
  for (let i = 0; i < 3; i++) {
    const result = sender.expire(1);
    assertTrue(result.frame !== undefined && !result.gaveUp);
    rtos.push(entry.rto);
  }
  assertEquals(rtos, [10, 30, 50, 50]);
  assertEquals(entry.attempts, 4);
  const last = sender.expire(1);
  assertEquals([last.frame, last.gaveUp], [undefined, true]);
  assertEquals(sender.inFlight, 0);
  // An acknowledged frame's timer firing late does nothing.
  sender.stamp(env(2));
  sender.acknowledge({ kind: "ack", epoch: 1, seq: 2 });
  assertEquals(sender.expire(2), { gaveUp: false });
});

Deno.test("ReliableReceiver.accept() delivers in order, buffers gaps and suppresses duplicates", () => {
  const receiver = new ReliableReceiver();
  const bodies = (f: MessageFrame) => receiver.accept(f).deliver.map((e) => e.body);
  assertEquals(bodies(frame(1, 3, 1)), []);
  assertEquals(bodies(frame(1, 2, 1)), []);
  const result = receiver.accept(frame(1, 1, 1));
  assertEquals(result.deliver.map((e) => e.body), [1, 2, 3]);
  assertEquals(result.ack, { kind: "ack", epoch: 1, seq: 3 });
  const again = receiver.accept(frame(1, 2, 1));
  assertEquals([again.duplicate, again.deliver.length], [true, 0]);
  assertEquals(again.ack, { kind: "ack", epoch: 1, seq: 3 }); // re-acked so the sender stops
  receiver.accept(frame(1, 5, 4));
  assertTrue(receiver.accept(frame(1, 5, 4)).duplicate);
});

Deno.test("ReliableReceiver.accept() takes a restarted sender's higher epoch from its base", () => {
  const receiver = new ReliableReceiver();
  for (let seq = 1; seq <= 3; seq++) receiver.accept(frame(1, seq, 1));
  // The sender's machine restarted (epoch 2) and numbers from 1 again.
  const fresh = receiver.accept(frame(2, 1, 1, 100));
  assertEquals(fresh.deliver.map((e) => e.body), [100]);
  assertEquals(fresh.ack, { kind: "ack", epoch: 2, seq: 1 });
  // Late frames of the old incarnation are ignored and not acknowledged.
  const stale = receiver.accept(frame(1, 4, 1, 4));
  assertEquals([stale.deliver.length, stale.ack, stale.duplicate], [0, null, true]);
  // A new epoch first seen mid-stream starts at the base it announces.
  const other = new ReliableReceiver();
  assertEquals(other.accept(frame(5, 7, 7)).deliver.map((e) => e.body), [7]);
});

Deno.test("ReliableReceiver.accept() skips a gap the sender gave up on (base moved past it)", () => {
  const receiver = new ReliableReceiver();
  receiver.accept(frame(1, 1, 1));
  // seq 2 is lost for good; the sender gives up on it, so its base moves to 3.
  assertEquals(receiver.accept(frame(1, 4, 3)).deliver.map((e) => e.body), []);
  const result = receiver.accept(frame(1, 3, 3));
  assertEquals(result.deliver.map((e) => e.body), [3, 4]);
  assertEquals(result.ack?.seq, 4);
  // A frame whose base is past everything delivers at once.
  assertEquals(receiver.accept(frame(1, 9, 9)).deliver.map((e) => e.body), [9]);
});

Deno.test("ReliableSender.acknowledge() adapts the timeout to measured round trips (Karn's rule)", () => {
  const sender = new ReliableSender(1, { rto: 40, minRto: 1 });
  assertEquals(sender.rto, 40);
  sender.stamp(env(1), 0);
  sender.acknowledge({ kind: "ack", epoch: 1, seq: 1 }, 10);
  assertEquals(sender.srtt, 10);
  assertEquals(sender.rto, 30); // 10 + 4 * 5
  // A retransmitted frame gives no sample: its ack could answer either transmission.
  sender.stamp(env(2), 100);
  sender.expire(2);
  sender.acknowledge({ kind: "ack", epoch: 1, seq: 2 }, 500);
  assertEquals(sender.srtt, 10);
  for (let i = 3; i < 40; i++) {
    sender.stamp(env(i), i * 100);
    sender.acknowledge({ kind: "ack", epoch: 1, seq: i }, i * 100 + 2);
  }
  assertTrue(sender.rto < 5, `rto ${sender.rto} should approach the 2 ms round trip`);
});

Deno.test("ReliableSender.resendStalled() resends the oldest backed-off frame once the peer answers", () => {
  const sender = new ReliableSender(1, { rto: 10 });
  sender.stamp(env(1), 0);
  assertEquals(sender.resendStalled(), undefined, "a frame sent once is not stalled");
  sender.expire(1);
  sender.expire(1);
  const stalled = sender.resendStalled();
  assertEquals(stalled?.frame.seq, 1);
  assertEquals(stalled?.entry.rto, 10);
  assertEquals(sender.resendStalled(), undefined, "resent once, then its timer runs again");
});
