/**
 * Happened-before between two events of a trace, from the vector clocks a traced run puts on
 * its `send`, `deliver` and `receive` events. A `deliver` carries the clock its message was sent
 * with, so it is `"equal"` to its `send`; the receiver's own clock moves when it takes the
 * message (`receive`, or a reply handed to a waiting request).
 * @module
 */
import type { TraceEvent } from "./trace.ts";
import { type ClockOrder, VectorClock } from "./vector_clock.ts";
import { VectorStamp } from "./vector_stamp.ts";

const REVERSED: Readonly<Record<ClockOrder, ClockOrder>> = {
  before: "after",
  after: "before",
  equal: "equal",
  concurrent: "concurrent",
};

function clockOf(event: TraceEvent, which: string): VectorStamp | VectorClock {
  if (event.vc !== undefined) return event.vc;
  throw new TypeError(
    `Cannot order trace events: the ${which} event (${event.ev} at "${event.at}", t ${event.t}) ` +
      "carries no vector clock; only send, deliver and receive events of a traced run do",
  );
}

/**
 * How event `a` relates to event `b`: `"before"` when `a` happened before `b`, `"after"`,
 * `"equal"` (the same clock), or `"concurrent"`. Throws a `TypeError` for an event without a
 * vector clock.
 *
 * @example A message chain a -> b -> c, and a send concurrent with it
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator/simulator.ts";
 * import { causalOrder } from "./causality.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", "hop"));
 * sim.machine("m2.lab").spawn("b", async (ctx) => {
 *   await ctx.send("c@m3.lab", (await ctx.receive<string>()).body);
 * });
 * sim.machine("m3.lab").spawn("c", async (ctx) => { await ctx.receive(); await ctx.receive(); });
 * sim.machine("m4.lab").spawn("d", (ctx) => ctx.send("c@m3.lab", "aside"));
 * await sim.run();
 * const events = sim.trace.events;
 * const aSends = events.find((e) => e.ev === "send" && e.at === "a@m1.lab")!;
 * const dSends = events.find((e) => e.ev === "send" && e.at === "d@m4.lab")!;
 * const cTakes = events.find((e) => e.ev === "receive" && e.at === "c@m3.lab" && e.from === "b@m2.lab")!;
 * assert.equal(causalOrder(aSends, cTakes), "before");
 * assert.equal(causalOrder(cTakes, aSends), "after");
 * assert.equal(causalOrder(aSends, dSends), "concurrent");
 * ```
 */
export function causalOrder(a: TraceEvent, b: TraceEvent): ClockOrder {
  const x = clockOf(a, "first"), y = clockOf(b, "second");
  if (x instanceof VectorStamp) return x.compare(y);
  if (y instanceof VectorStamp) return REVERSED[y.compare(x)];
  return VectorClock.compare(x, y);
}

/**
 * Whether event `a` happened before event `b` (Lamport's →): `b`'s vector clock dominates
 * `a`'s. Throws a `TypeError` for an event without a vector clock.
 *
 * @example A request happened before the reply it caused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator/simulator.ts";
 * import { happenedBefore } from "./causality.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("kv", async (ctx) => { await ctx.reply(await ctx.receive(), "ok"); });
 * sim.machine("m2.lab").spawn("client", async (ctx) => { await ctx.request("kv@m1.lab", "get"); });
 * await sim.run();
 * const [request, reply] = sim.trace.events.filter((e) => e.ev === "send");
 * assert.ok(happenedBefore(request, reply));
 * assert.ok(!happenedBefore(reply, request));
 * ```
 */
export function happenedBefore(a: TraceEvent, b: TraceEvent): boolean {
  return causalOrder(a, b) === "before";
}
