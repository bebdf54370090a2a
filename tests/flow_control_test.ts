/**
 * Backpressure across machines (seed 000: a full mailbox suspends its sender until a message is
 * removed; capacity 0 is a rendezvous), for senders on other machines too: in the simulator and
 * between two hosts over real loopback TCP; bounded memory on the sending side; crashes and
 * restarts of either side; and what `reliable: false` gives up.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { Machine } from "../core/machine.ts";
import type { ProcessFn } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** Where the receiver and the sender run: two simulated machines, or two hosts on loopback. */
interface Pair {
  readonly receiver: Machine;
  readonly sender: Machine;
  /** Runs until both processes are done. */
  run(done: Promise<void>): Promise<void>;
}

const PAIRS: Record<string, () => Promise<Pair>> = {
  simulator: () => {
    const sim = new Simulator({ seed: 1 });
    return Promise.resolve({
      receiver: sim.machine("m1.lab"),
      sender: sim.machine("m2.lab"),
      run: async (done) => {
        await sim.run();
        await done;
      },
    });
  },
  "TCP on 127.0.0.1": async () => {
    const endpoints = new Map<string, string>();
    const resolve = (m: string) => endpoints.get(m);
    const hosts: Host[] = [];
    for (const name of ["m1.lab", "m2.lab"]) {
      const host = await startHost(name, { resolve, seed: 1 });
      endpoints.set(name, host.endpoint);
      hosts.push(host);
    }
    return {
      receiver: hosts[0].machine,
      sender: hosts[1].machine,
      run: async (done) => {
        try {
          await done;
        } finally {
          for (const host of hosts) await host.close();
        }
      },
    };
  },
};

/**
 * The receiver (capacity `capacity`) takes five messages, pausing before each; the sender sends
 * five asynchronously. Returns the events in the order they happened.
 */
async function fiveSends(pair: Pair, capacity: number): Promise<string[]> {
  const events: string[] = [];
  const took = Promise.withResolvers<void>(), sent = Promise.withResolvers<void>();
  const receiver: ProcessFn = async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.sleep(20); // the receiver is slower than the sender (pacing, not synchronisation)
      events.push(`took ${(await ctx.receive<number>()).body}`);
    }
    took.resolve();
  };
  pair.receiver.spawn("rx", receiver, { capacity });
  pair.sender.spawn("tx", async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.send("rx@m1.lab", i);
      events.push(`sent ${i}`);
    }
    sent.resolve();
  });
  await pair.run(Promise.all([took.promise, sent.promise]).then(() => {}));
  return events;
}

const before = (events: string[], a: string, b: string) => events.indexOf(a) < events.indexOf(b);

for (const [where, make] of Object.entries(PAIRS)) {
  Deno.test(`send() to a remote mailbox of capacity 2 (${where}): the third send returns only after a take`, async () => {
    const events = await fiveSends(await make(), 2);
    assertEquals(
      events.filter((e) => e.startsWith("took")),
      [0, 1, 2, 3, 4].map((i) => `took ${i}`),
    );
    // Two fit; send k (k >= 2) returns only after the receiver took message k - 2.
    for (let k = 2; k < 5; k++) {
      assertTrue(before(events, `took ${k - 2}`, `sent ${k}`), events.join(", "));
    }
  });

  Deno.test(`send() to a remote mailbox of capacity 0 (${where}) is a rendezvous`, async () => {
    const events = await fiveSends(await make(), 0);
    for (let k = 0; k < 5; k++) {
      assertTrue(before(events, `took ${k}`, `sent ${k}`), events.join(", "));
    }
  });
}

