/**
 * The reference nodes of `examples/check/` under faults, in the simulator: each correct node is
 * checked over 200 seeds with partitions, crashes, pauses, loss, duplication and reordering;
 * each wrong node is caught, with the seed the README shows and on most seeds.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import type { ProcessFn } from "../core/process.ts";
import { simulateCheck, type SimulateOptions } from "../lab/check/simulate.ts";
import { findWorkload } from "../lab/check/workloads.ts";
import { node as broadcast } from "../examples/check/broadcast.ts";
import { node as broadcastLossy } from "../examples/check/broadcast_lossy.ts";
import { node as echo } from "../examples/check/echo.ts";
import { node as gCounter } from "../examples/check/g_counter.ts";
import { node as linKv } from "../examples/check/lin_kv.ts";
import { node as linKvStale } from "../examples/check/lin_kv_stale.ts";
import { node as uniqueIds } from "../examples/check/unique_ids.ts";

const SEEDS = 200;

/** Small runs with every fault: what each seed of the 200 runs. */
const FAULTS: SimulateOptions = {
  ops: 40,
  rate: 200,
  timeout: 500,
  nemesis: ["partition", "crash", "pause"],
  nemesisInterval: 60,
  recovery: 500,
  drop: 0.05,
  duplicate: 0.05,
  reorder: 0.05,
};

/** Runs `node` over seeds 1..SEEDS; returns the seeds whose run was not valid, with why. */
async function failingSeeds(
  workload: string,
  node: ProcessFn,
  options: SimulateOptions,
): Promise<{ failing: string[]; faults: number; indeterminate: number }> {
  const check = findWorkload(workload);
  const failing: string[] = [];
  let faults = 0, indeterminate = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const run = await simulateCheck(node, check, { ...options, seed });
    const { anomalies } = check.check(run.history.ops);
    faults += run.nemesis.length;
    indeterminate += run.history.ops.filter((op) => op.status === "info").length;
    const problems = [
      ...anomalies.map((a) => a.message),
      ...run.errors,
      ...run.harness.failures.map((f) => f.error),
      ...(run.finished ? [] : ["did not finish"]),
    ];
    if (problems.length > 0) failing.push(`seed ${seed}: ${problems[0]}`);
  }
  return { failing, faults, indeterminate };
}

const cases: [string, string, ProcessFn, SimulateOptions][] = [
  ["echo", "echo.ts", echo, FAULTS],
  ["unique-ids", "unique_ids.ts", uniqueIds, FAULTS],
  ["broadcast", "broadcast.ts", broadcast, { ...FAULTS, nodeCount: 5 }],
  ["g-counter", "g_counter.ts", gCounter, FAULTS],
  ["lin-kv", "lin_kv.ts", linKv, FAULTS],
];

for (const [workload, file, node, options] of cases) {
  Deno.test(`${file} node passes ${workload} on ${SEEDS} seeds with partitions, crashes and pauses`, async () => {
    const { failing, faults } = await failingSeeds(workload, node, options);
    assertEquals(failing, []);
    // The faults did happen: every run had several fault windows.
    assertTrue(faults >= 2 * SEEDS, `only ${faults} fault windows`);
  });
}

Deno.test("lin_kv.ts node passes lin-kv on an unreliable network, with operations left unanswered", async () => {
  const { failing, indeterminate } = await failingSeeds("lin-kv", linKv, {
    ...FAULTS,
    reliable: false,
    drop: 0.1,
  });
  assertEquals(failing, []);
  assertTrue(indeterminate > SEEDS, `only ${indeterminate} indeterminate operations`);
});

/** How many of seeds 1..20 catch `node`. */
async function caught(workload: string, node: ProcessFn, options: SimulateOptions) {
  const check = findWorkload(workload);
  let count = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const run = await simulateCheck(node, check, { ...options, seed });
    if (check.check(run.history.ops).anomalies.length > 0) count++;
  }
  return count;
}

Deno.test("lin_kv_stale.ts node (local reads) is caught as not linearizable on most seeds", async () => {
  const count = await caught("lin-kv", linKvStale, {
    ops: 300,
    nemesis: ["partition"],
    nemesisInterval: 100,
  });
  assertTrue(count >= 10, `caught on ${count} of 20 seeds`);
});

Deno.test("broadcast_lossy.ts node (no retransmission) loses messages under partitions and crashes", async () => {
  const options: SimulateOptions = { nodeCount: 5, ops: 100, nemesisInterval: 100 };
  assertEquals(
    await caught("broadcast", broadcastLossy, {
      ...options,
      nemesis: ["partition"],
      reliable: false,
    }),
    20,
  );
  assertEquals(await caught("broadcast", broadcastLossy, { ...options, nemesis: ["crash"] }), 20);
});
