/**
 * Traces: canonical JSONL, counts, live listeners and Mermaid sequence diagrams of a run.
 * @module
 */
import { toMermaid } from "../core/mermaid.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { canonicalLine, Trace, type TraceEvent } from "../core/trace.ts";
import { ClockSpace } from "../core/vector_stamp.ts";
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

Deno.test("a kept trace gives back each message event as its call site built it, ids and labels held as numbers included", () => {
  const columns = new Trace(), objects = new Trace();
  const space = ClockSpace.of(columns);
  const a = "a@m1.lab", b = "b@m2.lab";
  const sent = space.zero.tick(a);
  const taken = sent.receive(sent, b);
  const labels = ["0", "12", "007", "-1", "1.5", "", "GET x", undefined, "123456789012345678"];
  let n = 0;
  for (const label of labels) {
    n++;
    const id = `${a}#1.${n}`;
    // A send says how its id was built; its delivery and receive find it from the stamp, or
    // from the id just met; an id that is not what its stamp was sent with is kept as it is.
    columns.message("send", n, a, id, a, b, "data", label, n, sent, `${a}#1.`, n);
    columns.message("deliver", n + 0.5, b, id, a, b, "data", undefined, n, sent);
    columns.message("receive", n + 0.5, b, id, a, undefined, "data", undefined, n + 1, taken);
    columns.message("deliver", n + 0.7, b, `other#${n}`, a, b, "data", undefined, n, sent);
    columns.record({ t: n + 0.8, ev: "crash", at: "m2.lab" });
    objects.record({
      t: n,
      ev: "send",
      at: a,
      id,
      from: a,
      to: b,
      kind: "data",
      label,
      lamport: n,
      vc: sent,
    });
    objects.record({
      t: n + 0.5,
      ev: "deliver",
      at: b,
      id,
      from: a,
      to: b,
      kind: "data",
      lamport: n,
      vc: sent,
    });
    objects.record({
      t: n + 0.5,
      ev: "receive",
      at: b,
      id,
      from: a,
      kind: "data",
      lamport: n + 1,
      vc: taken,
    });
    objects.record({
      t: n + 0.7,
      ev: "deliver",
      at: b,
      id: `other#${n}`,
      from: a,
      to: b,
      kind: "data",
      lamport: n,
      vc: sent,
    });
    objects.record({ t: n + 0.8, ev: "crash", at: "m2.lab" });
  }
  assertEquals(columns.toJsonl(), objects.toJsonl());
  assertEquals(columns.digest(), objects.digest());
  assertEquals(columns.count("deliver"), 2 * labels.length);
  const events = columns.events;
  assertEquals(events.length, objects.events.length);
  for (let i = 0; i < events.length; i++) {
    assertEquals(Object.keys(events[i]), Object.keys(objects.events[i]));
    assertEquals(canonicalLine(events[i]), canonicalLine(objects.events[i]));
  }
  // The same stamp reads back as one object; the events are made once.
  assertTrue(events[0].vc === events[1].vc, "a send and its delivery share their stamp");
  assertTrue(
    columns.events === events && columns.events[2] === events[2],
    "events are kept once made",
  );
});

Deno.test("a kept trace gives back stamps across its blocks, and a stamp larger than a block", () => {
  const columns = new Trace(), objects = new Trace();
  const space = ClockSpace.of(columns);
  const a = "a@m1.lab", b = "b@m2.lab";
  let va = space.zero, vb = space.zero;
  for (let n = 1; n <= 20_000; n++) {
    va = va.tick(a);
    vb = vb.receive(va, b);
    for (const [trace, kept] of [[columns, false], [objects, true]] as const) {
      if (kept) {
        trace.record({
          t: n,
          ev: "receive",
          at: b,
          id: `${a}#1.${n}`,
          from: a,
          kind: "k",
          lamport: n,
          vc: vb,
        });
      } else trace.message("receive", n, b, `${a}#1.${n}`, a, undefined, "k", undefined, n, vb);
    }
  }
  // 40,000 processes: one stamp of more numbers than a block holds.
  let wide = vb;
  for (let p = 0; p < 40_000; p += 997) wide = wide.tick(`p${p}@m3.lab`);
  wide = wide.tick("last@m3.lab");
  for (let p = 0; p < 40_000; p++) space.indexOf(`q${p}@m4.lab`);
  wide = wide.tick("q39999@m4.lab");
  columns.message("send", 1, b, "x", b, a, "k", "wide", 1, wide);
  objects.record({
    t: 1,
    ev: "send",
    at: b,
    id: "x",
    from: b,
    to: a,
    kind: "k",
    label: "wide",
    lamport: 1,
    vc: wide,
  });
  assertEquals(columns.toJsonl(), objects.toJsonl());
  const last = columns.events.at(-1)!;
  assertEquals(wide.compare(last.vc!), "equal");
  assertEquals(vb.compare(columns.events[19_999].vc!), "equal");
});

Deno.test("a streamed trace digests message events given by their fields as their objects", () => {
  const byFields = new Trace({ keep: false }), byObjects = new Trace({ keep: false });
  const kept = new Trace();
  for (const [i, ev] of (["send", "deliver", "receive"] as const).entries()) {
    for (const label of ["x", undefined]) {
      const id = `a@m1.lab#1.${i}`;
      for (const trace of [byFields, kept]) {
        trace.message(ev, 1.25 * i, "b@m1.lab", id, "a@m1.lab", "b@m1.lab", "get", label, i, {
          "a@m1.lab": i,
        });
      }
      // The objects the kernel would build: deliver without a label, receive without `to`.
      const base = {
        t: 1.25 * i,
        ev,
        at: "b@m1.lab",
        id,
        from: "a@m1.lab",
        kind: "get",
        lamport: i,
      };
      byObjects.record(
        ev === "send"
          ? { ...base, to: "b@m1.lab", label }
          : ev === "deliver"
          ? { ...base, to: "b@m1.lab" }
          : base,
      );
    }
  }
  assertEquals(byFields.digest(), byObjects.digest());
  assertEquals(byFields.digest(), kept.digest());
  assertEquals(byFields.size, 6);
  for (const ev of ["send", "deliver", "receive"] as const) assertEquals(byFields.count(ev), 2);
});