Deno.test("send() to a bounded remote mailbox keeps the sending side bounded", async () => {
  const sim = new Simulator({ seed: 2 });
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    for (let i = 0; i < 200; i++) {
      await ctx.sleep(5);
      await ctx.receive();
    }
  }, { capacity: 4 });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 200; i++) await ctx.send("rx@m1.lab", i);
  });
  await sim.run();
  // Messages sent and not yet taken, over the whole run: at most the mailbox plus the one
  // message its suspended sender holds (without flow control: all 200 at once).
  let outstanding = 0, most = 0;
  for (const e of sim.trace.events) {
    if (e.ev === "send" && e.from === "tx@m2.lab") most = Math.max(most, ++outstanding);
    if (e.ev === "receive" && e.at === "rx@m1.lab") outstanding--;
  }
  assertEquals(outstanding, 0);
  assertTrue(most <= 5, `${most} messages outstanding`);
});

Deno.test("send() to an unbounded remote mailbox never waits", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  const returned: number[] = [];
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    for (let i = 0; i < 50; i++) await ctx.receive();
  });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 50; i++) {
      await ctx.send("rx@m1.lab", i);
      returned.push(ctx.now());
    }
  });
  await sim.run();
  assertEquals(new Set(returned), new Set([0]));
});

/** A simulator whose directory does not know mailbox capacities, as on real hosts. */
function askingSimulator(latency = 5): Simulator {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: latency } });
  Object.defineProperty(sim, "mailboxBound", { value: undefined });
  return sim;
}

Deno.test("send() to a process whose capacity the network does not know waits for the first answer only", async () => {
  const sim = askingSimulator();
  const returned: number[] = [];
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    for (let i = 0; i < 3; i++) await ctx.receive();
  });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (let i = 0; i < 3; i++) {
      await ctx.send("rx@m1.lab", i);
      returned.push(ctx.now());
    }
  });
  await sim.run();
  // The first message asks (admitted at 5, "unbounded" back at 10); the others go at once.
  assertEquals(returned, [10, 10, 10]);
});

Deno.test("send() to a machine that does not answer waits at most 1 s, then goes as unbounded", async () => {
  /** When two sends to a machine that is down return, with a one-way `latency` of that many ms. */
  async function returned(latency: number): Promise<number[]> {
    const sim = askingSimulator(latency);
    const times: number[] = [];
    sim.machine("m1.lab").spawn("rx", async (ctx) => {
      for (let i = 0; i < 2; i++) await ctx.receive();
    });
    sim.crash("m1.lab", { at: 0, restartAt: 5000 });
    sim.machine("m2.lab").spawn("tx", async (ctx) => {
      for (let i = 0; i < 2; i++) {
        await ctx.send("rx@m1.lab", i);
        times.push(ctx.now());
      }
    });
    await sim.run();
    return times;
  }
  // The wait is the channel's first retransmission timeout: in the simulator twice the worst
  // round trip of its latency, at least 200 ms (5 ms one way: 200 ms) ...
  assertEquals(await returned(5), [200, 200]);
  // ... and never more than 1 s (400 ms one way: a first timeout of 1.6 s).
  assertEquals(await returned(400), [1000, 1000]);
});

Deno.test("send() suspended on a remote mailbox resumes when the receiver's machine restarts without it", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  const events: string[] = [];
  let boots = 0;
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    boots++;
    if (boots === 1) await ctx.sleep(1_000_000); // takes nothing before the crash
    for (;;) events.push(`took ${(await ctx.receive<string>()).body} at ${ctx.now()}`);
  }, { capacity: 1 });
  sim.crash("m1.lab", { at: 50, restartAt: 300 });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    for (const body of ["a", "b", "c"]) {
      await ctx.send("rx@m1.lab", body);
      events.push(`sent ${body} at ${ctx.now()}`);
    }
  });
  await sim.run({ until: 10_000 });
  // "a" fits (admitted at 5, answered at 10); "b" waits from 10; the crash at 50 loses both
  // with the mailbox; the sender's probe (1 s after "b" went) is answered by the new
  // incarnation: "b" is gone, the send returns at 1020 and the loss is traced; the old credits
  // are void, so "c" waits until the new incarnation admits it.
  assertEquals(events, ["sent a at 10", "sent b at 1020", "took c at 1025", "sent c at 1030"]);
  const lost = sim.trace.events.filter((e) => e.ev === "drop").map((e) => [e.id, e.note]);
  assertEquals(lost, [[
    "tx@m2.lab#1.2",
    "lost: the receiver no longer holds it (its machine restarted or it ended)",
  ]]);
});

