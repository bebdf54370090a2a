/**
 * Version vectors as plain records (`{ "p1.lab@0": 3 }`): for each origin, the highest counter
 * of its updates a replica has seen. A missing entry is 0.
 * @module
 */

/** A version vector: origin to highest counter seen. */
export type VersionVector = Readonly<Record<string, number>>;

/**
 * Whether `a` holds an update that `b` lacks (some entry of `a` is above `b`'s).
 *
 * @example News
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasNews } from "./_version_vector.ts";
 * assert.ok(hasNews({ a: 2 }, { a: 1, b: 5 }));
 * assert.ok(!hasNews({ a: 1 }, { a: 1, b: 5 }));
 * ```
 */
export function hasNews(a: VersionVector, b: VersionVector): boolean {
  for (const origin in a) {
    if (a[origin] > (b[origin] ?? 0)) return true;
  }
  return false;
}
