/**
 * What the programs running in a `lab node` report to the lab: each registers a function under
 * a name, and the node adds what they return to its `stats` line (`reports`), which the lab
 * reads when a run ends. The node and its programs share this registry; the lab never imports
 * it.
 * @module
 */

/**
 * Report functions by name; a function's value must survive JSON.
 *
 * @example A program registers its counters
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectReports, nodeReports } from "./_node_reports.ts";
 * let served = 0;
 * nodeReports.set("served", () => served);
 * served = 3;
 * assert.equal(collectReports()?.served, 3);
 * nodeReports.delete("served");
 * assert.equal(collectReports()?.served, undefined);
 * ```
 */
export const nodeReports: Map<string, () => unknown> = new Map();

/**
 * Every registered report, by name; `undefined` when none is registered.
 *
 * @example One report, by its name
 * ```ts
 * import assert from "node:assert/strict";
 * import { collectReports, nodeReports } from "./_node_reports.ts";
 * nodeReports.set("answer", () => ({ value: 42 }));
 * assert.deepEqual(collectReports()?.answer, { value: 42 });
 * nodeReports.delete("answer");
 * ```
 */
export function collectReports(): Record<string, unknown> | undefined {
  if (nodeReports.size === 0) return undefined;
  const reports: Record<string, unknown> = {};
  for (const [name, report] of nodeReports) reports[name] = report();
  return reports;
}
