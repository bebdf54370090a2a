/**
 * Zipf-distributed key choice: key `i` of `0..keys-1` is drawn with weight `1 / (i + 1)^s`, so a
 * few keys are hot and most are cold, like requests for web pages.
 * @module
 */

/** Draws a key index from a uniform float `u` in [0, 1). */
export type ZipfSampler = (u: number) => number;

/**
 * Builds a sampler over keys `0..keys-1` with Zipf exponent `s` (`0` is uniform; `1` is the
 * classic web workload). Draw a key with `sample(ctx.random())`, so the seed decides the keys.
 *
 * @throws {RangeError} when `keys` is not a whole number >= 1 or `s` is negative.
 * @example Key 0 is the hottest
 * ```ts
 * import assert from "node:assert/strict";
 * import { zipfSampler } from "./zipf.ts";
 * const sample = zipfSampler(100, 1);
 * assert.equal(sample(0), 0);
 * assert.equal(sample(0.999999), 99);
 * const counts = new Array(100).fill(0);
 * for (let i = 0; i < 10_000; i++) counts[sample((i + 0.5) / 10_000)]++;
 * assert.ok(counts[0] > counts[1] && counts[1] > counts[9] && counts[9] > counts[99]);
 * ```
 */
export function zipfSampler(keys: number, s: number): ZipfSampler {
  if (!Number.isInteger(keys) || keys < 1) {
    throw new RangeError(`Cannot build a Zipf sampler over ${keys} keys: give a whole number >= 1`);
  }
  if (!(s >= 0) || !Number.isFinite(s)) {
    throw new RangeError(`Cannot build a Zipf sampler with exponent ${s}: give a number >= 0`);
  }
  const cumulative = new Float64Array(keys);
  let total = 0;
  for (let i = 0; i < keys; i++) {
    total += 1 / Math.pow(i + 1, s);
    cumulative[i] = total;
  }
  return (u: number): number => {
    const target = u * total;
    let lo = 0, hi = keys - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid] > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
