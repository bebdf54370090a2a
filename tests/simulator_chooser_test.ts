/**
 * The simulator's chooser hook: a chooser that keeps the seeded decisions replays the seeded run
 * byte for byte (the golden ping-pong trace included), and a chooser that decides otherwise
 * changes the order of deliveries, loses or duplicates exactly the frames it names.
 * @module
 */
import { type Chooser, Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

async function pingPong(chooser?: Chooser, drop = 0.2): Promise<Simulator> {
  const sim = new Simulator({ seed: 7, drop, duplicate: 0.1, reorder: 0.3, chooser });
  sim.machine("m1.lab").spawn("pong", async (ctx) => {
    for (let i = 0; i < 3; i++) {
      const ping = await ctx.receive<{ kind: string; n: number }>({ kind: "ping" });
      await ctx.reply(ping, { kind: "pong", n: ping.body.n });
    }
  });
  sim.machine("m2.lab").spawn("ping", async (ctx) => {
    for (let n = 1; n <= 3; n++) await ctx.request("pong@m1.lab", { kind: "ping", n });
  });
  await sim.run();
  return sim;
}

Deno.test("Simulator with a chooser that keeps the seeded decisions gives the same trace byte for byte", async () => {
  const seen: string[] = [];
  const keep: Chooser = {
    next: () => 0,
    drop: (frame, drawn) => {
      seen.push(frame.label);
      return drawn;
    },
    duplicate: (_frame, drawn) => drawn,
    reorder: (_frame, drawn) => drawn,
  };
  const plain = await pingPong();
  const chosen = await pingPong(keep);
  assertTrue(plain.stats.dropped > 0, "the seeded run loses frames");
  assertEquals(chosen.trace.toJsonl(), plain.trace.toJsonl());
  assertEquals(seen.slice(0, 2), ["m2.lab>m1.lab#1", "m1.lab>m2.lab#1"]);
});

Deno.test("Simulator drops exactly the frames a chooser names, whatever the seed drew", async () => {
  const named: Chooser = {
    next: () => 0,
    drop: (frame) => frame.label === "m2.lab>m1.lab#1",
    duplicate: () => false,
  };
  const sim = await pingPong(named, 0);
  assertEquals(sim.trace.events.filter((e) => e.ev === "drop").map((e) => e.id), [
    "ping@m2.lab#1.1",
  ]);
  assertEquals(sim.stats.dropped, 1);
  assertTrue(sim.trace.count("retransmit") >= 1, "the lost ping is sent again");
});

Deno.test("Simulator with an asynchronous chooser runs any pending event next", async () => {
  const labels: string[][] = [];
  const last: Chooser = {
    horizon: Infinity,
    next: (pending) => {
      labels.push(pending.map((p) => p.label));
      return pending.length - 1;
    },
  };
  const sim = new Simulator({ seed: 1, reliable: false, chooser: last });
  const got: string[] = [];
  sim.machine("m1.lab").spawn("a", async (ctx) => {
    for (let i = 0; i < 2; i++) got.push((await ctx.receive<string>()).body);
  });
  sim.machine("m2.lab").spawn("b", async (ctx) => {
    await ctx.send("a@m1.lab", "one");
    await ctx.send("a@m1.lab", "two");
  });
  await sim.run();
  assertEquals(got, ["two", "one"]);
  assertEquals(labels[0], ["m2.lab>m1.lab#1", "m2.lab>m1.lab#2"]);
});
