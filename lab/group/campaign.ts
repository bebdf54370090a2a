/**
 * A fault campaign for group communication: random fault schedules (drop, duplicate, reorder,
 * latency spread, one- and two-way partitions, crashes with restart of members and of the
 * membership service's machine), each drawn from the runtime's seeded generator, run through
 * `lab group --sim` and judged by the view and order checkers. Every failing schedule comes with
 * the lab command that replays it.
 * @module
 */
import type { GroupOrder } from "../../groups/types.ts";
import { createRandom } from "../../core/prng.ts";
import { parseGroupArgs } from "./command.ts";
import { groupRun } from "./_run.ts";
import { labCommandLine } from "../_flags.ts";

/** One random fault schedule, as `lab group` flags. */
export interface GroupSchedule {
  /** Seed of the schedule and of the simulator. */
  readonly seed: number;
  /** The group's order. */
  readonly order: GroupOrder;
  /** The flags after `deno task lab group`, `--sim` and `--seed` included. */
  readonly args: readonly string[];
  /** Crashes in the schedule. */
  readonly crashes: number;
  /** Crashes followed by a restart. */
  readonly restarts: number;
  /** Whether the membership service's machine g0.lab crashes and restarts. */
  readonly service: boolean;
  /** Partitions in the schedule, and how many of them cut one way only. */
  readonly partitions: number;
  /** One-way partitions among them. */
  readonly oneWay: number;
}

/** Members of a campaign's group (machines m1.lab ... m4.lab; the service is on g0.lab). */
const MEMBERS = 4;

/**
 * Ms from the start in which faults begin: the members join, multicast and start leaving in
 * about the first 250 ms (200 ms later when the schedule restarts the service, which then
 * waits that long before it creates the group).
 */
const ACTIVE = 250;

function fixed(x: number): string {
  return String(Math.round(x * 1000) / 1000);
}

/**
 * Draws the fault schedule of `seed` (the same for every order): each of drop, duplicate and
 * reorder is on with probability 1/2 (up to 0.25, 0.2 and 0.3), a latency spread 1..5-30 ms one
 * time in three, zero to two partitions (one-way or two-way, between any two machines), and one
 * or two crashes of distinct machines while the members multicast, the membership service's
 * machine g0.lab one time in five; nine crashes in ten restart 5 to 150 ms later.
 *
 * @example A schedule is a replayable list of flags
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawGroupSchedule } from "./campaign.ts";
 * const schedule = drawGroupSchedule(7, "total");
 * assert.deepEqual(schedule, drawGroupSchedule(7, "total"));
 * assert.deepEqual(schedule.args.slice(0, 5), ["--sim", "--seed", "7", "--order", "total"]);
 * assert.ok(schedule.crashes >= 1);
 * ```
 */
export function drawGroupSchedule(seed: number, order: GroupOrder): GroupSchedule {
  const random = createRandom(seed);
  const between = (lo: number, hi: number) => lo + random.next() * (hi - lo);
  const args = ["--sim", "--seed", String(seed), "--order", order];
  if (random.next() < 0.5) args.push("--drop", fixed(between(0.001, 0.25)));
  if (random.next() < 0.5) args.push("--dup", fixed(between(0.001, 0.2)));
  if (random.next() < 0.5) args.push("--reorder", fixed(between(0.001, 0.3)));
  if (random.next() < 1 / 3) args.push("--delay", `1..${Math.round(between(5, 30))}`);
  const machines = ["g0.lab", ...Array.from({ length: MEMBERS }, (_, i) => `m${i + 1}.lab`)];
  const partitions = random.int(3);
  let oneWay = 0;
  for (let i = 0; i < partitions; i++) {
    const a = machines[random.int(machines.length)];
    const others = machines.filter((m) => m !== a);
    const b = others[random.int(others.length)];
    const at = Math.round(between(0, ACTIVE));
    const until = at + Math.round(between(10, 150));
    const cut = random.next() < 0.5 ? "->" : "|";
    if (cut === "->") oneWay++;
    args.push("--partition", `${a}${cut}${b}@${at}..${until}`);
  }
  const crashes = 1 + random.int(2);
  let restarts = 0;
  const crashed = new Set<string>();
  for (let i = 0; i < crashes; i++) {
    const members = machines.slice(1).filter((m) => !crashed.has(m));
    const machine = !crashed.has("g0.lab") && random.next() < 0.2
      ? "g0.lab"
      : members[random.int(members.length)];
    crashed.add(machine);
    const at = Math.round(between(0, ACTIVE));
    const restart = machine === "g0.lab" || random.next() < 0.9;
    if (restart) restarts++;
    args.push(
      "--crash",
      restart ? `${machine}@${at}..${at + Math.round(between(5, 150))}` : `${machine}@${at}`,
    );
  }
  const service = crashed.has("g0.lab");
  return { seed, order, args, crashes, restarts, service, partitions, oneWay };
}

