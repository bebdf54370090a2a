/**
 * Random fault schedules for `lab campaign`: drawn from a seed with the runtime's seeded
 * generator, written as the lab's own fault flags (`--drop`, `--dup`, `--reorder`, `--delay`,
 * `--partition`, `--crash`) so that a schedule is the command line that replays it.
 * @module
 */
import { createRandom, type Random } from "../../core/prng.ts";
import { labCommandLine } from "../_flags.ts";

/** Where and when an architecture's faults may fall. */
export interface FaultProfile {
  /** Machines partitions may cut apart. */
  readonly machines: readonly string[];
  /** Machines that may crash (a subset of `machines`). */
  readonly crashable: readonly string[];
  /** Ms from the start in which faults begin (about how long the workload runs). */
  readonly window: number;
  /** Crashes per schedule: from `crashes[0]` to `crashes[1]` (distinct machines). */
  readonly crashes: readonly [number, number];
  /** Largest latency spread `--delay 1..MAX` in ms. @default 30 */
  readonly maxDelay?: number;
  /** Whether the command takes `--skew` (clock skew). @default true */
  readonly skew?: boolean;
}

/** The faults one schedule injects, by kind. */
export interface FaultCounts {
  /** Frame loss (`--drop`): 1 when on. */
  drop: number;
  /** Duplication (`--dup`): 1 when on. */
  dup: number;
  /** Reordering (`--reorder`): 1 when on. */
  reorder: number;
  /** A latency spread (`--delay`): 1 when on. */
  delay: number;
  /** Two-way partitions. */
  partitions: number;
  /** One-way partitions. */
  oneWay: number;
  /** Crashes, restarted or not. */
  crashes: number;
  /** Crashes followed by a restart. */
  restarts: number;
  /** Machines whose clock is skewed. */
  skews: number;
}

/** One drawn schedule: its seed, its flags, what it injects. */
export interface FaultSchedule {
  /** Seed of the schedule and of the simulator run. */
  readonly seed: number;
  /** The flags, `--sim --seed N` first. */
  readonly args: readonly string[];
  /** The faults by kind. */
  readonly faults: FaultCounts;
}

/**
 * No fault at all.
 *
 * @example Every count is 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { noFaults, totalFaults } from "./schedule.ts";
 * assert.equal(totalFaults(noFaults()), 0);
 * ```
 */
export function noFaults(): FaultCounts {
  return {
    drop: 0,
    dup: 0,
    reorder: 0,
    delay: 0,
    partitions: 0,
    oneWay: 0,
    crashes: 0,
    restarts: 0,
    skews: 0,
  };
}

/**
 * How many faults `counts` injects (a restart is part of its crash, not a fault of its own).
 *
 * @example A drop and a crash
 * ```ts
 * import assert from "node:assert/strict";
 * import { noFaults, totalFaults } from "./schedule.ts";
 * assert.equal(totalFaults({ ...noFaults(), drop: 1, crashes: 1, restarts: 1 }), 2);
 * ```
 */
export function totalFaults(counts: FaultCounts): number {
  const c = counts;
  return c.drop + c.dup + c.reorder + c.delay + c.partitions + c.oneWay + c.crashes + c.skews;
}

