/**
 * A simulated process may run several strands: a request it does not await (`ctx.request(...)
 * .then(...)`), callbacks that its own promises resume. The simulator counts a process as blocked
 * when it starts a wait; these tests pin that a process that goes on after such a wait acts at
 * the instant it goes on, inside the run, and that a run cut into slices (as `lab check` runs)
 * never takes it for one that awaited something outside the simulation.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals } from "./_assert.ts";

/** An echo server on m2.lab. */
function echo(sim: Simulator): void {
  sim.machine("m2.lab").spawn("echo", async (ctx) => {
    for (;;) {
      const request = await ctx.receive();
      await ctx.reply(request, request.body);
    }
  });
}

/** Runs `sim` in slices of `slice` ms of virtual time, as `lab check` does, to quiescence. */
async function runInSlices(sim: Simulator, slice: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if ((await sim.run({ until: sim.now + slice })).quiescent) return;
  }
  throw new Error("the run did not end within 1000 slices");
}

/**
 * A process that wakes at 100 ms, fires a request without awaiting it, takes a message that
 * already waits in its mailbox and, a few microtask turns later, sends: `acts` records when.
 */
function goesOn(sim: Simulator, acts: number[]): void {
  sim.machine("m1.lab").spawn("p", async (ctx: ProcessContext) => {
    await ctx.send("p@m1.lab", "waiting in the mailbox");
    await ctx.sleep(100);
    void ctx.request("echo@m2.lab", "not awaited").then(() => acts.push(-ctx.now()));
    const waiting = await ctx.receive<string>();
    const relayed = await Promise.resolve(waiting.body).then((body) => `${body}, relayed`);
    await ctx.send("sink@m1.lab", relayed);
    acts.push(ctx.now());
    await ctx.sleep(20); // until the reply has come
  });
  sim.machine("m1.lab").spawn("sink", async (ctx) => {
    await ctx.receive();
  });
}

Deno.test("Simulator: a process that goes on after a request it did not await acts at that instant", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  echo(sim);
  const acts: number[] = [];
  goesOn(sim, acts);
  await sim.run();
  // It sent at 100, when it went on, not when the next event (the request's arrival) came.
  assertEquals(acts, [100, -110]);
  assertEquals(sim.failure, undefined);
});

Deno.test("Simulator run in slices: a process that goes on after a request it did not await is not flagged", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  echo(sim);
  const acts: number[] = [];
  goesOn(sim, acts);
  // A slice ends at 100 ms, the very instant the process goes on.
  await runInSlices(sim, 100);
  assertEquals(acts, [100, -110]);
  assertEquals(sim.failure, undefined);
});

Deno.test("Simulator run in slices: callbacks a process's own promise resumes act inside the run", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  echo(sim);
  const replies: number[] = [];
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    // Operations queue behind a gate that the process opens itself, as a leader that recovers
    // first and serves then; two requests stay in flight meanwhile.
    const gate = Promise.withResolvers<void>();
    const served = [1, 2].map((n) =>
      gate.promise.then(async () => {
        const reply = await Promise.resolve(n).then((v) => v * 10);
        await ctx.send("sink@m1.lab", reply);
        replies.push(ctx.now());
      })
    );
    const inFlight = [ctx.request("echo@m2.lab", "a"), ctx.request("echo@m2.lab", "b")];
    await ctx.sleep(100);
    gate.resolve();
    await ctx.receive({ timeout: 50 }).catch((error) => {
      if (!(error instanceof TimeoutError)) throw error; // no message comes: expected
    });
    await Promise.all([...served, ...inFlight]);
  });
  sim.machine("m1.lab").spawn("sink", async (ctx) => {
    for (;;) await ctx.receive();
  });
  await runInSlices(sim, 100);
  assertEquals([replies, sim.failure], [[100, 100], undefined]);
});

Deno.test("ctx.receive() waits of two strands of one process each get the message their filter takes", async () => {
  const sim = new Simulator({ seed: 1, trace: false });
  const m1 = sim.machine("m1.lab");
  const got: string[] = [];
  m1.spawn("rx", async (ctx) => {
    const strand = async (kind: string) => {
      for (let i = 0; i < 3; i++) {
        const env = await ctx.receive<{ kind: string; n: number }>({ kind });
        got.push(`${kind}${env.body.n}`);
      }
    };
    await Promise.all([strand("a"), strand("b")]);
    // Then a plain wait (it reuses a settled filtered one), one whose timeout fires, and one
    // that a message ends before its timeout.
    got.push((await ctx.receive<{ kind: string }>()).body.kind);
    got.push(String(await ctx.receiveWithin(5)));
    got.push((await ctx.receive<{ kind: string }>({ timeout: 50 })).body.kind);
  });
  m1.spawn("tx", async (ctx) => {
    for (let n = 0; n < 3; n++) {
      await ctx.send("rx@m1.lab", { kind: "b", n });
      await ctx.sleep(1);
      await ctx.send("rx@m1.lab", { kind: "a", n });
    }
    await ctx.sleep(10);
    await ctx.send("rx@m1.lab", { kind: "c" });
    await ctx.sleep(10);
    await ctx.send("rx@m1.lab", { kind: "d" });
  });
  await sim.run();
  assertEquals(got, ["b0", "a0", "b1", "a1", "b2", "a2", "c", "undefined", "d"]);
});
