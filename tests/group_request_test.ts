/**
 * The lecture's group request (issue 8, point 10; seed 004 "se efectúa varias veces un proceso
 * get_reply para recolectar todas las respuestas, una a la vez"): one request to several
 * processes, replies collected one at a time with `getReply()`, a timeout and an expected count,
 * late replies traced as dropped, unknown targets reported. In the simulator and once over real
 * sockets. Assertions run after the run, on what the processes recorded.
 * @module
 */
import type { GroupCallEnd, GroupReply } from "../core/group_request.ts";
import { startHost } from "../core/network/host.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

/** A server that answers every request with its own address, after `delay` ms. */
function server(delay = 0) {
  return async (ctx: ProcessContext) => {
    for (;;) {
      const request = await ctx.receive<{ q: string }>();
      if (delay > 0) await ctx.sleep(delay);
      await ctx.reply(request, { from: ctx.self, q: request.body.q });
    }
  };
}

/** Takes replies until the end; returns who replied (in order), the end and when it came. */
async function drain(
  ctx: ProcessContext,
  call: { getReply(): Promise<GroupReply<{ from: string }>> },
): Promise<{ from: string[]; end: GroupCallEnd; at: number }> {
  const from: string[] = [];
  for (let i = 0; i < 100; i++) {
    const next = await call.getReply();
    if (next.done) return { from, end: next.end, at: ctx.now() };
    from.push(next.reply.body.from);
  }
  throw new Error("more than 100 replies");
}

/** Three servers whose replies arrive in the order m2, m3, m1 (constant link latencies). */
function threeServers(sim: Simulator): void {
  for (const [m, ms] of [["m1.lab", 9], ["m2.lab", 1], ["m3.lab", 4]] as const) {
    sim.machine(m).spawn("s", server());
    sim.link(m, "c.lab", { latency: { kind: "constant", ms } });
    sim.link("c.lab", m, { latency: { kind: "constant", ms: 1 } });
  }
}

const TARGETS = ["s@m1.lab", "s@m2.lab", "s@m3.lab"];

Deno.test("requestGroup() collects every reply to one request, one getReply() at a time, in arrival order", async () => {
  const sim = new Simulator({ seed: 1 });
  threeServers(sim);
  let result: { from: string[]; end: GroupCallEnd; at: number } | undefined;
  let again: GroupReply | undefined;
  let replyTo: string[] = [];
  let id = "";
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const call = await ctx.requestGroup<{ from: string }>(TARGETS, { q: "time?" });
    id = call.id;
    const first = await call.getReply();
    if (!first.done) replyTo.push(first.reply.replyTo!);
    const rest = await drain(ctx, call);
    result = { ...rest, from: [first.done ? "" : first.reply.body.from, ...rest.from] };
    again = await call.getReply();
    replyTo = [...replyTo, id];
  });
  await sim.run();
  assertEquals(result?.from, ["s@m2.lab", "s@m3.lab", "s@m1.lab"]);
  assertEquals(result?.end, { reason: "complete", replies: 3, silent: [], unknown: [] });
  assertEquals(again, { done: true, end: result!.end });
  assertEquals(replyTo, [id, id]);
  // Every reply was delivered (none dropped as late) and taken by a receive of the client.
  const events = sim.trace.events;
  assertEquals(events.filter((e) => e.ev === "drop").length, 0);
  const taken = events.filter((e) => e.ev === "receive" && e.at === "client@c.lab");
  assertEquals(taken.map((e) => e.from), ["s@m2.lab", "s@m3.lab", "s@m1.lab"]);
  assertTrue(taken.every((e) => e.vc !== undefined));
});

Deno.test("requestGroup() ends at the timeout with the silent targets, and drops their later replies as late", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  sim.machine("m1.lab").spawn("fast", server());
  sim.machine("m2.lab").spawn("slow", server(500));
  let result: { from: string[]; end: GroupCallEnd; at: number } | undefined;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const call = await ctx.requestGroup<{ from: string }>(["fast@m1.lab", "slow@m2.lab"], {
      q: "x",
    }, { timeout: 100 });
    result = await drain(ctx, call);
  });
  await sim.run();
  assertEquals(result?.from, ["fast@m1.lab"]);
  assertEquals(result?.end, {
    reason: "timeout",
    replies: 1,
    silent: ["slow@m2.lab"],
    unknown: [],
  });
  assertEquals(result?.at, 100);
  const events = sim.trace.events;
  assertTrue(
    events.some((e) =>
      e.ev === "timer" && e.at === "client@c.lab" &&
      e.note === "timeout: group request to 2 processes after 100 ms, 1 of 2 replies"
    ),
  );
  const late = events.filter((e) => e.ev === "drop" && e.from === "slow@m2.lab");
  assertEquals(late.map((e) => e.note), ["late reply: its group request has ended"]);
});

Deno.test("requestGroup() with expected 2 of 3 ends after two replies; the third is traced as a late drop", async () => {
  const sim = new Simulator({ seed: 1 });
  threeServers(sim);
  let result: { from: string[]; end: GroupCallEnd; at: number } | undefined;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const call = await ctx.requestGroup<{ from: string }>(TARGETS, { q: "x" }, { expected: 2 });
    result = await drain(ctx, call);
  });
  await sim.run();
  assertEquals(result?.from, ["s@m2.lab", "s@m3.lab"]);
  assertEquals(result?.end, { reason: "complete", replies: 2, silent: ["s@m1.lab"], unknown: [] });
  const late = sim.trace.events.filter((e) => e.ev === "drop");
  assertEquals(late.map((e) => [e.from, e.note]), [
    ["s@m1.lab", "late reply: its group request has ended"],
  ]);
});

