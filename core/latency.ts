/**
 * Latency distributions for simulated links.
 * @module
 */

/** A latency distribution in ms. */
export type Latency =
  | { readonly kind: "constant"; readonly ms: number }
  | { readonly kind: "uniform"; readonly min: number; readonly max: number }
  | { readonly kind: "exponential"; readonly mean: number; readonly min?: number };

/**
 * Draws one latency from `latency` using `random` (a float in [0, 1)).
 *
 * @example Constant and uniform latencies
 * ```ts
 * import assert from "node:assert/strict";
 * import { sampleLatency } from "./latency.ts";
 * assert.equal(sampleLatency({ kind: "constant", ms: 3 }, () => 0.5), 3);
 * assert.equal(sampleLatency({ kind: "uniform", min: 2, max: 4 }, () => 0.5), 3);
 * ```
 */
export function sampleLatency(latency: Latency, random: () => number): number {
  switch (latency.kind) {
    case "constant":
      return latency.ms;
    case "uniform":
      return latency.min + (latency.max - latency.min) * random();
    case "exponential":
      return (latency.min ?? 0) - latency.mean * Math.log(1 - random());
  }
}

/** The largest latency a distribution usually gives (its max, or 3 means for exponential). */
export function latencyBound(latency: Latency): number {
  switch (latency.kind) {
    case "constant":
      return latency.ms;
    case "uniform":
      return latency.max;
    case "exponential":
      return (latency.min ?? 0) + 3 * latency.mean;
  }
}

/**
 * Parses `"5"` (constant), `"1..5"` (uniform) or `"exp:3"` (exponential with mean 3).
 *
 * @example Parse a range
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLatency } from "./latency.ts";
 * assert.deepEqual(parseLatency("1..5"), { kind: "uniform", min: 1, max: 5 });
 * ```
 */
export function parseLatency(text: string): Latency {
  const range = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)$/.exec(text);
  if (range) {
    const min = Number(range[1]), max = Number(range[2]);
    if (min <= max) return { kind: "uniform", min, max };
  }
  const exp = /^exp:(\d+(?:\.\d+)?)$/.exec(text);
  if (exp) return { kind: "exponential", mean: Number(exp[1]) };
  if (/^\d+(?:\.\d+)?$/.test(text)) return { kind: "constant", ms: Number(text) };
  throw new TypeError(
    `Cannot parse latency "${text}": use MS (5), MIN..MAX (1..5) or exp:MEAN (exp:3), in ms`,
  );
}
