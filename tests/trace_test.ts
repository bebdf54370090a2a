/**
 * Traces: canonical JSONL, counts, live listeners and Mermaid sequence diagrams of a run.
 * @module
 */
import { toMermaid } from "../core/mermaid.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { canonicalLine, Trace, type TraceEvent } from "../core/trace.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

Deno.test("canonicalLine() writes keys in a fixed order, omits absent ones and rounds time to µs", () => {
  const shuffled = {
    note: "lost",
    kind: "get",
    at: "m1.lab",
    ev: "drop",
    t: 1.23456789,
    to: "kv@m1.lab",
    from: "c@m2.lab",
    id: "c@m2.lab#1.1",
    label: undefined,
  } as TraceEvent;
  assertEquals(
    canonicalLine(shuffled),
    '{"t":1.235,"ev":"drop","at":"m1.lab","id":"c@m2.lab#1.1","from":"c@m2.lab",' +
      '"to":"kv@m1.lab","kind":"get","note":"lost"}',
  );
});

async function small(): Promise<Simulator> {
  const sim = new Simulator({ seed: 1, reliable: false, latency: { kind: "constant", ms: 3 } });
  sim.machine("m1.lab").spawn("kv", async (ctx) => {
    for (let i = 0; i < 2; i++) {
      const msg = await ctx.receive<{ kind: string; key: string }>();
      await ctx.reply(msg, { kind: "ok", key: msg.body.key });
    }
  });
  sim.machine("m2.lab").spawn("c1", async (ctx) => {
    await ctx.request("kv@m1.lab", { kind: "get", key: "x" });
    await ctx.request("kv@m1.lab", { kind: "get", key: "y" });
    ctx.log("done");
  });
  sim.crash("m2.lab", { at: 100 });
  await sim.run();
  return sim;
}

Deno.test("Trace.toJsonl() writes one canonical JSON object per line, and count() tallies events", async () => {
  const sim = await small();
  const jsonl = sim.trace.toJsonl();
  const lines = jsonl.split("\n");
  assertEquals(lines.pop(), "");
  assertEquals(lines.length, sim.trace.events.length);
  for (const [i, line] of lines.entries()) {
    assertEquals(line, canonicalLine(JSON.parse(line)));
    assertEquals(JSON.parse(line).ev, sim.trace.events[i].ev);
  }
  // 2 requests and 2 replies sent and delivered; the server receives the 2 requests.
  assertEquals(
    [sim.trace.count("send"), sim.trace.count("deliver"), sim.trace.count("receive")],
    [4, 4, 2],
  );
  assertEquals([sim.trace.count("spawn"), sim.trace.count("exit"), sim.trace.count("crash")], [
    2,
    2,
    1,
  ]);
  assertTrue(sim.trace.events.some((e) => e.ev === "log" && e.note === "done"));
  assertEquals(sim.trace.digest().length, 64);
});

Deno.test("Trace.listen() sees events as they are recorded until unsubscribed", () => {
  const trace = new Trace();
  const seen: string[] = [];
  const stop = trace.listen((e) => seen.push(e.ev));
  trace.record({ t: 0, ev: "spawn", at: "a@m1.lab" });
  stop();
  trace.record({ t: 1, ev: "exit", at: "a@m1.lab" });
  assertEquals(seen, ["spawn"]);
  assertEquals(trace.events.length, 2);
});

Deno.test("toMermaid() draws a participant per process and an arrow per delivered message", async () => {
  const sim = await small();
  const source = toMermaid(sim.trace.events);
  const lines = source.trimEnd().split("\n");
  assertEquals(lines[0], "sequenceDiagram");
  const participants = lines.filter((l) => l.trimStart().startsWith("participant"));
  assertEquals(participants, [
    "  participant c1_m2_lab as c1@m2.lab",
    "  participant kv_m1_lab as kv@m1.lab",
  ]);
  assertEquals(lines.filter((l) => l.includes("c1_m2_lab->>kv_m1_lab: GET x")).length, 1);
  assertEquals(lines.filter((l) => l.includes("kv_m1_lab->>c1_m2_lab: OK x")).length, 1);
  assertEquals(lines.filter((l) => l.includes("->>")).length, 4);
  assertTrue(lines.some((l) => l.includes("Note over c1_m2_lab: crash")), source);
});

Deno.test("toMermaid() marks lost messages with a cross and retransmissions with a note", async () => {
  const sim = new Simulator({ seed: 7, drop: 0.2 });
  sim.machine("m1.lab").spawn("pong", async (ctx) => {
    for (let i = 0; i < 3; i++) await ctx.reply(await ctx.receive(), { kind: "pong" });
  });
  sim.machine("m2.lab").spawn("ping", async (ctx) => {
    for (let i = 0; i < 3; i++) await ctx.request("pong@m1.lab", { kind: "ping", n: i });
  });
  await sim.run();
  const source = toMermaid(sim.trace.events);
  assertTrue(/-x\S+: .*\(lost\)/.test(source), source);
  assertTrue(source.includes("Note over pong_m1_lab: retransmit PONG"), source);
});