Deno.test("requestGroup() reports unknown targets, local and remote, and does not wait for them", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
  sim.machine("m1.lab").spawn("s", server());
  let result: { from: string[]; end: GroupCallEnd; at: number } | undefined;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const call = await ctx.requestGroup<{ from: string }>(
      ["ghost@c.lab", "s@m1.lab", "m1:ghost"],
      { q: "x" },
      { timeout: 1000 },
    );
    result = await drain(ctx, call);
  });
  await sim.run();
  assertEquals(result?.from, ["s@m1.lab"]);
  assertEquals(result?.end, {
    reason: "unknown",
    replies: 1,
    silent: [],
    unknown: ["ghost@c.lab", "ghost@m1.lab"],
  });
  assertTrue(result!.at < 10, `ended at ${result?.at}, not at the timeout`);
});

Deno.test("GroupCall.close() ends the call: buffered replies are still handed out, later ones dropped as late", async () => {
  const sim = new Simulator({ seed: 1 });
  threeServers(sim);
  let first: string[] = [];
  let end: GroupCallEnd | undefined;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const call = await ctx.requestGroup<{ from: string }>(TARGETS, { q: "x" });
    const one = await call.getReply();
    if (!one.done) first = [one.reply.body.from];
    await ctx.sleep(5); // s@m3.lab's reply arrives meanwhile and waits in the call
    call.close();
    const rest = await drain(ctx, call);
    first.push(...rest.from);
    end = rest.end;
  });
  await sim.run();
  assertEquals(first, ["s@m2.lab", "s@m3.lab"]);
  assertEquals(end, { reason: "closed", replies: 2, silent: ["s@m1.lab"], unknown: [] });
  const late = sim.trace.events.filter((e) => e.ev === "drop");
  assertEquals(late.map((e) => [e.from, e.note]), [
    ["s@m1.lab", "late reply: its group request has ended"],
  ]);
});

Deno.test("requestGroup() rejects bad targets, options and bodies before sending anything", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("m1.lab").spawn("s", server());
  const errors: string[] = [];
  let finished = false;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    const attempts: (() => Promise<unknown>)[] = [
      () => ctx.requestGroup([], "x"),
      () => ctx.requestGroup(["s@m1.lab", "m1:s"], "x"),
      () => ctx.requestGroup(["s@m1.lab"], "x", { expected: 2 }),
      () => ctx.requestGroup(["s@m1.lab"], "x", { timeout: Infinity }),
      () => ctx.requestGroup(["s@m1.lab"], { n: 1n }),
    ];
    for (const attempt of attempts) {
      await attempt().then(
        () => errors.push("sent"),
        (error) => errors.push(`${(error as Error).name}: ${(error as Error).message}`),
      );
    }
    finished = true;
  });
  await sim.run();
  assertTrue(finished);
  assertEquals(errors, [
    "TypeError: Cannot send group request: targets [] must be a non-empty list of process addresses",
    'TypeError: Cannot send group request: "s@m1.lab" is among the targets twice; list each process once',
    "RangeError: Cannot send group request: expected 2 must be a whole number from 1 to 1 (the number of targets)",
    "RangeError: Cannot send group request: timeout Infinity must be a finite number of ms, 0 or more",
    'TypeError: Cannot send group request to "s@m1.lab": body.n is a BigInt; send a string or number instead',
  ]);
  assertEquals(sim.trace.count("send"), 0);
});

Deno.test("requestGroup() over real sockets: replies from two OS-level machines one at a time, an unknown target reported", async () => {
  const endpoints = new Map<string, string>();
  const resolve = (m: string) => endpoints.get(m);
  const outcome = Promise.withResolvers<{ from: string[]; end: GroupCallEnd }>();
  // A process that fails fails the test (instead of leaving it waiting).
  const onProcessError = (address: string, error: unknown) =>
    outcome.reject(new Error(`process ${address} failed`, { cause: error }));
  const a = await startHost("a.lab", { resolve, seed: 1, onProcessError });
  const b = await startHost("b.lab", { resolve, seed: 2, onProcessError });
  endpoints.set("a.lab", a.endpoint).set("b.lab", b.endpoint);
  try {
    for (const name of ["s1", "s2"]) b.machine.spawn(name, server());
    a.machine.spawn("s3", server());
    a.machine.spawn("client", async (ctx) => {
      const call = await ctx.requestGroup<{ from: string }>(
        ["s1@b.lab", "s2@b.lab", "s3@a.lab", "ghost@b.lab"],
        { q: "hello" },
        { timeout: 5000 },
      );
      outcome.resolve(await drain(ctx, call));
    });
    const { from, end } = await outcome.promise;
    assertEquals(from.toSorted(), ["s1@b.lab", "s2@b.lab", "s3@a.lab"]);
    assertEquals(end, { reason: "unknown", replies: 3, silent: [], unknown: ["ghost@b.lab"] });
  } finally {
    await a.close();
    await b.close();
  }
});
