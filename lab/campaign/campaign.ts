/**
 * A fault campaign over one architecture: for each seed, draw a fault schedule, run the
 * architecture in the simulator in-process, judge its invariants, and keep for each failing
 * seed the lab command that replays it.
 * @module
 */
import { UsageError } from "../_flags.ts";
import { type FaultCounts, noFaults, totalFaults } from "./schedule.ts";
import { labCommand } from "./schedule.ts";
import type { CampaignTarget } from "./targets.ts";

/** One seed whose run broke an invariant (or failed). */
export interface CampaignFailure {
  /** The seed. */
  readonly seed: number;
  /** The lab command that replays it. */
  readonly replay: string;
  /** Violations per invariant in this run. */
  readonly counts: Readonly<Record<string, number>>;
  /** What did not hold, one sentence each. */
  readonly problems: readonly string[];
  /** The run's trace digest (empty when the run failed before its summary). */
  readonly digest: string;
}

/** What a campaign over one target found. */
export interface CampaignResult {
  /** The target's name (`group (total)`). */
  readonly name: string;
  /** Seeds run. */
  readonly seeds: number;
  /** First seed. */
  readonly first: number;
  /** Faults injected, by kind, over every seed. */
  readonly faults: FaultCounts;
  /** Faults injected in all. */
  readonly injected: number;
  /** Violations per invariant over every seed (`run failed` counts runs that threw). */
  readonly violations: Record<string, number>;
  /** Seeds that broke an invariant, per invariant. */
  readonly failingSeeds: Record<string, number>;
  /** The failing seeds, in order. */
  readonly failures: CampaignFailure[];
  /** Wall-clock ms the campaign took. */
  readonly wallMs: number;
}

/** Options of {@link runCampaign}. */
export interface RunCampaignOptions {
  /** First seed. @default 1 */
  readonly first?: number;
  /** Flags added to every run and to its replay command (a broken variant). @default none */
  readonly extra?: readonly string[];
  /** Called after each seed (progress). @default none */
  readonly onSeed?: (done: number, failing: number) => void;
}

/** The invariant a run that threw is counted under. */
export const RUN_FAILED = "run failed";

/**
 * Runs `seeds` seeds (`first` .. `first + seeds - 1`) of `target`.
 *
 * @example Three seeds of client-server
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCampaign } from "./campaign.ts";
 * import { CAMPAIGN_TARGETS } from "./targets.ts";
 * const result = await runCampaign(CAMPAIGN_TARGETS["client-server"][0], 3);
 * assert.equal(result.seeds, 3);
 * assert.ok(result.injected > 0);
 * assert.deepEqual(Object.keys(result.violations), ["at-most-once", "acknowledged writes", "run failed"]);
 * ```
 */
export async function runCampaign(
  target: CampaignTarget,
  seeds: number,
  options: RunCampaignOptions = {},
): Promise<CampaignResult> {
  const first = options.first ?? 1;
  const started = performance.now();
  const faults = noFaults();
  const names = [...target.invariants, RUN_FAILED];
  const violations: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const failingSeeds: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const failures: CampaignFailure[] = [];
  for (let seed = first; seed < first + seeds; seed++) {
    const schedule = target.draw(seed);
    for (const [k, v] of Object.entries(schedule.faults)) faults[k as keyof FaultCounts] += v;
    const args = [...schedule.args, ...target.args, ...(options.extra ?? [])];
    let counts: Record<string, number>, problems: string[], digest = "";
    try {
      ({ counts, problems, digest } = await target.run(args));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      counts = { [RUN_FAILED]: 1 };
      problems = [`${RUN_FAILED}: ${message}`];
    }
    for (const [k, n] of Object.entries(counts)) {
      violations[k] += n;
      if (n > 0) failingSeeds[k]++;
    }
    if (problems.length > 0) {
      failures.push({ seed, replay: labCommand(target.command, args), counts, problems, digest });
    }
    options.onSeed?.(seed - first + 1, failures.length);
  }
  return {
    name: target.name,
    seeds,
    first,
    faults,
    injected: totalFaults(faults),
    violations,
    failingSeeds,
    failures,
    wallMs: performance.now() - started,
  };
}
