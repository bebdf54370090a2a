/**
 * Reduction operators of the MPI-style collectives: `sum`, `prod`, `min`, `max` on numbers
 * (element by element on arrays of numbers), or any associative function.
 * @module
 */

/** A built-in operator name or an associative function. */
export type ReduceOp<T> = "sum" | "prod" | "min" | "max" | ((a: T, b: T) => T);

const BUILTIN: Readonly<Record<string, (a: number, b: number) => number>> = {
  sum: (a, b) => a + b,
  prod: (a, b) => a * b,
  min: (a, b) => Math.min(a, b),
  max: (a, b) => Math.max(a, b),
};

/**
 * Folds `values` left to right with `op` (rank order, so a non-commutative but associative
 * function gives the same result on every run).
 *
 * @throws {TypeError} when `op` is unknown or a built-in meets something other than numbers.
 * @example Sums and element-wise maxima
 * ```ts
 * import assert from "node:assert/strict";
 * import { reduceValues } from "./mpi_reduce.ts";
 * assert.equal(reduceValues([1, 2, 3], "sum"), 6);
 * assert.deepEqual(reduceValues([[1, 5], [4, 2]], "max"), [4, 5]);
 * assert.equal(reduceValues(["a", "b"], (x, y) => x + y), "ab");
 * ```
 */
export function reduceValues<T>(values: readonly T[], op: ReduceOp<T>): T {
  if (values.length === 0) throw new TypeError("Cannot reduce: no values");
  const combine = typeof op === "function" ? op : builtin<T>(op);
  let acc = values[0];
  for (let i = 1; i < values.length; i++) acc = combine(acc, values[i]);
  return acc;
}

function builtin<T>(name: string): (a: T, b: T) => T {
  const f = BUILTIN[name];
  if (f === undefined) {
    throw new TypeError(
      `Cannot reduce with operator ${
        JSON.stringify(name)
      }: use "sum", "prod", "min", "max" or a function`,
    );
  }
  const apply = (a: unknown, b: unknown): unknown => {
    if (typeof a === "number" && typeof b === "number") return f(a, b);
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      return a.map((x, i) => apply(x, b[i]));
    }
    throw new TypeError(
      `Cannot reduce with "${name}": ${JSON.stringify(a)} and ${
        JSON.stringify(b)
      } are not numbers or arrays of numbers of one length; pass a function instead`,
    );
  };
  return apply as (a: T, b: T) => T;
}
