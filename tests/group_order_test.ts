import assert from "node:assert/strict";
import type { GroupOrder } from "../groups/types.ts";
import { checkOrder } from "../groups/order_checker.ts";
import type { SimulatorOptions } from "../core/simulator/simulator.ts";
import { createHoldBack } from "../groups/order.ts";
import type { GroupMessage } from "../groups/types.ts";
import { logsOf, runMembers } from "./_group_harness.ts";

const PROMISED: Record<Exclude<GroupOrder, "none">, ("fifo" | "causal" | "total")[]> = {
  fifo: ["fifo"],
  causal: ["fifo", "causal"],
  total: ["fifo", "causal", "total"],
};

const FAULTS: Record<string, SimulatorOptions> = {
  "reordering and 10% loss": {
    drop: 0.1,
    reorder: 0.3,
    latency: { kind: "uniform", min: 1, max: 20 },
  },
  "reordering without the reliable channel": {
    reliable: false,
    reorder: 0.5,
    latency: { kind: "uniform", min: 1, max: 20 },
  },
};

for (const order of ["fifo", "causal", "total"] as const) {
  for (const [faults, sim] of Object.entries(FAULTS)) {
    Deno.test(`Group.deliver() keeps ${order} order under ${faults}`, async () => {
      for (const seed of [1, 2, 3, 4]) {
        const { reports } = await runMembers({ order, sim: { seed, ...sim } });
        const report = checkOrder(logsOf(reports));
        for (const kind of PROMISED[order]) {
          assert.equal(report[kind], 0, `${kind} violations with seed ${seed}`);
        }
        assert.equal(reports.size, 4);
        assert.equal(report.deliveries, 4 * 20, `every member delivers all, seed ${seed}`);
        assert.equal(report.duplicates, 0);
      }
    });
  }
}

Deno.test("Group.deliver() gives total order a gap-free sequence from 1", async () => {
  const { reports } = await runMembers({ order: "total", sim: { seed: 5, drop: 0.1 } });
  for (const report of reports.values()) {
    assert.deepEqual(
      report.deliveries.map((d) => d.gseq),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  }
});

Deno.test("createHoldBack() holds a causal message until its causes are delivered", () => {
  const message = (sender: string, seq: number, vc: Record<string, number>): GroupMessage => ({
    id: `${sender}/${seq}`,
    sender,
    stream: sender,
    view: 1,
    seq,
    index: seq,
    hb: {},
    vc,
    sentAt: 0,
    body: null,
  });
  const queue = createHoldBack("causal");
  const reply = message("b", 1, { a: 1, b: 1 });
  assert.deepEqual(queue.offer(reply), []);
  assert.deepEqual(queue.held().map((m) => m.id), ["b/1"]);
  const question = message("a", 1, { a: 1 });
  assert.deepEqual(queue.offer(question).map((m) => m.id), ["a/1", "b/1"]);
  assert.deepEqual(queue.offer(question), []);
  assert.deepEqual(queue.delivered(), { a: 1, b: 1 });
});