function fixed(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/**
 * Draws the schedule of `seed` for `profile`: drop, duplicate and reorder each on with
 * probability 1/2 (up to 0.25, 0.2 and 0.3), a latency spread one time in three, zero to two
 * partitions (one-way or two-way, between two machines, healing 10 to 150 ms later), and crashes
 * of distinct machines within the profile's window, nine in ten restarting 5 to 150 ms later;
 * then, where the command takes `--skew`, clock skews ({@link drawSkews}).
 *
 * @example A schedule is a replayable list of flags
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawSchedule } from "./schedule.ts";
 * const profile = { machines: ["m1.lab", "m2.lab"], crashable: ["m1.lab"], window: 100, crashes: [1, 1] } as const;
 * const schedule = drawSchedule(7, profile);
 * assert.deepEqual(schedule, drawSchedule(7, profile));
 * assert.deepEqual(schedule.args.slice(0, 3), ["--sim", "--seed", "7"]);
 * assert.equal(schedule.faults.crashes, 1);
 * assert.ok(schedule.args.some((a) => a.startsWith("m1.lab@")));
 * ```
 */
export function drawSchedule(seed: number, profile: FaultProfile): FaultSchedule {
  const random = createRandom(seed);
  const between = (lo: number, hi: number) => lo + random.next() * (hi - lo);
  const args = ["--sim", "--seed", String(seed)];
  const faults = noFaults();
  const maybe = (flag: string, key: "drop" | "dup" | "reorder", max: number) => {
    if (random.next() >= 0.5) return;
    args.push(flag, fixed(between(0.001, max)));
    faults[key] = 1;
  };
  maybe("--drop", "drop", 0.25);
  maybe("--dup", "dup", 0.2);
  maybe("--reorder", "reorder", 0.3);
  if (random.next() < 1 / 3) {
    args.push("--delay", `1..${Math.round(between(5, profile.maxDelay ?? 30))}`);
    faults.delay = 1;
  }
  const machines = profile.machines;
  const partitions = machines.length < 2 ? 0 : random.int(3);
  for (let i = 0; i < partitions; i++) {
    const a = machines[random.int(machines.length)];
    const others = machines.filter((m) => m !== a);
    const b = others[random.int(others.length)];
    const at = Math.round(between(0, profile.window));
    const until = at + Math.round(between(10, 150));
    const oneWay = random.next() < 0.5;
    if (oneWay) faults.oneWay++;
    else faults.partitions++;
    args.push("--partition", `${a}${oneWay ? "->" : "|"}${b}@${at}..${until}`);
  }
  const [lo, hi] = profile.crashes;
  const crashes = Math.min(profile.crashable.length, lo + random.int(hi - lo + 1));
  const left = [...profile.crashable];
  for (let i = 0; i < crashes; i++) {
    const [machine] = left.splice(random.int(left.length), 1);
    const at = Math.round(between(0, profile.window));
    const restart = random.next() < 0.9;
    faults.crashes++;
    if (restart) faults.restarts++;
    args.push(
      "--crash",
      restart ? `${machine}@${at}..${at + Math.round(between(5, 150))}` : `${machine}@${at}`,
    );
  }
  if (profile.skew !== false) {
    const skews = drawSkews(random, machines);
    args.push(...skews.flatMap((s) => ["--skew", s]));
    faults.skews = skews.length;
  }
  return { seed, args, faults };
}

/**
 * Clock skews, one time in three: one or two machines whose clock is up to 50 ms ahead or
 * behind and runs up to 5% fast or slow, as `--skew` values.
 *
 * @example Skews name the machines given
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRandom } from "../../core/prng.ts";
 * import { drawSkews } from "./schedule.ts";
 * const random = createRandom(3);
 * for (let i = 0; i < 20; i++) {
 *   for (const skew of drawSkews(random, ["m1.lab"])) assert.match(skew, /^m1\.lab:-?\d+:-?[\d.]+$/);
 * }
 * ```
 */
export function drawSkews(random: Random, machines: readonly string[]): string[] {
  if (random.next() >= 1 / 3 || machines.length === 0) return [];
  const left = [...machines];
  const n = Math.min(left.length, 1 + random.int(2));
  const skews: string[] = [];
  for (let i = 0; i < n; i++) {
    const [machine] = left.splice(random.int(left.length), 1);
    const offset = Math.round((random.next() * 2 - 1) * 50);
    const drift = Math.round((random.next() * 2 - 1) * 50) / 1000;
    skews.push(`${machine}:${offset}:${drift}`);
  }
  return skews;
}

/**
 * The shell command that runs `args` with `deno task lab ARCH`, quoting what a shell would
 * split or expand (`->`, `|`).
 *
 * @example A partition is quoted
 * ```ts
 * import assert from "node:assert/strict";
 * import { labCommand } from "./schedule.ts";
 * assert.equal(
 *   labCommand("p2p", ["--sim", "--partition", "p0.lab|p1.lab@0..20"]),
 *   "deno task lab p2p --sim --partition 'p0.lab|p1.lab@0..20'",
 * );
 * ```
 */
export function labCommand(arch: string, args: readonly string[]): string {
  return labCommandLine([arch, ...args]);
}
