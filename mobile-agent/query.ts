/**
 * The query capability: the only way an agent sees a node's data. A query is a small structured
 * object (table, columns, conditions, order, limit), never SQL text, so an agent cannot write,
 * attach files or reach beyond the node's published tables. The node compiles it to a
 * parameterised statement over column names it knows.
 * @module
 */

/** A value in a row or a condition. */
export type QueryValue = string | number | null;

/** A comparison in a condition. */
export type QueryOp = "=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "in";

/** One condition: `[column, op, value]`; `in` takes an array of values. */
export type QueryCondition = readonly [string, QueryOp, QueryValue | readonly QueryValue[]];

/** What an agent asks a node for. */
export interface AgentQuery {
  /** Table to read. @default "sales" */
  readonly table?: string;
  /** Columns to return. @default every column */
  readonly columns?: readonly string[];
  /** Conditions, all of which must hold. @default none */
  readonly where?: readonly QueryCondition[];
  /** Column to sort by, or `[column, "asc" | "desc"]`. @default storage order */
  readonly orderBy?: string | readonly [string, "asc" | "desc"];
  /** Most rows to return. @default no limit */
  readonly limit?: number;
  /** Rows to skip. @default 0 */
  readonly offset?: number;
  /** Return rows as arrays in column order instead of objects. @default false */
  readonly arrays?: boolean;
}

/** A row: an object by column name, or an array with `arrays: true`. */
export type Row = Readonly<Record<string, QueryValue>> | readonly QueryValue[];

/** A compiled query: SQL over known names and its parameters. */
export interface CompiledQuery {
  /** The statement. */
  readonly sql: string;
  /** Its parameters, in order. */
  readonly params: QueryValue[];
  /** Whether rows come back as arrays. */
  readonly arrays: boolean;
}

const OPS: readonly string[] = ["=", "!=", "<", "<=", ">", ">=", "like", "in"];

function isValue(v: unknown): v is QueryValue {
  return v === null || typeof v === "string" || (typeof v === "number" && Number.isFinite(v));
}

/**
 * Compiles `query` against `schema` (table name to column names); throws `TypeError` naming the
 * bad part when the query asks for anything the schema does not have.
 *
 * @example A filter becomes a parameterised statement
 * ```ts
 * import assert from "node:assert/strict";
 * import { compileQuery } from "./query.ts";
 * const schema = { sales: ["id", "amount"] };
 * const q = compileQuery({ where: [["amount", ">", 10]], orderBy: "id", limit: 5 }, schema);
 * assert.equal(q.sql, 'SELECT "id", "amount" FROM "sales" WHERE "amount" > ? ORDER BY "id" ASC LIMIT 5');
 * assert.deepEqual(q.params, [10]);
 * assert.throws(() => compileQuery({ table: "sqlite_master" }, schema), /unknown table/);
 * ```
 */
export function compileQuery(
  query: AgentQuery,
  schema: Readonly<Record<string, readonly string[]>>,
): CompiledQuery {
  if (typeof query !== "object" || query === null || Array.isArray(query)) {
    throw new TypeError(`Cannot query: ${JSON.stringify(query)} is not a query object`);
  }
  const table = query.table ?? "sales";
  const known = Object.hasOwn(schema, table) ? schema[table] : undefined;
  if (known === undefined) {
    throw new TypeError(
      `Cannot query: unknown table ${JSON.stringify(table)}; tables: ${
        Object.keys(schema).join(", ")
      }`,
    );
  }
  const column = columnOf(table, known);
  const columns = query.columns ?? known;
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TypeError("Cannot query: columns must be a non-empty array of column names");
  }
  let sql = `SELECT ${columns.map(column).join(", ")} FROM "${table}"`;
  const params: QueryValue[] = [];
  const where = query.where ?? [];
  if (!Array.isArray(where)) throw new TypeError("Cannot query: where must be an array");
  const clauses = where.map((cond) => condition(cond, column, params));
  if (clauses.length > 0) sql += ` WHERE ${clauses.join(" AND ")}`;
  if (query.orderBy !== undefined) {
    const [name, dir] = typeof query.orderBy === "string" ? [query.orderBy, "asc"] : query.orderBy;
    if (dir !== "asc" && dir !== "desc") {
      throw new TypeError(`Cannot query: order ${JSON.stringify(dir)} is not "asc" or "desc"`);
    }
    sql += ` ORDER BY ${column(name)} ${dir.toUpperCase()}`;
  }
  sql += pageClause(query);
  return { sql, params, arrays: query.arrays === true };
}

/** Quotes a column of `table` after checking that the schema has it. */
function columnOf(table: string, known: readonly string[]): (name: unknown) => string {
  return (name) => {
    if (typeof name !== "string" || !known.includes(name)) {
      throw new TypeError(
        `Cannot query ${table}: unknown column ${JSON.stringify(name)}; columns: ${
          known.join(", ")
        }`,
      );
    }
    return `"${name}"`;
  };
}

/** One `where` condition as SQL; pushes its values onto `params`. */
function condition(cond: unknown, column: (name: unknown) => string, params: QueryValue[]): string {
  if (!Array.isArray(cond) || cond.length !== 3 || !OPS.includes(cond[1])) {
    throw new TypeError(
      `Cannot query: condition ${JSON.stringify(cond)} is not [column, op, value] with op one of ${
        OPS.join(" ")
      }`,
    );
  }
  const [name, op, value] = cond;
  if (op === "in") {
    if (!Array.isArray(value) || !value.every(isValue)) {
      throw new TypeError(
        `Cannot query: "in" needs an array of values, got ${JSON.stringify(value)}`,
      );
    }
    params.push(...value);
    return `${column(name)} IN (${value.map(() => "?").join(", ")})`;
  }
  if (!isValue(value)) {
    throw new TypeError(
      `Cannot query: value ${JSON.stringify(value)} is not a string, number or null`,
    );
  }
  params.push(value);
  return `${column(name)} ${op === "like" ? "LIKE" : op} ?`;
}

/** The `LIMIT`/`OFFSET` clause of `query` (empty without either). */
function pageClause(query: AgentQuery): string {
  for (const [key, value] of [["limit", query.limit], ["offset", query.offset]] as const) {
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError(
        `Cannot query: ${key} ${JSON.stringify(value)} is not a whole number >= 0`,
      );
    }
  }
  if (query.limit === undefined && query.offset === undefined) return "";
  const limit = ` LIMIT ${query.limit ?? -1}`;
  return query.offset === undefined ? limit : `${limit} OFFSET ${query.offset}`;
}
