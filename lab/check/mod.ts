/**
 * Checking a user's system, Maelstrom's way: histories of client operations, sequential models
 * (register with compare-and-set, set, counter), a P-compositional linearizability checker
 * with the smallest failing window, the workloads (echo, unique-ids, broadcast, g-counter,
 * lin-kv) with their clients and checkers, the nemesis, a run (simulated or on real sockets) and
 * its verdict.
 *
 * @example A history checked for linearizability
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLinearizability, registerModel } from "./mod.ts";
 * const result = checkLinearizability(registerModel, [
 *   { input: { f: "write", value: 1 }, output: {}, call: 0, ret: 1 },
 *   { input: { f: "read" }, output: { value: 1 }, call: 2, ret: 3 },
 * ]);
 * assert.equal(result.verdict, "ok");
 * ```
 * @module
 */
export * from "./history.ts";
export * from "./model.ts";
export * from "./register_model.ts";
export * from "./set_model.ts";
export * from "./counter_model.ts";
export * from "./linearizability.ts";
export * from "./check_linearizable.ts";
export * from "./window.ts";
export * from "./workload.ts";
export * from "./echo_workload.ts";
export * from "./unique_ids_workload.ts";
export * from "./broadcast_workload.ts";
export * from "./g_counter_workload.ts";
export * from "./lin_kv_workload.ts";
export * from "./workloads.ts";
export * from "./client.ts";
export * from "./node_harness.ts";
export * from "./nemesis.ts";
export * from "./simulate.ts";
export * from "./report.ts";
export * from "./window_svg.ts";
export * from "./command.ts";
export * from "./real.ts";
export * from "./explore_check.ts";
