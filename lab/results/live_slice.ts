/**
 * A slice of simulated time run for a live view: in batches of events, handing the event loop
 * to the live view's server every few milliseconds of wall time, so the page's diagram grows
 * while the slice runs instead of one jump per slice. The batches change nothing in the run:
 * the simulator resumes where a batch stopped, and the trace is the same byte for byte.
 * @module
 */
import { wallClock } from "../../core/real_runtime.ts";
import type { RunOptions, RunResult } from "../../core/simulator/simulator_options.ts";

/** Events the simulator runs between two looks at the wall clock. */
export const LIVE_BATCH = 200;
/** Wall time, ms, the simulator runs before the live view gets the event loop. */
export const LIVE_FRAME_MS = 15;

/** What {@link runLiveSlice} needs of a simulator. */
export interface SliceRunner {
  /** Runs events until `until` or `maxEvents`. */
  run(options: RunOptions): Promise<RunResult>;
}

/**
 * Runs `sim` up to virtual time `until` as one `sim.run({ until })` would, in batches of
 * {@link LIVE_BATCH} events, yielding to the event loop (a timer turn) whenever
 * {@link LIVE_FRAME_MS} of wall time went by since the last yield.
 *
 * @example The same result as one run
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { runLiveSlice } from "./live_slice.ts";
 * const build = () => {
 *   const sim = new Simulator({ seed: 3, drop: 0.1 });
 *   sim.machine("m1.lab").spawn("a", async (ctx) => {
 *     for (let i = 0; i < 600; i++) await ctx.send("b@m2.lab", { kind: "n", i });
 *   });
 *   sim.machine("m2.lab").spawn("b", async (ctx) => { for (;;) await ctx.receive(); });
 *   return sim;
 * };
 * const whole = build(), sliced = build();
 * const a = await whole.run({ until: 5000 });
 * const b = await runLiveSlice(sliced, 5000);
 * assert.deepEqual(b, a);
 * assert.equal(sliced.trace.digest(), whole.trace.digest());
 * ```
 */
export async function runLiveSlice(sim: SliceRunner, until: number): Promise<RunResult> {
  let events = 0;
  let last = wallClock();
  for (;;) {
    const result = await sim.run({ until, maxEvents: LIVE_BATCH });
    events += result.events;
    if (result.quiescent || result.events < LIVE_BATCH) return { ...result, events };
    if (wallClock() - last >= LIVE_FRAME_MS) {
      // The live view's timer sends the batch's events to the browsers.
      await new Promise((resolve) => setTimeout(resolve, 0));
      last = wallClock();
    }
  }
}
