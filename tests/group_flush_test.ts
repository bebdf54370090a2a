import assert from "node:assert/strict";
import type { Envelope } from "../core/envelope.ts";
import { GroupEndpoint } from "../groups/endpoint.ts";
import { planViewChange } from "../groups/flush.ts";
import { Membership } from "../groups/membership.ts";
import type { FlushReport, GroupMessage, OrderedEntry, View } from "../groups/types.ts";

function message(sender: string, seq: number): GroupMessage {
  const stream = `${sender}#1`;
  return {
    id: `${stream}/${seq}`,
    sender,
    stream,
    view: 1,
    seq,
    index: seq,
    hb: { [stream]: seq },
    sentAt: 0,
    body: `${sender}:${seq}`,
  };
}

function report(member: string, fields: Partial<FlushReport>): FlushReport {
  return { member, messages: [], entries: [], nextG: 1, pending: [], ...fields };
}

const view: View = {
  group: "g",
  id: 2,
  members: ["a@m1.lab", "b@m2.lab", "j@m9.lab"],
  sequencer: "a@m1.lab",
  incarnations: { "a@m1.lab": "1", "b@m2.lab": "1", "j@m9.lab": "1" },
  lineage: "1.1",
};

Deno.test("planViewChange() gives each survivor what another survivor holds, and a joiner nothing", () => {
  const x1 = message("x@m5.lab", 1), x2 = message("x@m5.lab", 2);
  const plans = planViewChange(view, [
    report("a@m1.lab", { messages: [x1, x2] }),
    report("b@m2.lab", { messages: [x1] }),
  ], { order: "fifo" });
  assert.deepEqual(plans["a@m1.lab"].missing, []);
  assert.deepEqual(plans["b@m2.lab"].missing.map((m) => m.id), [x2.id]);
  assert.deepEqual(plans["j@m9.lab"].missing, []);
});

Deno.test("planViewChange() recovers a total order: keeps the prefix, renumbers after the gap", () => {
  const entry = (gseq: number, m: GroupMessage): OrderedEntry => ({ gseq, message: m });
  const m1 = message("a@m1.lab", 1), m2 = message("b@m2.lab", 1);
  // s's first message was numbered 12 and reached no survivor; its second, 13, reached a.
  const stranded = message("s@m0.lab", 2);
  const mine = message("b@m2.lab", 2);
  const plans = planViewChange(view, [
    // a delivered 10 and 11; it holds 13, numbered after 12, which no survivor has.
    report("a@m1.lab", { entries: [entry(10, m1), entry(11, m2), entry(13, stranded)], nextG: 12 }),
    // b delivered 10 only; its second message was never numbered.
    report("b@m2.lab", { entries: [entry(10, m1)], nextG: 11, pending: [m2, mine] }),
  ], { order: "total", start: 10 });
  // b gets 11 (held by a), then its own pending message as 12: no gap, no duplicate.
  assert.deepEqual(plans["b@m2.lab"].entries.map((e) => [e.gseq, e.message.id]), [
    [11, m2.id],
    [12, mine.id],
  ]);
  assert.deepEqual(plans["a@m1.lab"].entries.map((e) => [e.gseq, e.message.id]), [[12, mine.id]]);
  for (const plan of Object.values(plans)) assert.equal(plan.start, 13);
  assert.deepEqual(plans["j@m9.lab"].entries, []);
});

