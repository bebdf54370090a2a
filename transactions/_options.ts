/**
 * Checking the options of the transaction processes (they also arrive as JSON program
 * arguments), with errors that quote the bad value.
 * @module
 */

/**
 * `value` when it is a number >= `min`, `fallback` when it is undefined; else a `TypeError`.
 *
 * @example A bad timeout is quoted
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberOption } from "./_options.ts";
 * assert.equal(numberOption("the coordinator", "retryMs", undefined, 100), 100);
 * assert.throws(() => numberOption("the coordinator", "retryMs", "soon", 100), /retryMs "soon"/);
 * ```
 */
export function numberOption(
  owner: string,
  name: string,
  value: unknown,
  fallback: number,
  min = 0,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= min)) {
    throw new TypeError(
      `Cannot start ${owner}: option ${name} ${JSON.stringify(value)} must be a number >= ${min}`,
    );
  }
  return value;
}

/**
 * `value` when it is a non-empty string, `fallback` when undefined (and a fallback is given);
 * else a `TypeError`.
 *
 * @example A missing coordinator
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringOption } from "./_options.ts";
 * assert.equal(stringOption("a client", "path", undefined, ":memory:"), ":memory:");
 * assert.throws(() => stringOption("a client", "coordinator", undefined), /coordinator undefined/);
 * ```
 */
export function stringOption(
  owner: string,
  name: string,
  value: unknown,
  fallback?: string,
): string {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot start ${owner}: option ${name} ${JSON.stringify(value)} must be a non-empty string`,
    );
  }
  return value;
}
