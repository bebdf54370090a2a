/**
 * Systematic exploration of a small simulated system: every order of pending events, frames
 * lost or duplicated within a budget, crash points; the shortest counterexample and its replay.
 *
 * @example Exploring a `lab run` system with no invariant: nothing throws
 * ```ts
 * import assert from "node:assert/strict";
 * import { explore } from "./mod.ts";
 * const report = await explore({
 *   "a@m1.lab": async (ctx) => { await ctx.receive(); },
 *   "b@m2.lab": (ctx) => ctx.send("a@m1.lab", "hi"),
 * }, { simulator: { reliable: false } });
 * assert.ok(report.exhausted);
 * assert.equal(report.violation, undefined);
 * ```
 * @module
 */
export * from "./explore.ts";
export * from "./two_phase_commit_model.ts";
export * from "./reliable_channel_model.ts";
export * from "./at_most_once_model.ts";
export * from "./group_order_model.ts";
export * from "./stepper.ts";
export * from "./step_page.ts";
export * from "./step_server.ts";
