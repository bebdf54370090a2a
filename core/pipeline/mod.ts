/**
 * The frame pipeline the simulator and the TCP network share: stages between a machine and the
 * wire (authentication, fault injection), composed when the network is built.
 *
 * @example Faults as a stage
 * ```ts
 * import assert from "node:assert/strict";
 * import { FaultStage, faultRandom } from "./mod.ts";
 * const stage = new FaultStage({ schedule: { drop: 0 }, random: faultRandom(1) });
 * assert.equal(stage.stats.dropped, 0);
 * ```
 * @module
 */
export * from "./frame_pipeline.ts";
export * from "./fault_schedule.ts";
export * from "./fault_stage.ts";
