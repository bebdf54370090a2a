/**
 * Churn plans: which peers leave (gracefully or by crashing) and how many new ones join, round
 * by round, drawn from a seed so that a run replays.
 * @module
 */
import { createRandom } from "../core/prng.ts";

/** One departure: initial peer `index` leaves at `at` ms, by crashing or gracefully. */
export interface Departure {
  /** Index of the initial peer. */
  readonly index: number;
  /** When it leaves (ms). */
  readonly at: number;
  /** It crashes (else it leaves gracefully). */
  readonly crash: boolean;
}

/** One arrival: a new peer, numbered after the initial ones, joins at `at` ms. */
export interface Arrival {
  /** Index of the new peer. */
  readonly index: number;
  /** When it joins (ms). */
  readonly at: number;
}

/** A churn plan. */
export interface ChurnPlan {
  /** Peers that leave. */
  readonly departures: readonly Departure[];
  /** Peers that join. */
  readonly arrivals: readonly Arrival[];
  /** Time of the last event (0 when there is none). */
  readonly until: number;
}

/** Options of {@link planChurn}. */
export interface ChurnOptions {
  /** Chance per round that each present peer leaves; each departure brings a new peer. @default 0 */
  readonly rate?: number;
  /** Rounds during which churn happens, from round 1. @default 5 */
  readonly rounds?: number;
  /** Round length in ms. @default 100 */
  readonly period?: number;
  /** Seed of the draw. @default 1 */
  readonly seed?: number;
  /** Initial peers that never leave (the first `keep`). @default 1 */
  readonly keep?: number;
}

/**
 * Plans churn among `n` initial peers: in each churn round every present initial peer leaves
 * with probability `rate` (every other departure is a crash) and as many new peers join, half a
 * round later.
 *
 * @throws {RangeError} when `rate` is not in [0, 1] or `n` is not a positive integer.
 * @example A replayable plan
 * ```ts
 * import assert from "node:assert/strict";
 * import { planChurn } from "./churn.ts";
 * const plan = planChurn(20, { rate: 0.1, rounds: 3, seed: 7 });
 * assert.deepEqual(plan, planChurn(20, { rate: 0.1, rounds: 3, seed: 7 }));
 * assert.equal(plan.departures.length, plan.arrivals.length);
 * assert.ok(plan.departures.every((d) => d.index >= 1 && d.index < 20));
 * ```
 */
export function planChurn(n: number, options: ChurnOptions = {}): ChurnPlan {
  const rate = options.rate ?? 0;
  if (!(rate >= 0 && rate <= 1)) {
    throw new RangeError(`Cannot plan churn: rate ${rate} must be between 0 and 1`);
  }
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot plan churn: ${n} peers is not a positive whole number`);
  }
  const rounds = options.rounds ?? 5, period = options.period ?? 100;
  const keep = options.keep ?? 1;
  const random = createRandom(options.seed ?? 1).fork("churn");
  const present = new Set<number>();
  for (let i = keep; i < n; i++) present.add(i);
  const departures: Departure[] = [], arrivals: Arrival[] = [];
  let next = n, until = 0;
  for (let round = 1; round <= rounds && rate > 0; round++) {
    for (const index of [...present]) {
      if (random.next() >= rate) continue;
      present.delete(index);
      const at = round * period + period / 4;
      departures.push({ index, at, crash: departures.length % 2 === 0 });
      arrivals.push({ index: next++, at: at + period / 2 });
      until = at + period / 2;
    }
  }
  return { departures, arrivals, until };
}
