/**
 * Where a simulated lab run records the frames its seeded draws hit, while `--shrink` watches
 * it: the run's deployment pushes each frame lost, duplicated or held back onto `frames` when it
 * is set. One run at a time (the lab runs one command per process).
 * @module
 */
import type { FrameFault } from "./fault_schedule.ts";

/**
 * The recording slot.
 *
 * @example Recording is off by default
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameRecorder } from "./recorder.ts";
 * assert.equal(frameRecorder.frames, undefined);
 * ```
 */
export const frameRecorder: { frames: FrameFault[] | undefined } = { frames: undefined };
