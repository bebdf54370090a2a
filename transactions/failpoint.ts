/**
 * Failpoints of the coordinator (as etcd's gofail): named places in two-phase commit where it
 * stops once, writes `failpoint <name>` to the trace and pauses, so that a harness can crash its
 * machine exactly there, in the simulator or as a real OS process.
 * @module
 */
import type { TraceEvent } from "../core/trace.ts";

/**
 * Where the coordinator stops: `after-votes` (every participant voted yes, nothing logged yet:
 * after a restart the transaction aborts) or `after-decision` (commit logged, phase 2 not sent:
 * after a restart it commits).
 */
export type Failpoint = "after-votes" | "after-decision";

/** Every failpoint. */
export const FAILPOINTS: readonly Failpoint[] = ["after-votes", "after-decision"];

/** How a failpoint's trace line starts. */
export const FAILPOINT_PREFIX = "failpoint ";

/**
 * The failpoint a trace event announces, or `undefined`.
 *
 * @example A failpoint in the trace
 * ```ts
 * import assert from "node:assert/strict";
 * import { failpointOf } from "./failpoint.ts";
 * const event = { t: 9, ev: "log" as const, at: "tm@coord.lab", note: "failpoint after-votes tm@coord.lab#1.1" };
 * assert.equal(failpointOf(event), "after-votes");
 * assert.equal(failpointOf({ t: 9, ev: "log", at: "x@m.lab", note: "hello" }), undefined);
 * ```
 */
export function failpointOf(event: TraceEvent): Failpoint | undefined {
  if (event.ev !== "log" || !event.note?.startsWith(FAILPOINT_PREFIX)) return undefined;
  const name = event.note.slice(FAILPOINT_PREFIX.length).split(" ")[0];
  return FAILPOINTS.find((f) => f === name);
}

/**
 * Meta flag name recording in stable storage that failpoint `name` fired.
 *
 * @example The flag of a failpoint
 * ```ts
 * import assert from "node:assert/strict";
 * import { failpointFlag } from "./failpoint.ts";
 * assert.equal(failpointFlag("after-votes"), "failpoint:after-votes");
 * ```
 */
export function failpointFlag(name: string): string {
  return `failpoint:${name}`;
}