/** The command line that replays `schedule`. */
export function replayCommand(schedule: GroupSchedule): string {
  return labCommandLine(["group", ...schedule.args]);
}

/** One failing schedule of a campaign. */
export interface CampaignFailure {
  /** The schedule. */
  readonly schedule: GroupSchedule;
  /** The lab command that replays it. */
  readonly replay: string;
  /** What did not hold. */
  readonly problems: readonly string[];
}

/** A schedule in which members were stopped while still running (not a violation). */
export interface CampaignExclusion {
  /** The lab command that replays it. */
  readonly replay: string;
  /** The members stopped, and why (`removed`: taken for crashed). */
  readonly members: readonly string[];
}

/** What a campaign found. */
export interface CampaignResult {
  /** The order judged. */
  readonly order: GroupOrder;
  /** Schedules run. */
  readonly runs: number;
  /** Crashes injected, restarts among them, restarts of the service, and partitions. */
  readonly faults: {
    crashes: number;
    restarts: number;
    serviceRestarts: number;
    partitions: number;
  };
  /**
   * Schedules in which members were stopped while still running: a member the service could not
   * hear from for a suspicion period (behind a lossy link, or a restarted service) is taken for
   * crashed and removed, which virtual synchrony allows but the campaign reports.
   */
  readonly excluded: CampaignExclusion[];
  /** The schedules that broke a promise. */
  readonly failures: CampaignFailure[];
}

/** Options of {@link runGroupCampaign}. */
export interface CampaignOptions {
  /** First seed. @default 1 */
  readonly first?: number;
  /** Called after each schedule (progress). @default none */
  readonly onRun?: (schedule: GroupSchedule, problems: readonly string[]) => void;
}

/**
 * Runs `seeds` schedules (seeds `first` .. `first + seeds - 1`) of `order` in the simulator and
 * judges each.
 *
 * @example Three schedules of a FIFO group
 * ```ts
 * import assert from "node:assert/strict";
 * import { runGroupCampaign } from "./campaign.ts";
 * const result = await runGroupCampaign("fifo", 3);
 * assert.equal(result.runs, 3);
 * assert.deepEqual(result.failures.map((f) => f.replay), []);
 * ```
 */
export async function runGroupCampaign(
  order: GroupOrder,
  seeds: number,
  options: CampaignOptions = {},
): Promise<CampaignResult> {
  const first = options.first ?? 1;
  const failures: CampaignFailure[] = [];
  const faults = { crashes: 0, restarts: 0, serviceRestarts: 0, partitions: 0 };
  const excluded: CampaignExclusion[] = [];
  for (let seed = first; seed < first + seeds; seed++) {
    const schedule = drawGroupSchedule(seed, order);
    faults.crashes += schedule.crashes;
    faults.restarts += schedule.restarts;
    if (schedule.service) faults.serviceRestarts++;
    faults.partitions += schedule.partitions;
    const run = await groupRun(parseGroupArgs([...schedule.args, "--quiet"])!);
    const replay = replayCommand(schedule);
    if (run.check.excluded.length > 0) excluded.push({ replay, members: run.check.excluded });
    if (run.problems.length > 0) failures.push({ schedule, replay, problems: run.problems });
    options.onRun?.(schedule, run.problems);
  }
  return { order, runs: seeds, faults, excluded, failures };
}
