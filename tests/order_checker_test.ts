import assert from "node:assert/strict";
import { checkOrder, deliveryLogs, type DeliveryRecord } from "../groups/order_checker.ts";
import { Trace } from "../core/trace.ts";
import { logsOf, runMembers } from "./_group_harness.ts";

// Three messages: a1 and a2 from stream a; b1 from stream b, sent after b delivered a1.
const a1: DeliveryRecord = { id: "a/1", stream: "a", index: 1, hb: { a: 1 } };
const a2: DeliveryRecord = { id: "a/2", stream: "a", index: 2, hb: { a: 2 } };
const b1: DeliveryRecord = { id: "b/1", stream: "b", index: 1, hb: { a: 1, b: 1 } };

Deno.test("checkOrder() finds no violation in agreeing, ordered logs", () => {
  const report = checkOrder({ x: [a1, b1, a2], y: [a1, b1, a2] });
  assert.deepEqual(
    { fifo: report.fifo, causal: report.causal, total: report.total, partial: report.partial },
    { fifo: 0, causal: 0, total: 0, partial: 0 },
  );
  assert.equal(report.messages, 3);
  assert.equal(report.deliveries, 6);
});

Deno.test("checkOrder() counts a FIFO violation, which is a causal one too", () => {
  const report = checkOrder({ x: [a2, a1] });
  assert.equal(report.fifo, 1);
  assert.equal(report.causal, 1);
  assert.equal(report.total, 0);
});

Deno.test("checkOrder() counts a causal violation across senders that FIFO misses", () => {
  const report = checkOrder({ x: [b1, a1] });
  assert.equal(report.fifo, 0);
  assert.equal(report.causal, 1);
});

Deno.test("checkOrder() counts total-order violations per pair of members", () => {
  const c1: DeliveryRecord = { id: "c/1", stream: "c", index: 1, hb: { c: 1 } };
  const report = checkOrder({ x: [a1, c1], y: [c1, a1], z: [c1, a1] });
  assert.equal(report.total, 2);
  assert.equal(report.causal, 0);
});

Deno.test("checkOrder() counts duplicates and partially delivered messages", () => {
  const report = checkOrder({ x: [a1, a1, b1], y: [a1] });
  assert.equal(report.duplicates, 1);
  assert.equal(report.partial, 1);
});

Deno.test("deliveryLogs() reads the endpoints' trace lines per member and group", () => {
  const trace = new Trace();
  const line = (group: string, member: string, r: DeliveryRecord) =>
    trace.record({
      t: 0,
      ev: "log",
      at: member,
      note: `group-deliver ${JSON.stringify({ group, member, ...r })}`,
    });
  line("g", "x", a2);
  line("g", "x", a1);
  line("other", "x", b1);
  trace.record({ t: 0, ev: "log", at: "x", note: "unrelated" });
  const logs = deliveryLogs(trace.events, "g");
  assert.deepEqual(logs.x.map((r) => r.id), ["a/2", "a/1"]);
  assert.equal(checkOrder(logs).fifo, 1);
});

Deno.test("checkOrder() flags the violations of an unordered group under reordering", async () => {
  const found = { fifo: 0, causal: 0, total: 0 };
  for (const seed of [1, 2, 3]) {
    const { sim, reports } = await runMembers({
      order: "none",
      sim: { seed, reliable: false, reorder: 0.5, latency: { kind: "uniform", min: 1, max: 20 } },
    });
    const report = checkOrder(logsOf(reports));
    // The trace carries the same deliveries as the members' own logs.
    assert.deepEqual(checkOrder(deliveryLogs(sim.trace.events)), report);
    found.fifo += report.fifo;
    found.causal += report.causal;
    found.total += report.total;
  }
  assert.ok(found.fifo > 0, `no FIFO violation found: ${JSON.stringify(found)}`);
  assert.ok(found.causal > 0, `no causal violation found: ${JSON.stringify(found)}`);
  assert.ok(found.total > 0, `no total-order violation found: ${JSON.stringify(found)}`);
});
