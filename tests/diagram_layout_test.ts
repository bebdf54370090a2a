/**
 * Layout of space-time diagrams, data-driven: each small trace in `tests/testdata/diagram/` has
 * the lanes, arrows, markers, bands and lifelines it must give next to it
 * (`NAME.expected.json`; `UPDATE_GOLDEN=1` rewrites them, to be reviewed by hand).
 * @module
 */
import { DiagramBuilder } from "../lab/diagram/builder.ts";
import { cone, stepClock } from "../lab/diagram/clocks.ts";
import { type Aggregation, assignLanes } from "../lab/diagram/lanes.ts";
import { layoutDiagram } from "../lab/diagram/layout.ts";
import type { DiagramEvent } from "../lab/diagram/model.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const DIR = new URL("./testdata/diagram/", import.meta.url);

/** The trace events of a test trace. */
export async function readTrace(name: string): Promise<DiagramEvent[]> {
  const text = await Deno.readTextFile(new URL(`${name}.jsonl`, DIR));
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

function summarize(events: DiagramEvent[], aggregate: Aggregation) {
  const model = new DiagramBuilder().addAll(events);
  const lanes = assignLanes(model.processes, { aggregate });
  const layout = layoutDiagram(model, lanes);
  return {
    lanes: lanes.lanes.map((l) => l.label),
    arrows: layout.arrows.map((a) =>
      [a.from, a.to, a.t0, a.t1, a.reach, a.tx.outcome, a.tx.copy, a.tx.attempt, a.tx.note].join(
        " ",
      )
    ),
    markers: layout.markers.map((m) => `${m.lane} ${m.t} ${m.type} ${m.note}`),
    bands: layout.bands.map((b) => `${b.type} ${b.lane} ${b.t0}..${b.end}`),
    lifelines: layout.lifelines.map((l) => `${l.lane} epoch ${l.epoch} ${l.t0}..${l.t1} ${l.end}`),
  };
}

const AGGREGATE: Record<string, Aggregation> = { network_duplicate_three_tier: "family" };

for await (const entry of Deno.readDir(DIR)) {
  if (!entry.name.endsWith(".jsonl")) continue;
  const name = entry.name.slice(0, -".jsonl".length);
  Deno.test(`layoutDiagram() lays out ${name} as expected`, async () => {
    const got = summarize(await readTrace(name), AGGREGATE[name] ?? "auto");
    const file = new URL(`${name}.expected.json`, DIR);
    if (Deno.env.get("UPDATE_GOLDEN")) {
      await Deno.writeTextFile(file, JSON.stringify(got, null, 2) + "\n");
    }
    assertEquals(got, JSON.parse(await Deno.readTextFile(file)));
  });
}

Deno.test("DiagramBuilder counts one delivered arrow per delivery, whatever the copies", async () => {
  for await (const entry of Deno.readDir(DIR)) {
    if (!entry.name.endsWith(".jsonl")) continue;
    const events = await readTrace(entry.name.slice(0, -6));
    const model = new DiagramBuilder().addAll(events);
    assertEquals(
      model.transmissions.filter((t) => t.outcome === "delivered").length,
      events.filter((e) => e.ev === "deliver").length,
      entry.name,
    );
    for (const tx of model.transmissions) {
      assertTrue(tx.outcome === "flight" || tx.t1 >= tx.t0, `${entry.name}: ${tx.id} ends early`);
    }
  }
});

Deno.test("stepClock() uses the causal past: the reply's delivery knows of the lost request", async () => {
  const model = new DiagramBuilder().addAll(await readTrace("lost_request_retransmitted"));
  const reply = model.transmissions.find((t) => t.kind === "value")!;
  assertEquals(stepClock(model, reply.recvStep), { "c1@m2.lab": 2, "kv@m1.lab": 2 });
  const request = model.transmissions.find((t) => t.kind === "get" && t.outcome === "delivered")!;
  assertTrue(cone(model, request.index).future.has(reply.index));
  assertTrue(cone(model, reply.index).past.has(request.index));
});

Deno.test("DiagramBuilder uses the vector clocks a trace carries", () => {
  const m = { id: "1", from: "a@m1.lab", to: "b@m2.lab", kind: "x" };
  const model = new DiagramBuilder().addAll([
    { t: 0, ev: "send", at: "a@m1.lab", ...m, vc: { "a@m1.lab": 7 } },
    { t: 1, ev: "deliver", at: "b@m2.lab", ...m, vc: { "a@m1.lab": 7 } },
    { t: 1, ev: "receive", at: "b@m2.lab", ...m, vc: { "a@m1.lab": 7, "b@m2.lab": 3 } },
  ]);
  assertEquals(model.transmissions[0].vcSend, { "a@m1.lab": 7 });
  assertEquals(model.transmissions[0].vcReceive, { "a@m1.lab": 7, "b@m2.lab": 3 });
});
