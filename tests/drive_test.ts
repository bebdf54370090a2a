/**
 * The one driver (`core/protocol/drive.ts`) in a process: deadlines tick the protocol, a send
 * to a process gone from its machine goes to `unreachable` (or to the trace), and effects that
 * need an option the driver was not given fail the process.
 * @module
 */
import { drive } from "../core/protocol/drive.ts";
import type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

/** Sends "hi" to `to` at start, then stops at its first tick, 10 ms later. */
function greeter(to: string): Protocol {
  return {
    start: (
      now,
    ) => [{ kind: "send", to, body: { kind: "hi" } }, { kind: "deadline", at: now + 10 }],
    step: (input: Input): Effect[] =>
      input.kind === "tick" ? [{ kind: "stop", reason: `ticked at ${input.now}` }] : [],
  };
}

Deno.test("drive() tells unreachable of a send to a process gone from its machine, and goes on", async () => {
  const sim = new Simulator({ seed: 1 });
  const gone: string[] = [];
  let reason = "";
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    reason = await drive(ctx, greeter("nobody@m1.lab"), { unreachable: (to) => gone.push(to) });
  });
  await sim.run();
  assertEquals([gone, reason], [["nobody@m1.lab"], "ticked at 10"]);
  assertTrue(!sim.trace.events.some((e) => e.ev === "log" && e.note?.startsWith("cannot send")));
});

Deno.test("drive() without unreachable writes such a send to the trace", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    await drive(ctx, greeter("nobody@m1.lab"));
  });
  await sim.run();
  const notes = sim.trace.events.filter((e) => e.ev === "log").map((e) => e.note ?? "");
  assertTrue(notes.some((n) => n.startsWith("cannot send hi to nobody@m1.lab")), notes.join("\n"));
});

Deno.test("drive() fails the process when the protocol delivers and no deliver option was given", async () => {
  const sim = new Simulator({ seed: 1 });
  const protocol: Protocol = { step: () => [], start: () => [{ kind: "deliver", value: 1 }] };
  sim.machine("m1.lab").spawn("p", async (ctx) => {
    await drive(ctx, protocol);
  });
  await assertRejects(() => sim.run(), Error, "pass drive() a deliver option");
});
