import assert from "node:assert/strict";
import {
  checkGroupRun,
  checkViews,
  groupHistories,
  type InstalledView,
  type MemberHistory,
  type ViewDelivery,
} from "../groups/view_checker.ts";
import type { TraceEvent } from "../core/trace.ts";

const A = "a@m1.lab", B = "b@m2.lab", C = "c@m3.lab";

function view(id: number, members: Record<string, string>, lineage = "L"): InstalledView {
  return { view: id, members: Object.keys(members).sort(), incarnations: members, lineage };
}

function got(id: string, v: number): ViewDelivery {
  return { group: "g", member: "", id, stream: id.split("/")[0], index: 1, hb: {}, view: v };
}

function history(
  member: string,
  incarnation: string,
  views: InstalledView[],
  deliveries: ViewDelivery[] = [],
  end?: string,
): MemberHistory {
  return { key: `${member}#${incarnation}`, member, incarnation, views, deliveries, end };
}

function histories(...list: MemberHistory[]): Record<string, MemberHistory> {
  return Object.fromEntries(list.map((h) => [h.key, h]));
}

const both = { [A]: "1", [B]: "1" };

Deno.test("checkViews() finds nothing wrong when members move on together", () => {
  const report = checkViews(histories(
    history(A, "1", [view(1, both), view(2, { [A]: "1" })], [got("x/1", 1), got("y/1", 1)]),
    history(B, "1", [view(1, both)], [got("x/1", 1)], "left"),
  ));
  assert.deepEqual(
    { ...report, final: undefined },
    {
      views: 2,
      last: 2,
      disagreements: 0,
      unlisted: 0,
      partial: 0,
      stranded: [],
      reincarnations: 0,
      excluded: [],
      final: undefined,
    },
  );
});

Deno.test("checkViews() counts messages of a view that not all members moving on delivered", () => {
  const report = checkViews(histories(
    history(A, "1", [view(1, both), view(2, both)], [got("x/1", 1), got("x/2", 1)]),
    history(B, "1", [view(1, both), view(2, both)], [got("x/1", 1)]),
  ));
  assert.equal(report.partial, 1);
  // Members still running in the same view at the end are held to the same set too.
  const end = checkViews(histories(
    history(A, "1", [view(1, both)], [got("x/1", 1), got("x/2", 1)]),
    history(B, "1", [view(1, both)], [got("x/1", 1)]),
  ));
  assert.equal(end.partial, 1);
});

Deno.test("checkViews() lets a member that crashed or left have delivered more", () => {
  const report = checkViews(histories(
    history(A, "1", [view(1, both)], [got("x/1", 1), got("x/2", 1)], "crashed"),
    history(B, "1", [view(1, both), view(2, { [B]: "1" })], [got("x/1", 1)]),
  ));
  assert.equal(report.partial, 0);
});

Deno.test("checkViews() finds views installed differently and installs by a non-member", () => {
  const report = checkViews(histories(
    history(A, "1", [view(1, both)]),
    history(B, "1", [view(1, { [A]: "1", [B]: "2" })]),
  ));
  assert.equal(report.disagreements, 1);
  assert.equal(report.unlisted, 1);
  // The same number under another lineage is another view.
  const lineages = checkViews(histories(
    history(A, "1", [view(1, { [A]: "1" }, "old")], [], "removed"),
    history(B, "1", [view(1, { [B]: "1" }, "new")]),
  ));
  assert.equal(lineages.disagreements, 0);
  assert.deepEqual(lineages.excluded, [`${A}#1`]);
});

Deno.test("checkViews() names a running member left behind in an old view", () => {
  const run = histories(
    history(A, "1", [view(1, both), view(2, { [A]: "1" })]),
    history(B, "1", [view(1, both)]),
  );
  const report = checkViews(run);
  assert.deepEqual(report.stranded, [`${B}#1`]);
  assert.equal(report.final[`${B}#1`], 1);
  // A trace cut while views may still change (real sockets) is not judged on that.
  assert.deepEqual(checkViews(run, { settled: false }).stranded, []);
});

Deno.test("checkViews() wants a restarted member back as a new incarnation in a later view", () => {
  const bad = checkViews(histories(
    history(A, "1", [view(1, both), view(2, both)], [], "crashed"),
    history(A, "2", [view(2, { [A]: "2", [B]: "1" })]),
    history(B, "1", [view(1, both), view(2, both)]),
  ));
  assert.equal(bad.reincarnations, 1);
  const good = checkViews(histories(
    history(A, "1", [view(1, both)], [], "crashed"),
    history(A, "2", [view(3, { [A]: "2", [B]: "1" })]),
    history(B, "1", [view(1, both), view(2, { [B]: "1" }), view(3, { [A]: "2", [B]: "1" })]),
  ));
  assert.equal(good.reincarnations, 0);
  assert.deepEqual(good.stranded, []);
});

Deno.test("groupHistories() ends a member at its machine's crash and notices one that goes on", () => {
  const line = (t: number, prefix: string, fields: object): TraceEvent => ({
    t,
    ev: "log",
    at: "a--g@m1.lab",
    note: prefix + JSON.stringify({ group: "g", member: A, incarnation: "1", ...fields }),
  });
  const v1 = { view: 1, members: [A], incarnations: { [A]: "1" }, lineage: "L" };
  const events: TraceEvent[] = [
    line(1, "group-view ", v1),
    line(2, "group-deliver ", { id: "s/1", stream: "s", index: 1, hb: { s: 1 }, view: 1 }),
    { t: 3, ev: "crash", at: "m1.lab" },
    line(4, "group-view ", { ...v1, view: 2 }),
  ];
  const h = groupHistories(events)[`${A}#1`];
  assert.equal(h.end, "crashed");
  assert.equal(h.revived, 1);
  assert.equal(checkGroupRun(events).reincarnations, 1);
  assert.equal(checkGroupRun(events, "other").members, 0);
});

Deno.test("checkGroupRun() judges total order between the members that did not fail", () => {
  const line = (member: string, prefix: string, fields: object): TraceEvent => ({
    t: 0,
    ev: "log",
    at: member,
    note: prefix + JSON.stringify({ group: "g", member, incarnation: "1", ...fields }),
  });
  const v1 = { view: 1, members: [A, B, C], incarnations: { [A]: "1", [B]: "1", [C]: "1" } };
  const deliver = (member: string, id: string) =>
    line(member, "group-deliver ", { id, stream: id, index: 1, hb: { [id]: 1 }, view: 1 });
  const events: TraceEvent[] = [
    ...[A, B, C].map((m) => line(m, "group-view ", { ...v1, lineage: "L" })),
    // The sequencer a delivers x then y and crashes; b and c learn only y then x.
    deliver(A, "x"),
    deliver(A, "y"),
    { t: 1, ev: "crash", at: "m1.lab" },
    deliver(B, "y"),
    deliver(B, "x"),
    deliver(C, "y"),
    deliver(C, "x"),
  ];
  const report = checkGroupRun(events);
  assert.equal(report.order.total, 0);
  assert.equal(report.uniformTotal, 2);
  // Between members that stay, a disagreement counts.
  const two = checkGroupRun([
    ...events.slice(0, 3),
    deliver(B, "x"),
    deliver(B, "y"),
    deliver(C, "y"),
    deliver(C, "x"),
  ]);
  assert.equal(two.order.total, 1);
});
