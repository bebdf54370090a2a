/**
 * Delta debugging (Zeller's ddmin): the smallest subset of a failing input that still fails, in
 * the sense that removing any single element makes it pass (1-minimal), found by testing chunks
 * and their complements at growing granularity.
 * @module
 */

/** Options of {@link ddmin}. */
export interface DdminOptions {
  /** Tests at most; past it the smallest failing set so far is returned. @default 1000 */
  readonly maxTests?: number;
}

/** What {@link ddmin} found. */
export interface DdminResult<T> {
  /** The smallest failing subset found, in the input's order. */
  readonly items: T[];
  /** Tests run. */
  readonly tests: number;
  /** Whether it is 1-minimal (no test budget ran out). */
  readonly minimal: boolean;
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  const size = items.length / n;
  for (let i = 0; i < n; i++) {
    out.push(items.slice(Math.round(i * size), Math.round((i + 1) * size)));
  }
  return out.filter((c) => c.length > 0);
}

/**
 * Reduces `items` (which fail `fails`) to a 1-minimal failing subset.
 *
 * @example The two culprits among ten
 * ```ts
 * import assert from "node:assert/strict";
 * import { ddmin } from "./ddmin.ts";
 * const items = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
 * const result = await ddmin(items, (s) => Promise.resolve(s.includes(3) && s.includes(8)));
 * assert.deepEqual(result.items, [3, 8]);
 * assert.ok(result.minimal);
 * ```
 */
export async function ddmin<T>(
  items: readonly T[],
  fails: (subset: T[]) => Promise<boolean>,
  options: DdminOptions = {},
): Promise<DdminResult<T>> {
  const maxTests = options.maxTests ?? 1000;
  let tests = 0;
  const test = (subset: T[]) => {
    tests++;
    return fails(subset);
  };
  let current = [...items];
  if (current.length > 0 && await test([])) return { items: [], tests, minimal: true };
  let n = 2;
  while (current.length >= 2) {
    if (tests >= maxTests) return { items: current, tests, minimal: false };
    const parts = chunks(current, Math.min(n, current.length));
    let reduced = false;
    for (const part of parts) {
      if (parts.length > 2 && part.length < current.length && await test(part)) {
        current = part;
        n = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      for (const part of parts) {
        const complement = current.filter((item) => !part.includes(item));
        if (await test(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(current.length, 2 * n);
    }
  }
  return { items: current, tests, minimal: true };
}