Deno.test("send() suspended on a remote mailbox resumes when the channel gives up on its machine", async () => {
  const sim = new Simulator({ seed: 1, reliable: { maxAttempts: 3 } });
  let returned = -1;
  sim.machine("m1.lab").spawn("rx", () => new Promise<void>(() => {}), { capacity: 0 });
  sim.crash("m1.lab", { at: 20 });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m1.lab", "never taken");
    returned = ctx.now();
  });
  await sim.run();
  assertTrue(returned > 20, `returned at ${returned}`);
  assertTrue(
    sim.trace.events.some((e) => e.ev === "drop" && e.note === "lost: its machine is unreachable"),
  );
});

Deno.test("send() credits of a restarted sending machine are given back to the mailbox", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  let takenAt = -1;
  const m3Sent: number[] = [];
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    await ctx.sleep(1000);
    await ctx.receive();
    takenAt = ctx.now();
  }, { capacity: 3 });
  let m2Boots = 0;
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    // First incarnation: one message, admitted with the two free slots granted as credits.
    // Second: a synchronous send, only to show m1 the new incarnation.
    if (++m2Boots === 1) await ctx.send("rx@m1.lab", "first");
    else await ctx.send("rx@m1.lab", "again", { sync: true, timeout: 10_000 });
  });
  sim.crash("m2.lab", { at: 50, restartAt: 100 });
  sim.machine("m3.lab").spawn("tx", async (ctx) => {
    await ctx.sleep(300);
    for (const body of ["third", "fourth"]) {
      await ctx.send("rx@m1.lab", body);
      m3Sent.push(ctx.now());
    }
  });
  await sim.run();
  // m1 released the slot m2's first incarnation still held: "third" fits before any take;
  // the mailbox is then full ("first", "again", "third") and "fourth" waits for the take.
  assertTrue(m3Sent[0] < takenAt && takenAt <= m3Sent[1], `m3 ${m3Sent}, taken at ${takenAt}`);
});

Deno.test("send({ sync: true }) from another machine does not take a slot reserved for credits", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  const events: string[] = [];
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    events.push(`took ${(await ctx.receive<string>()).body}`);
    await ctx.sleep(500);
    events.push(`took ${(await ctx.receive<string>()).body}`);
  }, { capacity: 1 });
  // m2's message is taken at once and its slot granted back to m2 as a credit.
  sim.machine("m2.lab").spawn("tx", (ctx) => ctx.send("rx@m1.lab", "a"));
  sim.machine("m3.lab").spawn("tx", async (ctx) => {
    await ctx.sleep(100);
    await ctx.send("rx@m1.lab", "b", { sync: true });
    events.push("b admitted");
  });
  await sim.run();
  // The one slot is m2's: "b" waits for the receiver instead of taking it.
  assertEquals(events, ["took a", "took b", "b admitted"]);
});

Deno.test("send() with reliable: false has no flow control across machines", async () => {
  const sim = new Simulator({ seed: 1, reliable: false, latency: { kind: "constant", ms: 5 } });
  let takenAt = -1, sentAt = -1;
  sim.machine("m1.lab").spawn("rx", async (ctx) => {
    await ctx.sleep(100);
    await ctx.receive();
    takenAt = ctx.now();
  }, { capacity: 0 });
  sim.machine("m2.lab").spawn("tx", async (ctx) => {
    await ctx.send("rx@m1.lab", "no rendezvous");
    sentAt = ctx.now();
  });
  await sim.run();
  // Credits need a channel that loses nothing: without it the send returns at once and the
  // message waits in the receiver's machine, as before.
  assertEquals([sentAt, takenAt], [0, 100]);
});
