/**
 * A data node's shard: sales rows in SQLite (`node:sqlite`, in memory by default), generated
 * deterministically from a seed, so every run and every machine sees the same data. Row `id`
 * determines its values, whatever the number of shards. The shard answers agents' structured
 * queries and the pull baseline's page scans; it is read-only once loaded.
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { createRandom } from "../core/prng.ts";
import { type AgentQuery, compileQuery, type QueryValue, type Row } from "./query.ts";
import type { RowTuple } from "./messages.ts";

/** `StatementSync.setReturnArrays` (Node 24), missing from the bundled types. */
function arrays(statement: StatementSync, on: boolean): void {
  (statement as unknown as { setReturnArrays(on: boolean): void }).setReturnArrays(on);
}

/** Columns of the `sales` table, in order. */
export const SALES_COLUMNS: readonly string[] = ["id", "day", "region", "product", "qty", "amount"];

/** Sales regions. */
export const REGIONS: readonly string[] = ["north", "south", "east", "west", "centre"];

/** Largest `amount` (cents); amounts are uniform in 1..MAX_AMOUNT. */
export const MAX_AMOUNT = 100_000;

/**
 * The row with id `id` for `seed`: `[id, day, region, product, qty, amount]`.
 *
 * @example Rows depend on seed and id only
 * ```ts
 * import assert from "node:assert/strict";
 * import { salesRow } from "./shard.ts";
 * assert.deepEqual(salesRow(1, 42), salesRow(1, 42));
 * assert.equal(salesRow(1, 42)[0], 42);
 * ```
 */
export function salesRow(seed: number, id: number): RowTuple {
  const random = createRandom((Math.imul(seed, 0x9e3779b1) ^ Math.imul(id, 0x85ebca6b)) >>> 0);
  return [
    id,
    random.int(365),
    REGIONS[random.int(REGIONS.length)],
    `p${String(random.int(20)).padStart(2, "0")}`,
    1 + random.int(10),
    1 + random.int(MAX_AMOUNT),
  ];
}

/**
 * The ids `[start, end)` of shard `index` out of `count` shards of `rows` rows in total.
 *
 * @example Five shards of 100 rows
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardRange } from "./shard.ts";
 * assert.deepEqual(shardRange(100, { index: 4, count: 5 }), [80, 100]);
 * ```
 */
export function shardRange(
  rows: number,
  shard: { readonly index: number; readonly count: number },
): [number, number] {
  const { index, count } = shard;
  if (
    !(Number.isInteger(count) && count > 0 && Number.isInteger(index) && index >= 0 &&
      index < count)
  ) {
    throw new RangeError(`Cannot place shard ${index} of ${count}: give 0 <= index < count`);
  }
  return [Math.floor((index * rows) / count), Math.floor(((index + 1) * rows) / count)];
}

/**
 * The `amount` threshold that keeps about `selectivity` of the rows (`amount > threshold`).
 *
 * @example 1% of the rows
 * ```ts
 * import assert from "node:assert/strict";
 * import { thresholdFor } from "./shard.ts";
 * assert.equal(thresholdFor(0.01), 99_000);
 * assert.equal(thresholdFor(1), 0);
 * ```
 */
export function thresholdFor(selectivity: number): number {
  if (!(selectivity >= 0 && selectivity <= 1)) {
    throw new RangeError(`Cannot use selectivity ${selectivity}: give a fraction between 0 and 1`);
  }
  return Math.round(MAX_AMOUNT * (1 - selectivity));
}

/** Options of {@link Shard}. */
export interface ShardOptions {
  /** Seed of the data. @default 1 */
  readonly seed?: number;
  /** This shard's index. @default 0 */
  readonly index?: number;
  /** Number of shards. @default 1 */
  readonly count?: number;
  /** Rows over all shards. @default 1000 */
  readonly rows?: number;
  /** SQLite file. @default ":memory:" */
  readonly path?: string;
}

/**
 * One shard of the sales table.
 *
 * @example Query and scan
 * ```ts
 * import assert from "node:assert/strict";
 * import { Shard } from "./shard.ts";
 * const shard = new Shard({ rows: 100, index: 1, count: 2 });
 * assert.equal(shard.size, 50);
 * assert.equal(shard.scan(0, 10).length, 10);
 * const rows = shard.query({ columns: ["id"], where: [["id", "<", 53]], arrays: true });
 * assert.deepEqual(rows, [[50], [51], [52]]);
 * shard.close();
 * ```
 */
export class Shard {
  /** Rows held. */
  readonly size: number;
  readonly #db: DatabaseSync;
  readonly #start: number;
  readonly #statements = new Map<string, StatementSync>();
  readonly #scan: StatementSync;

  /** Generates and loads the shard. */
  constructor(options: ShardOptions = {}) {
    const seed = options.seed ?? 1;
    const rows = options.rows ?? 1000;
    if (!(Number.isSafeInteger(rows) && rows >= 0)) {
      throw new RangeError(`Cannot build shard: rows ${rows} must be a whole number >= 0`);
    }
    const [start, end] = shardRange(rows, { index: options.index ?? 0, count: options.count ?? 1 });
    this.#start = start;
    this.size = end - start;
    this.#db = new DatabaseSync(options.path ?? ":memory:");
    this.#db.exec(
      "CREATE TABLE IF NOT EXISTS sales (id INTEGER PRIMARY KEY, day INTEGER, region TEXT, " +
        "product TEXT, qty INTEGER, amount INTEGER); CREATE INDEX IF NOT EXISTS sales_amount ON sales(amount)",
    );
    const insert = this.#db.prepare("INSERT OR REPLACE INTO sales VALUES (?, ?, ?, ?, ?, ?)");
    this.#db.exec("BEGIN");
    for (let id = start; id < end; id++) insert.run(...(salesRow(seed, id) as QueryValue[]));
    this.#db.exec("COMMIT");
    this.#db.exec("PRAGMA query_only = ON");
    this.#scan = this.#db.prepare("SELECT * FROM sales WHERE id >= ? AND id < ? ORDER BY id");
    arrays(this.#scan, true);
  }

  /** Answers an agent's query; throws `TypeError` naming what the query got wrong. */
  query(query: AgentQuery): Row[] {
    const compiled = compileQuery(query, { sales: SALES_COLUMNS });
    const key = `${compiled.arrays ? "a" : "o"}${compiled.sql}`;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(compiled.sql);
      arrays(statement, compiled.arrays);
      if (this.#statements.size < 256) this.#statements.set(key, statement);
    }
    return statement.all(...compiled.params) as Row[];
  }

  /** Rows `offset .. offset + limit` of the shard, in id order, as tuples. */
  scan(offset: number, limit: number): RowTuple[] {
    const from = this.#start + Math.max(0, offset);
    return this.#scan.all(from, from + Math.max(0, limit)) as unknown as RowTuple[];
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
