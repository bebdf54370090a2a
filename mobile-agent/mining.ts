/**
 * Data mining over the sales shards, both ways: the state the built-in mining agent
 * (`agents/mining.js`) carries, and the same filter + aggregate computed locally over pulled
 * rows, so the two approaches can be checked against each other.
 * @module
 */
import type { RowTuple } from "./messages.ts";
import { thresholdFor } from "./shard.ts";

/** Per-region totals. */
export interface RegionTotal {
  /** Matching rows of the region. */
  count: number;
  /** Sum of their amounts. */
  sum: number;
}

/** The mining agent's state, and its result. */
export interface MiningState {
  /** Rows with `amount` above this match. */
  minAmount: number;
  /** Matching rows. */
  count: number;
  /** Sum of their amounts. */
  sum: number;
  /** Totals per region. */
  byRegion: Record<string, RegionTotal>;
  /** The matching rows, `[id, day, region, product, qty, amount]`. */
  matches: RowTuple[];
  /** Anything else a user's agent keeps. */
  [key: string]: unknown;
}

/** Where the built-in mining agent's source lives. */
export const MINING_AGENT_URL: URL = new URL("./agents/mining.js", import.meta.url);

/**
 * The mining agent's initial state for a selectivity (fraction of rows that match).
 *
 * @example 1% selectivity
 * ```ts
 * import assert from "node:assert/strict";
 * import { miningState } from "./mining.ts";
 * assert.equal(miningState(0.01).minAmount, 99_000);
 * assert.deepEqual(miningState(0.01).matches, []);
 * ```
 */
export function miningState(selectivity: number): MiningState {
  return { minAmount: thresholdFor(selectivity), count: 0, sum: 0, byRegion: {}, matches: [] };
}

/**
 * Folds `rows` into `state` exactly as the mining agent does at a node.
 *
 * @example Local mining
 * ```ts
 * import assert from "node:assert/strict";
 * import { mineRows, miningState } from "./mining.ts";
 * const state = mineRows(miningState(0.5), [[1, 0, "north", "p01", 1, 60_000], [2, 0, "east", "p02", 1, 10]]);
 * assert.equal(state.count, 1);
 * assert.deepEqual(state.byRegion, { north: { count: 1, sum: 60_000 } });
 * ```
 */
export function mineRows(state: MiningState, rows: readonly RowTuple[]): MiningState {
  for (const row of rows) {
    const amount = row[5] as number;
    if (!(amount > state.minAmount)) continue;
    const region = row[2] as string;
    state.count += 1;
    state.sum += amount;
    const total = state.byRegion[region] ?? (state.byRegion[region] = { count: 0, sum: 0 });
    total.count += 1;
    total.sum += amount;
    state.matches.push(row);
  }
  return state;
}
