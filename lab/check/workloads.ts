/**
 * The workloads `lab check` knows, by name.
 * @module
 */
import { broadcastWorkload } from "./broadcast_workload.ts";
import { echoWorkload } from "./echo_workload.ts";
import { gCounterWorkload } from "./g_counter_workload.ts";
import { linKvWorkload } from "./lin_kv_workload.ts";
import { uniqueIdsWorkload } from "./unique_ids_workload.ts";
import type { Workload } from "./workload.ts";

/** Settings some workloads take. */
export interface WorkloadSettings {
  /** lin-kv: distinct keys. @default 5 */
  readonly keys?: number;
}

/** Every workload by name, built from the settings. */
export const WORKLOADS: Readonly<Record<string, (settings: WorkloadSettings) => Workload>> = {
  echo: () => echoWorkload(),
  "unique-ids": () => uniqueIdsWorkload(),
  broadcast: () => broadcastWorkload(),
  "g-counter": () => gCounterWorkload(),
  "lin-kv": (settings) => linKvWorkload({ keys: settings.keys }),
};

/**
 * The workload called `name`.
 *
 * @throws {TypeError} naming it and listing the known ones.
 * @example By name
 * ```ts
 * import assert from "node:assert/strict";
 * import { findWorkload } from "./workloads.ts";
 * assert.equal(findWorkload("lin-kv").name, "lin-kv");
 * assert.throws(() => findWorkload("queue"), /known workloads: echo/);
 * ```
 */
export function findWorkload(name: string, settings: WorkloadSettings = {}): Workload {
  const make = WORKLOADS[name];
  if (make === undefined) {
    throw new TypeError(
      `Cannot check workload "${name}": unknown; known workloads: ${
        Object.keys(WORKLOADS).join(", ")
      }`,
    );
  }
  return make(settings);
}
