/**
 * The reliable channel (seed 004 §2.2: "el receptor envíe de regreso un mensaje especial de
 * confirmación ... Si el emisor no ha recibido una confirmación después de cierto tiempo,
 * retransmite el mensaje"): acknowledgements, retransmission with backoff, duplicate suppression
 * and FIFO order, end to end over 200 seeds and as pure state machines.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { EPOCH_PROOF_MS, ReliableReceiver, ReliableSender } from "../core/reliable_channel.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
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
  const first = sender.stamp(env(1), 0);
  assertEquals([first.epoch, first.seq, first.base], [3, 1, 1]);
  sender.stamp(env(2), 0);
  assertEquals(sender.stamp(env(3), 0).base, 1);
  const { settled } = sender.acknowledge({ epoch: 3, seq: 2 }, 5);
  assertEquals(settled.map((u) => u.frame.seq), [1, 2]);
  assertEquals(sender.stamp(env(4), 5).base, 3);
  assertEquals(sender.inFlight, 2);
});

Deno.test("ReliableSender.acknowledge() ignores acks of another epoch", () => {
  const sender = new ReliableSender(2);
  sender.stamp(env(1), 0);
  assertEquals(sender.acknowledge({ epoch: 1, seq: 1 }, 1).settled, []);
  assertEquals(sender.inFlight, 1);
  assertEquals(sender.acknowledge({ epoch: 2, seq: 1 }, 1).settled.length, 1);
  assertEquals(sender.inFlight, 0);
});

Deno.test("ReliableSender runs one timer per channel: started by a send, restarted by an ack, stopped when all is acked", () => {
  const sender = new ReliableSender(1, { rto: 100 });
  sender.stamp(env(1), 0);
  sender.stamp(env(2), 30); // the timer is running: a second frame does not move it
  assertEquals(sender.deadline, 100);
  assertEquals(
    sender.expire(60),
    { resend: [], gaveUp: [] },
    "before the deadline nothing happens",
  );
  sender.acknowledge({ epoch: 1, seq: 1 }, 50); // new data acked: restart
  assertEquals(sender.rto, 200); // 50 + 4 * 25 = 150, raised to the 200 ms minimum
  // With a round trip known, a probe (two round trips) comes before the RTO (50 + 200).
  assertEquals(sender.deadline, 150);
  sender.acknowledge({ epoch: 1, seq: 2 }, 70);
  assertEquals(sender.deadline, undefined);
});

Deno.test("ReliableSender.expire() resends only the earliest frame, backs off, caps, then gives up on the channel", () => {
  const sender = new ReliableSender(1, {
    rto: 10,
    minRto: 1,
    backoff: 3,
    maxRto: 50,
    maxAttempts: 4,
  });
  for (let i = 1; i <= 3; i++) sender.stamp(env(i), 0);
  const rtos: number[] = [sender.rto];
  const resent: string[] = [];
  for (let i = 0; i < 3; i++) {
    const { resend, gaveUp } = sender.expire(sender.deadline!);
    assertEquals(gaveUp, []);
    resent.push(...resend.map((r) => `${r.frame.seq} ${r.reason}`));
    rtos.push(sender.rto);
  }
  assertEquals(resent, ["1 timeout", "1 timeout", "1 timeout"]);
  assertEquals(rtos, [10, 30, 50, 50]);
  const last = sender.expire(sender.deadline!);
  assertEquals(last.resend, []);
  assertEquals(last.gaveUp.map((u) => u.frame.seq), [1, 2, 3]);
  assertEquals([sender.inFlight, sender.deadline, sender.rto], [0, undefined, 10]);
  // The next frame tells the receiver to skip what was given up.
  assertEquals(sender.stamp(env(4), 100).base, 4);
});

Deno.test("ReliableSender keeps a backed-off timeout for later frames until a frame sent once is acknowledged (Karn)", () => {
  const sender = new ReliableSender(1, { rto: 1000, minRto: 1 });
  sender.stamp(env(1), 0);
  sender.acknowledge({ epoch: 1, seq: 1 }, 100); // SRTT 100, RTTVAR 50
  assertEquals(sender.rto, 300);
  sender.stamp(env(2), 1000);
  // Nothing comes back: a probe after two round trips (no backoff), then the timeout, which the
  // probe did not postpone.
  const reasons = (at: number) => sender.expire(at).resend.map((r) => r.reason);
  assertEquals([sender.deadline, reasons(1200)], [1200, ["probe"]]);
  assertEquals([sender.deadline, reasons(1300)], [1300, ["timeout"]]);
  assertEquals([sender.rto, sender.backoffs], [600, 1]);
  // The ack of a retransmitted frame is ambiguous: no sample, the backoff stays.
  sender.acknowledge({ epoch: 1, seq: 2 }, 1600);
  assertEquals([sender.rto, sender.srtt], [600, 100]);
  // The next frame runs on the backed-off timeout: after its probe, the timeout still comes 600
  // after the frame.
  sender.stamp(env(3), 2000);
  assertEquals([sender.deadline, reasons(2200)], [2200, ["probe"]]);
  assertEquals(sender.deadline, 2600);
  // An ack covering a resent frame and a fresh one gives no sample either.
  sender.stamp(env(4), 2300);
  sender.acknowledge({ epoch: 1, seq: 4 }, 2400);
  assertEquals([sender.rto, sender.srtt], [600, 100]);
  // A frame sent once and acknowledged is a valid sample: the backoff ends.
  sender.stamp(env(5), 3000);
  sender.acknowledge({ epoch: 1, seq: 5 }, 3100);
  assertEquals(sender.backoffs, 0);
  assertTrue(sender.rto < 300, `rto ${sender.rto}`);
});

Deno.test("ReliableSender.acknowledge() adapts the timeout to measured round trips, down to the minimum", () => {
  const sender = new ReliableSender(1);
  assertEquals(sender.rto, 3000);
  sender.stamp(env(1), 0);
  sender.acknowledge({ epoch: 1, seq: 1 }, 10);
  assertEquals(sender.srtt, 10);
  assertEquals(sender.rto, 200); // 10 + 4 * 5 = 30, raised to the 200 ms minimum
  const fine = new ReliableSender(1, { minRto: 1 });
  for (let i = 1; i < 40; i++) {
    fine.stamp(env(i), i * 100);
    fine.acknowledge({ epoch: 1, seq: i }, i * 100 + 2);
  }
  // With a constant round trip RTTVAR vanishes and the granularity G (1 ms) keeps the timer
  // from tying with the ack.
  assertTrue(fine.rto > 2 && fine.rto < 4, `rto ${fine.rto}`);
});

Deno.test("ReliableSender samples a frame sent once that a selective ack reports, and resends what it overtook", () => {
  const sender = new ReliableSender(1);
  sender.stamp(env(1), 0);
  sender.stamp(env(2), 0);
  // 2 arrived (a valid sample: SRTT 10, RTTVAR 5), 1 did not.
  const first = sender.acknowledge({ epoch: 1, seq: 0, sack: [[2, 2]] }, 10);
  assertEquals([sender.srtt, first.resend], [10, []]);
  // Jitter reorders frames sent together: 1 may still come, for the round-trip variation
  // (4 RTTVAR, at most a round trip): RACK's timer waits until 10 + 10 = 20.
  assertEquals(sender.deadline, 20);
  const lost = sender.expire(20).resend;
  assertEquals(lost.map((r) => [r.frame.seq, r.reason, r.attempts]), [[1, "lost", 2]]);
  // The same evidence does not resend it again: frame 2 left before the resend.
  assertEquals(sender.acknowledge({ epoch: 1, seq: 0, sack: [[2, 2]] }, 21).resend, []);
  // A frame sent after the resend arriving first shows the resend was lost too.
  sender.stamp(env(3), 25);
  sender.acknowledge({ epoch: 1, seq: 0, sack: [[2, 3]] }, 35);
  const again = sender.expire(sender.deadline!).resend;
  assertEquals(again.map((r) => [r.frame.seq, r.attempts, r.frame.base]), [[1, 3, 1]]);
});

Deno.test("ReliableSender takes a late frame for lost only after the round-trip variation", () => {
  // A constant round trip: the variation fades, a frame overtaken by a later one is lost at once.
  const steady = new ReliableSender(1, { minRto: 1 });
  for (let i = 1; i <= 30; i++) {
    steady.stamp(env(i), i * 100);
    steady.acknowledge({ epoch: 1, seq: i }, i * 100 + 10);
  }
  steady.stamp(env(31), 4000);
  steady.stamp(env(32), 4000);
  assertEquals(steady.acknowledge({ epoch: 1, seq: 30, sack: [[32, 32]] }, 4010).resend, []);
  assertTrue(steady.deadline! - 4010 < 0.01, `deadline ${steady.deadline}`);
  assertEquals(steady.expire(steady.deadline!).resend.map((r) => r.frame.seq), [31]);
});

Deno.test("ReliableSender after a timeout resends the frames sent before it once the resent copy is known to have arrived", () => {
  const sender = new ReliableSender(1, { rto: 100 });
  for (let i = 1; i <= 4; i++) sender.stamp(env(i), 0);
  assertEquals(sender.expire(100).resend.map((r) => r.frame.seq), [1]);
  // The ack does not say which copy of 1 arrived: it proves nothing.
  const unclear = new ReliableSender(1, { rto: 100 });
  for (let i = 1; i <= 4; i++) unclear.stamp(env(i), 0);
  unclear.expire(100);
  assertEquals(unclear.acknowledge({ epoch: 1, seq: 1 }, 110).resend, []);
  // The resent copy of 1 arrived, none of the frames sent before it did: 2..4 are lost too.
  const lost = sender.acknowledge({ epoch: 1, seq: 1, rtx: [1, 2] }, 110).resend;
  assertEquals(lost.map((r) => [r.frame.seq, r.reason, r.frame.base]), [
    [2, "lost", 2],
    [3, "lost", 2],
    [4, "lost", 2],
  ]);
  // A timeout that was needless (the original of 1 arrived, then 2) resends nothing more.
  const late = new ReliableSender(1, { rto: 100 });
  for (let i = 1; i <= 4; i++) late.stamp(env(i), 0);
  late.expire(100);
  assertEquals(late.acknowledge({ epoch: 1, seq: 2 }, 110).resend, []);
});

Deno.test("ReliableSender resends a stalled frame once when the peer answers after two backoffs", () => {
  const sender = new ReliableSender(1, { rto: 10 });
  sender.stamp(env(1), 0);
  const ackNothing = { epoch: 1, seq: 0 };
  assertEquals(sender.acknowledge(ackNothing, 1).resend, [], "a frame sent once is not stalled");
  sender.expire(10);
  sender.expire(30);
  const stalled = sender.acknowledge(ackNothing, 35).resend;
  assertEquals(stalled.map((r) => [r.frame.seq, r.reason]), [[1, "peer answers"]]);
  assertEquals(sender.acknowledge(ackNothing, 36).resend, [], "once per expiry");
  assertEquals(sender.rto, 40, "the backoff is kept");
});

Deno.test("ReliableSender resends frames a restarted receiver had reported received (reneging)", () => {
  const sender = new ReliableSender(1, { rto: 1000, minRto: 1 });
  sender.stamp(env(1), 0);
  sender.stamp(env(2), 0);
  // Frame 1 is lost; 2 arrives and waits for it, reported received; then 1 is found lost.
  assertEquals(sender.acknowledge({ epoch: 1, seq: 0, sack: [[2, 2]] }, 10).resend, []);
  assertEquals(sender.expire(sender.deadline!).resend.map((r) => [r.frame.seq, r.reason]), [
    [1, "lost"],
  ]);
  // The receiver's machine restarted meanwhile: its new life takes the resent 1 and holds
  // nothing of 2. Frame 2 goes again at once, not after the timeout.
  const { resend } = sender.acknowledge({ epoch: 1, seq: 1, rtx: [1, 2] }, 40);
  assertEquals(resend.map((r) => [r.frame.seq, r.reason]), [[2, "lost"]]);
  assertEquals(sender.acknowledge({ epoch: 1, seq: 2, rtx: [2, 2] }, 50).settled.length, 1);
});

Deno.test("Simulator: frames a receiver held out of order when its machine restarted go again at once", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  const got: [number, number][] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) got.push([(await ctx.receive<number>()).body, ctx.now()]);
  });
  sim.partition(["m1.lab"], ["m2.lab"], { at: 10, until: 11, oneWay: true });
  sim.crash("m2.lab", { at: 20, restartAt: 100 });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m2.lab", 1);
    await ctx.sleep(10);
    await ctx.send("rx@m2.lab", 2); // lost in the partition
    await ctx.sleep(2);
    await ctx.send("rx@m2.lab", 3); // arrives and waits for 2; then m2 restarts without it
    for (let i = 4; i <= 20; i++) {
      await ctx.sleep(50); // new frames keep coming (and probing) meanwhile
      await ctx.send("rx@m2.lab", i);
    }
  });
  await sim.run();
  assertEquals(got.map(([n]) => n), Array.from({ length: 20 }, (_, i) => i + 1));
  const at = (n: number) => got.find(([m]) => m === n)![1];
  // The new life got 2 from a retransmission; 3 follows within a round trip, not a timeout.
  assertTrue(at(3) - at(2) <= 20, `2 at ${at(2)} ms, 3 at ${at(3)} ms`);
});

/**
 * A server on m1 that counts its executions across lives and answers 20 ms after a request
 * (so that its machine's own ack leaves first); m1 -> m2 is cut from 4 ms until `cutUntil`, and
 * m1 crashes at 40 ms and restarts at 60 ms. Returns the executions, the client's reply and the
 * request's retransmissions.
 */
