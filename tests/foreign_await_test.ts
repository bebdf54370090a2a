/**
 * A simulated process must wait only on the runtime: one that awaits a host timer (or fetch, or
 * file I/O) cannot resume while the simulator runs, and when it acts after `run()` returned the
 * simulator says so with a `ForeignAwaitError` instead of letting it act outside virtual time.
 * @module
 */
import { ForeignAwaitError, ProcessFailedError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

/** Catches the failure the simulator raises as an uncaught error while `body` runs. */
async function withUncaught<T>(body: (raised: Promise<unknown>) => Promise<T>): Promise<T> {
  const raised = Promise.withResolvers<unknown>();
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    raised.resolve(event.error);
  };
  globalThis.addEventListener("error", onError);
  try {
    return await body(raised.promise);
  } finally {
    globalThis.removeEventListener("error", onError);
  }
}

interface LateAct {
  readonly what: string;
  readonly act: (ctx: ProcessContext) => unknown;
}

const LATE_ACTS: readonly LateAct[] = [
  { what: "sends", act: (ctx) => ctx.send("late@m1.lab", "hello") },
  { what: "sleeps", act: (ctx) => ctx.sleep(10) },
  { what: "receives", act: (ctx) => ctx.receive({ timeout: 10 }) },
  { what: "requests", act: (ctx) => ctx.request("late@m1.lab", "hello") },
  { what: "logs", act: (ctx) => ctx.log("still here") },
];

for (const c of LATE_ACTS) {
  Deno.test(`Simulator: a process that awaited setTimeout and then ${c.what} fails with ForeignAwaitError`, async () => {
    await withUncaught(async (raised) => {
      const sim = new Simulator({ seed: 2 });
      const resumed = Promise.withResolvers<void>();
      let acted = false;
      sim.machine("m1.lab").spawn("late", async (ctx) => {
        await ctx.sleep(5);
        await new Promise((resolve) => setTimeout(resolve, 1));
        resumed.resolve();
        await c.act(ctx);
        acted = true;
      });
      // The run cannot wait for a host timer: it takes the process as blocked and ends.
      assertEquals(await sim.run(), { time: 5, events: 1, quiescent: true });
      await resumed.promise;
      const failure = await raised;
      assertTrue(failure instanceof ProcessFailedError);
      assertTrue(failure.cause instanceof ForeignAwaitError);
      assertEquals(failure.address, "late@m1.lab");
      assertTrue(failure.cause.message.includes("use ctx.sleep instead of setTimeout"));
      assertEquals(acted, false);
      // The next run rejects with it too.
      assertEquals(await assertRejects(() => sim.run(), ProcessFailedError), failure);
      // The process ended with that same error: one failure, not two.
      assertEquals([sim.failure, failure.others.length], [failure, 0]);
    });
  });
}

Deno.test("Simulator: a process waiting on a promise that another process settles during the run is not flagged", async () => {
  const sim = new Simulator({ seed: 1 });
  const shared = Promise.withResolvers<string>();
  let got = "";
  sim.machine("m1.lab").spawn("waiter", async (ctx) => {
    got = await shared.promise;
    await ctx.send("waiter@m1.lab", "acts inside the run");
  });
  sim.machine("m2.lab").spawn("settler", async (ctx) => {
    await ctx.sleep(20);
    shared.resolve("settled");
  });
  await sim.run();
  assertEquals([got, sim.now, sim.failure], ["settled", 20, undefined]);
});

Deno.test("Simulator: processes spawned between two runs, and those they wake, act freely", async () => {
  const sim = new Simulator({ seed: 1 });
  const m1 = sim.machine("m1.lab");
  const served = Promise.withResolvers<string>();
  m1.spawn("server", async (ctx) => {
    const request = await ctx.receive<string>();
    await ctx.reply(request, "ok");
    served.resolve(request.body);
  });
  await sim.run();
  let answer = "";
  m1.spawn("client", async (ctx) => {
    answer = (await ctx.request<string>("server@m1.lab", "between the runs")).body;
  });
  // The server, dormant since the first run, is woken by the client and answers before run().
  assertEquals(await served.promise, "between the runs");
  await sim.run();
  assertEquals([answer, sim.failure], ["ok", undefined]);
});
