/**
 * A small, fast, seeded pseudo-random generator (sfc32 seeded through splitmix32).
 * @module
 */

/** A deterministic source of randomness. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** A new independent generator derived from this one and `label`. */
  fork(label: string): Random;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function hashLabel(label: string): number {
  let hash = 2166136261;
  for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * Creates a generator from a numeric seed; the same seed gives the same sequence everywhere.
 *
 * @example Same seed, same sequence
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRandom } from "./prng.ts";
 * const a = createRandom(7), b = createRandom(7);
 * assert.equal(a.next(), b.next());
 * assert.ok(a.int(10) < 10);
 * ```
 */
export function createRandom(seed: number): Random {
  const init = splitmix32(seed);
  let a = init(), b = init(), c = init(), d = init();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    fork: (label: string) =>
      createRandom((hashLabel(label) ^ Math.floor(next() * 4294967296)) >>> 0),
  };
}