async function answeredThenCrash(cutUntil: number) {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let executions = 0;
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      executions++;
      await ctx.sleep(20);
      await ctx.reply(request, `done by life ${executions}`);
    }
  });
  sim.partition(["m1.lab"], ["m2.lab"], { at: 4, until: cutUntil, oneWay: true });
  sim.crash("m1.lab", { at: 40, restartAt: 60 });
  let reply = "";
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    reply = (await ctx.request<string>("kv@m1.lab", "work", { timeout: 5000 })).body;
  });
  await sim.run();
  const resent = sim.trace.events.filter((e) =>
    e.ev === "retransmit" && e.id === "client@m2.lab#1.1"
  );
  return { executions, reply, resent: resent.length };
}

Deno.test("reliable channel: a request whose reply arrived is never delivered again to its restarted receiver", async () => {
  // The ack m1 sends when the request arrives (at 5 ms) is lost; the reply (25 ms) gets through
  // and carries the cumulative ack, so the request is settled before m1 crashes.
  assertEquals(await answeredThenCrash(10), { executions: 1, reply: "done by life 1", resent: 0 });
});

Deno.test("reliable channel: a request whose ack and reply were both lost is executed again after the receiver restarts", async () => {
  // At least once across a receiver crash: nothing told the client's machine that the request
  // arrived, so it resends it, and m1's new life, which remembers nothing, runs it again.
  assertEquals(await answeredThenCrash(100), { executions: 2, reply: "done by life 2", resent: 1 });
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
  // Frames held out of order are reported as ranges, lowest first.
  receiver.accept(frame(1, 7, 4));
  receiver.accept(frame(1, 9, 4));
  assertEquals(receiver.accept(frame(1, 10, 4)).ack?.sack, [[5, 5], [7, 7], [9, 10]]);
  assertEquals(receiver.accept(frame(1, 4, 4)).ack, {
    kind: "ack",
    epoch: 1,
    seq: 5,
    sack: [[7, 7], [9, 10]],
  });
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

Deno.test("ReliableReceiver.accept() goes back from a newer epoch that fell silent while the older one kept sending (a forged epoch)", () => {
  const receiver = new ReliableReceiver();
  receiver.accept(frame(1, 1, 1), 0);
  // A forged frame far ahead is taken as a restart at first...
  const forged = receiver.accept(frame(1e15, 1, 1, 666), 100);
  assertEquals([forged.restarted, forged.deliver.map((e) => e.body)], [true, [666]]);
  // ...and the real sender, still on epoch 1, is ignored for a while...
  const early = receiver.accept(frame(1, 2, 1), 100 + EPOCH_PROOF_MS - 1);
  assertEquals([early.deliver.length, early.ack], [0, null]);
  // ...until the forged epoch has been silent for EPOCH_PROOF_MS: the channel goes back.
  const back = receiver.accept(frame(1, 2, 1), 100 + EPOCH_PROOF_MS);
  assertEquals([back.restarted, back.deliver.map((e) => e.body)], [true, [2]]);
  assertEquals(back.ack, { kind: "ack", epoch: 1, seq: 2 });
  assertEquals(receiver.accept(frame(1, 3, 1), 100 + EPOCH_PROOF_MS).deliver.length, 1);
});

Deno.test("ReliableReceiver.accept() keeps a real restart: once the new epoch speaks twice, old frames stay ignored", () => {
  const receiver = new ReliableReceiver();
  receiver.accept(frame(1, 1, 1), 0);
  receiver.accept(frame(2, 1, 1), 10);
  receiver.accept(frame(2, 2, 1), 20);
  const late = receiver.accept(frame(1, 2, 1), 10 + 10 * EPOCH_PROOF_MS);
  assertEquals([late.restarted, late.deliver.length, late.ack], [false, 0, null]);
});

Deno.test("reliable channel: a forged frame with an epoch far ahead does not silence the real sender for good", async () => {
  const sim = new Simulator({ seed: 4, latency: { kind: "constant", ms: 5 } });
  const got: number[] = [];
  sim.machine("m2.lab").spawn("rx", async (ctx) => {
    for (;;) got.push((await ctx.receive<number>()).body);
  });
  sim.machine("m1.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 40; i++) {
      await ctx.send("rx@m2.lab", i);
      await ctx.sleep(200);
    }
  });
  // An attacker who knows the frame format claims to be m1.lab in a far future incarnation.
  const env = { id: "x#1", from: "tx@m1.lab", to: "rx@m2.lab", kind: "data", body: -1, lamport: 1 };
  sim.at(1_000, () => {
    sim.machine("m2.lab").receiveFrame("m1.lab", {
      kind: "msg",
      env,
      epoch: Number.MAX_SAFE_INTEGER,
      seq: 1,
      base: 1,
    });
  });
  await sim.run({ until: 120_000 });
  // Without authentication the forged message is delivered (it looks real), once; every real
  // message still arrives, in order: those sent meanwhile by retransmission after the switch back.
  assertEquals(got.filter((n) => n === -1).length, 1);
  assertEquals(got.filter((n) => n !== -1), Array.from({ length: 40 }, (_, i) => i));
});
