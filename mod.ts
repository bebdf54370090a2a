/**
 * archlab: a distributed-architecture lab. The root module re-exports the core and the launcher
 * of a user's own system (`launch`, also `archlab/run`); each architecture has its own entry
 * point (`archlab/tiers`, `archlab/proxy`, ...).
 * @module
 */
export * from "./core/mod.ts";
export * from "./groups/mod.ts";
export {
  launch,
  type LaunchCrash,
  type LaunchEnd,
  type LaunchOptions,
  type LaunchPartition,
  type LaunchResult,
  loadSystem,
  type MachineEntry,
  type NamedProcess,
  planSystem,
  type ProcessEntry,
  type ProcessMap,
  type ProcessStatus,
  type ProcessWithOptions,
  type RequestFigures,
  type System,
  SystemError,
} from "./lab/run/mod.ts";
