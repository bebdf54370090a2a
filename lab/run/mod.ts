/**
 * Bring your own system: the launcher that runs a user's machines and processes (written
 * against `ProcessContext`) in the deterministic simulator or as real OS processes over TCP,
 * unchanged. `deno task lab run FILE.ts` uses it; so can a program.
 *
 * @example Launch a one-file system in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { launch } from "./mod.ts";
 * const result = await launch({
 *   "ping@m1.lab": async (ctx) => {
 *     await ctx.reply(await ctx.receive(), "pong");
 *   },
 *   "client@m2.lab": async (ctx) => {
 *     assert.equal((await ctx.request("ping@m1.lab", "ping")).body, "pong");
 *   },
 * }, { sim: true });
 * assert.equal(result.end, "returned");
 * ```
 * @module
 */
export {
  launch,
  type LaunchCrash,
  type LaunchEnd,
  type LaunchOptions,
  type LaunchPartition,
  type LaunchResult,
} from "./launch.ts";
export {
  type MachineEntry,
  type NamedProcess,
  planSystem,
  type ProcessEntry,
  type ProcessMap,
  type ProcessWithOptions,
  type System,
  SystemError,
} from "./system.ts";
export { loadSystem, systemUrl } from "./load_system.ts";
export { measured, type RequestFigures, RequestLog } from "./request_log.ts";
export type { ProcessStatus } from "./_process_tracker.ts";
export type { Latency, ProcessFn, Trace, TraceEvent } from "../../core/mod.ts";
