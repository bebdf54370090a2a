/**
 * Programs of the three-tier architecture, by name, for the lab's deployments:
 * `three-tier-presentation` (Hono HTTP), `three-tier-logic` (rules and the connection pool) and
 * `three-tier-data` (SQLite).
 * @module
 */
import type { Program } from "../../core/process.ts";
import { dataTier } from "./data_tier.ts";
import { logicTier } from "./logic_tier.ts";
import { presentationTier } from "./presentation_tier.ts";

/**
 * Three-tier programs by name.
 *
 * @example The three tiers
 * ```ts
 * import assert from "node:assert/strict";
 * import { threeTierPrograms } from "./three_tier_programs.ts";
 * assert.deepEqual(Object.keys(threeTierPrograms), [
 *   "three-tier-presentation",
 *   "three-tier-logic",
 *   "three-tier-data",
 * ]);
 * ```
 */
export const threeTierPrograms: Readonly<Record<string, Program>> = {
  "three-tier-presentation": presentationTier,
  "three-tier-logic": logicTier,
  "three-tier-data": dataTier,
};
