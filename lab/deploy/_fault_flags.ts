/**
 * The fault flags' schedule on a deployment: `--partition` and `--crash`, each at its time.
 * @module
 */
import type { CommonOptions } from "../_common.ts";
import type { Deployment } from "./deploy.ts";

/** Schedules the partitions, then the crashes, that `common` names on `deployment`. */
export function scheduleFaultFlags(
  deployment: Deployment,
  common: Pick<CommonOptions, "partitions" | "crashes">,
): void {
  for (const p of common.partitions) {
    deployment.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
  }
  for (const c of common.crashes) {
    deployment.crash(c.machine, { at: c.at, restartAt: c.restartAt });
  }
}
