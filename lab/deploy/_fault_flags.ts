/**
 * The fault flags' schedule: `--partition` and `--crash`, each at its time, on a deployment or
 * straight on the simulator. Every lab command applies them through {@link scheduleFaultFlags}.
 * @module
 */
import type { LaunchCrash, LaunchPartition } from "../run/launch.ts";

export type { LaunchCrash, LaunchPartition };

/** What the faults are scheduled on: a `Deployment`, or a `Simulator` itself. */
export interface FaultTarget {
  /** Cuts `a` from `b` from `at` until `until`; `oneWay` cuts only frames from `a` to `b`. */
  partition(
    a: string[],
    b: string[],
    options: { at?: number; until?: number; oneWay?: boolean },
  ): void;
  /** Crashes `machine` at `at`, restarting it at `restartAt` if given. */
  crash(machine: string, options: { at?: number; restartAt?: number }): void;
}

/** How {@link scheduleFaultFlags} schedules the faults. */
export interface ScheduleFaultOptions {
  /**
   * Only the machines this keeps take part: a crash of another is left out, and so is another
   * from either side of a partition (left out whole when a side is left empty). Default: all.
   */
  readonly keep?: (machine: string) => boolean;
}

/**
 * Schedules the partitions, then the crashes, that `faults` names (`--partition`, `--crash`) on
 * `target`, a deployment or the simulator.
 *
 * @example A partition and a crash, on a recording target
 * ```ts
 * import assert from "node:assert/strict";
 * import { scheduleFaultFlags } from "./_fault_flags.ts";
 * const calls: string[] = [];
 * const target = {
 *   partition: (a: string[], b: string[], o: { at?: number }) => calls.push(`cut ${a}|${b}@${o.at}`),
 *   crash: (m: string, o: { at?: number }) => calls.push(`crash ${m}@${o.at}`),
 * };
 * const faults = {
 *   partitions: [{ a: ["m1.lab"], b: ["m2.lab", "m3.lab"], oneWay: false, at: 10 }],
 *   crashes: [{ machine: "m3.lab", at: 20 }],
 * };
 * scheduleFaultFlags(target, faults);
 * assert.deepEqual(calls, ["cut m1.lab|m2.lab,m3.lab@10", "crash m3.lab@20"]);
 * calls.length = 0;
 * scheduleFaultFlags(target, faults, { keep: (m) => m !== "m3.lab" });
 * assert.deepEqual(calls, ["cut m1.lab|m2.lab@10"]);
 * ```
 */
export function scheduleFaultFlags(
  target: FaultTarget,
  faults: {
    readonly partitions?: readonly LaunchPartition[];
    readonly crashes?: readonly LaunchCrash[];
  },
  options: ScheduleFaultOptions = {},
): void {
  const { keep } = options;
  for (const p of faults.partitions ?? []) {
    const a = keep ? p.a.filter(keep) : [...p.a], b = keep ? p.b.filter(keep) : [...p.b];
    // A side `keep` emptied leaves nothing to cut; a side given empty is cut as given.
    if (keep && (a.length === 0 || b.length === 0)) continue;
    target.partition(a, b, { at: p.at, until: p.until, oneWay: p.oneWay });
  }
  for (const c of faults.crashes ?? []) {
    if (keep === undefined || keep(c.machine)) {
      target.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    }
  }
}
