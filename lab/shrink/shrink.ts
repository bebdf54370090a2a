/**
 * Shrinking a failing run: the fault schedule by delta debugging, then each workload size
 * (operations, clients) down while the run still fails, and the faults again when a size
 * changed, until no single fault can be removed and no size lowered by one.
 * @module
 */
import { ddmin } from "./ddmin.ts";
import type { Fault } from "./fault_schedule.ts";

/** A workload size that shrinking may lower. */
export interface ShrinkSize {
  /** Its value in the failing run. */
  readonly value: number;
  /** The least it may become. */
  readonly min: number;
}

/** A candidate run: a schedule and the sizes. */
export interface ShrinkCandidate {
  /** The faults. */
  readonly faults: readonly Fault[];
  /** The sizes, by name (`ops`, `concurrency`). */
  readonly sizes: Readonly<Record<string, number>>;
}

/** Options of {@link shrink}. */
export interface ShrinkOptions {
  /** Test runs at most. @default 400 */
  readonly maxTests?: number;
  /** Wall ms at most. @default 120_000 */
  readonly timeLimit?: number;
}

/** What {@link shrink} found. */
export interface ShrinkResult extends ShrinkCandidate {
  /** Test runs. */
  readonly tests: number;
  /** Whether no single fault can be removed and no size lowered (no budget ran out). */
  readonly minimal: boolean;
}

/**
 * Shrinks a failing candidate; `fails` re-runs one (under the same seed) and says whether it
 * still fails the same way.
 *
 * @example Two faults and three operations are needed
 * ```ts
 * import assert from "node:assert/strict";
 * import { shrink } from "./shrink.ts";
 * const faults = [1, 2, 3, 4, 5, 6].map((n) => ({ kind: "drop" as const, frame: `a>b#${n}` }));
 * const has = (c: { faults: readonly { kind: string }[] }, frame: string) =>
 *   c.faults.some((f) => "frame" in f && f.frame === frame);
 * const result = await shrink(
 *   { faults, sizes: { ops: 20 } },
 *   { ops: { value: 20, min: 1 } },
 *   (c) => Promise.resolve(has(c, "a>b#2") && has(c, "a>b#5") && c.sizes.ops >= 3),
 * );
 * assert.deepEqual(result.faults.map((f) => "frame" in f && f.frame), ["a>b#2", "a>b#5"]);
 * assert.deepEqual(result.sizes, { ops: 3 });
 * assert.ok(result.minimal);
 * ```
 */
export async function shrink(
  start: ShrinkCandidate,
  bounds: Readonly<Record<string, ShrinkSize>>,
  fails: (candidate: ShrinkCandidate) => Promise<boolean>,
  options: ShrinkOptions = {},
): Promise<ShrinkResult> {
  const maxTests = options.maxTests ?? 400;
  const deadline = performance.now() + (options.timeLimit ?? 120_000);
  let tests = 0, minimal = true;
  let faults = [...start.faults];
  const sizes: Record<string, number> = { ...start.sizes };
  const out = () => tests >= maxTests || performance.now() > deadline;
  const test = async (candidate: ShrinkCandidate) => {
    tests++;
    return await fails(candidate);
  };
  for (let round = 0; round < 4; round++) {
    const reduced = await ddmin(faults, (subset) => test({ faults: subset, sizes }), {
      maxTests: Math.max(0, maxTests - tests),
    });
    faults = reduced.items;
    if (!reduced.minimal || out()) {
      minimal = false;
      break;
    }
    let changed = false;
    for (const [name, bound] of Object.entries(bounds)) {
      while (sizes[name] > bound.min && !out()) {
        const v = sizes[name], half = Math.max(bound.min, Math.floor(v / 2));
        if (half < v - 1 && await test({ faults, sizes: { ...sizes, [name]: half } })) {
          sizes[name] = half;
        } else if (await test({ faults, sizes: { ...sizes, [name]: v - 1 } })) {
          sizes[name] = v - 1;
        } else break;
        changed = true;
      }
    }
    if (out()) minimal = false;
    if (!changed || !minimal) break;
  }
  return { faults, sizes, tests, minimal };
}