Deno.test("Membership.tick() removes a silent member with a numbered view change", () => {
  const service = new Membership({ suspectAfter: 100, flushTimeout: 100 });
  const env = (from: string, body: unknown): Envelope => ({
    id: "e",
    from,
    to: "groups@g0.lab",
    kind: (body as { kind: string }).kind,
    body,
    lamport: 1,
  });
  const kinds = (effects: ReturnType<Membership["handle"]>) =>
    effects.map((e) =>
      e.kind === "send" || e.kind === "reply"
        ? `${e.kind === "send" ? e.to : "reply"} ${e.body.kind}`
        : e.kind
    );
  assert.deepEqual(
    kinds(
      service.handle(
        env("a--g@m1.lab", {
          kind: "g-join",
          group: "g",
          member: "a@m1.lab",
          incarnation: "a1",
          create: { order: "none", closed: false },
        }),
        0,
      ),
    ),
    ["a--g@m1.lab g-install"],
  );
  assert.deepEqual(
    kinds(
      service.handle(
        env("b--g@m2.lab", { kind: "g-join", group: "g", member: "b@m2.lab", incarnation: "b1" }),
        10,
      ),
    ),
    ["a--g@m1.lab g-prepare"],
  );
  const flushed = {
    kind: "g-flushed",
    group: "g",
    incarnation: "a1",
    target: 2,
    attempt: 1,
    report: report("a@m1.lab", {}),
  };
  assert.deepEqual(kinds(service.handle(env("a--g@m1.lab", flushed), 20)), [
    "a--g@m1.lab g-install",
    "b--g@m2.lab g-install",
  ]);
  assert.deepEqual(service.view("g")?.members, ["a@m1.lab", "b@m2.lab"]);
  // b heartbeats, a stays silent: a is removed in view 3.
  service.handle(
    env("b--g@m2.lab", {
      kind: "g-heartbeat",
      group: "g",
      member: "b@m2.lab",
      incarnation: "b1",
      view: 2,
      frontier: { delivered: {}, nextG: 1 },
    }),
    150,
  );
  assert.deepEqual(kinds(service.tick(200)), ["b--g@m2.lab g-prepare"]);
  const flushedB = { ...flushed, incarnation: "b1", target: 3, report: report("b@m2.lab", {}) };
  assert.deepEqual(kinds(service.handle(env("b--g@m2.lab", flushedB), 210)), [
    "b--g@m2.lab g-install",
    "a--g@m1.lab g-end",
  ]);
  assert.deepEqual(service.view("g"), {
    group: "g",
    id: 3,
    members: ["b@m2.lab"],
    sequencer: null,
    incarnations: { "b@m2.lab": "b1" },
    lineage: "1.1",
  });
});

Deno.test("GroupEndpoint reports only messages not yet stable in a flush", () => {
  const manager = "groups@g0.lab";
  const endpoint = new GroupEndpoint({ group: "g", member: "a@m1.lab", manager });
  const env = (from: string, body: unknown): Envelope => ({
    id: "e",
    from,
    to: "a--g@m1.lab",
    kind: (body as { kind: string }).kind,
    body,
    lamport: 1,
  });
  endpoint.start(0);
  const members = ["a@m1.lab", "b@m2.lab"];
  const plan = {
    view: {
      group: "g",
      id: 1,
      members,
      sequencer: null,
      incarnations: { "a@m1.lab": "1" },
      lineage: "1.1",
    },
    missing: [],
    entries: [],
    start: 1,
  };
  const installed = endpoint.receive(
    env(manager, {
      kind: "g-install",
      group: "g",
      incarnation: "1",
      order: "fifo",
      closed: false,
      plan,
    }),
    1,
  );
  assert.deepEqual(installed.map((e) => e.kind === "deliver" && e.value.kind), ["view"]);
  const b1 = { ...message("b@m2.lab", 1), view: 1 }, b2 = { ...message("b@m2.lab", 2), view: 1 };
  // b2 first: held back; b1 then delivers both.
  assert.deepEqual(
    endpoint.receive(env("b--g@m2.lab", { kind: "g-data", group: "g", message: b2 }), 2),
    [],
  );
  const delivered = endpoint.receive(
    env("b--g@m2.lab", { kind: "g-data", group: "g", message: b1 }),
    3,
  );
  assert.deepEqual(
    delivered.map((e) =>
      e.kind === "deliver" && e.value.kind === "delivery" && e.value.delivery.id
    ),
    [b1.id, b2.id],
  );
  // Everyone delivered b's first message: it is stable and leaves the report.
  const stable = { delivered: { "b@m2.lab": 1 }, nextG: 1 };
  endpoint.receive(
    env(manager, { kind: "g-stable", group: "g", incarnation: "1", view: 1, stable }),
    4,
  );
  const [flushed] = endpoint.receive(
    env(manager, {
      kind: "g-prepare",
      group: "g",
      incarnation: "1",
      from: 1,
      target: 2,
      attempt: 1,
    }),
    5,
  );
  assert.ok(flushed.kind === "send" && flushed.body.kind === "g-flushed");
  assert.deepEqual(flushed.body.report.messages.map((m) => m.id), [b2.id]);
});
