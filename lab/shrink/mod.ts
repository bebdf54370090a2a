/**
 * Shrinking failing runs: delta debugging of fault schedules, frame faults that replay exactly,
 * and the shrink loop over faults and workload sizes.
 *
 * @example The flags of a one-drop schedule
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultFlags } from "./mod.ts";
 * assert.deepEqual(faultFlags([{ kind: "drop", frame: "a.lab>b.lab#1" }]), ["--frame-faults", "drop:a.lab>b.lab#1"]);
 * ```
 * @module
 */
export * from "./ddmin.ts";
export * from "./fault_schedule.ts";
export * from "./shrink.ts";
export * from "./recorder.ts";
export * from "./shrink_command.ts";
