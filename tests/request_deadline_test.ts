/**
 * A request's deadline: an answered request never times out, an unanswered one times out at
 * exactly its timeout after it was sent, whatever requests its process made before (a process
 * reuses its last answered wait, and a cancelled timeout stays in the simulator's agenda only
 * as its time and sequence).
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** A server on m1.lab answering every request but those whose body is "ignore". */
function server(sim: Simulator): void {
  sim.machine("m1.lab").spawn("server", async (ctx) => {
    for (;;) {
      const request = await ctx.receive<string>();
      if (request.body !== "ignore") await ctx.reply(request, `${request.body}!`);
    }
  });
}

Deno.test("ctx.request() answered never times out; unanswered, it times out at its own timeout", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  server(sim);
  const seen: string[] = [];
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 3; i++) {
      seen.push((await ctx.request<string>("server@m1.lab", `q${i}`, { timeout: 50 })).body);
    }
    const sent = ctx.now();
    try {
      await ctx.request("server@m1.lab", "ignore", { timeout: 20 });
    } catch (error) {
      assertTrue(error instanceof TimeoutError, String(error));
      seen.push(`timeout after ${ctx.now() - sent}`);
    }
    seen.push((await ctx.request<string>("server@m1.lab", "q3", { timeout: 50 })).body);
  });
  await sim.run();
  assertEquals(seen, ["q0!", "q1!", "q2!", "timeout after 20", "q3!"]);
  const timers = sim.trace.events.filter((event) => event.ev === "timer");
  assertEquals(timers.map((event) => event.note), [
    "timeout: request to server@m1.lab after 20 ms",
  ]);
  // The answered requests' timeouts (50 ms each) surfaced cancelled and moved no clock: the run
  // ends when the last answer came, not when the last timeout would have fallen due.
  assertTrue(sim.now < 50 + 4 * 2 + 20, `the run ended at ${sim.now}`);
});

Deno.test("ctx.request() of two processes of one machine each get their own answers", async () => {
  const sim = new Simulator({ seed: 2 });
  server(sim);
  const answers: Record<string, string[]> = { a: [], b: [] };
  for (const name of ["a", "b"]) {
    sim.machine("m2.lab").spawn(name, async (ctx) => {
      for (let i = 0; i < 5; i++) {
        answers[name].push((await ctx.request<string>("server@m1.lab", `${name}${i}`)).body);
      }
    });
  }
  await sim.run();
  assertEquals(answers.a, ["a0!", "a1!", "a2!", "a3!", "a4!"]);
  assertEquals(answers.b, ["b0!", "b1!", "b2!", "b3!", "b4!"]);
});

Deno.test("Simulator.run({ until }) ends as before while answered requests' timeouts are pending", async () => {
  const sim = new Simulator({ seed: 3, latency: { kind: "constant", ms: 1 } });
  server(sim);
  sim.machine("m2.lab").spawn("client", async (ctx) => {
    for (let i = 0; i < 3; i++) await ctx.request("server@m1.lab", `q${i}`, { timeout: 100 });
  });
  // The cancelled timeouts (due at 100 ms and after) are still on the agenda at 30 ms: the
  // slice ends at its limit, not quiescent; the next run drains them and is.
  const first = await sim.run({ until: 30 });
  assertEquals([first.time, first.quiescent], [30, false]);
  const second = await sim.run();
  assertEquals([second.time, second.quiescent], [30, true]);
});
