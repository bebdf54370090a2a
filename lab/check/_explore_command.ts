/**
 * The `--explore` branch of `lab check`: bounds from the flags, the exploration, its report and
 * the command that replays its counterexample.
 * @module
 */
import type { ProcessFn } from "../../core/process.ts";
import {
  intFlag,
  labCommandLine,
  table,
  UsageError,
  withoutFlags,
  withoutViewFlags,
  writeTrace,
} from "../_common.ts";
import { explore, type ExploreReport, replayChoices } from "../explore/explore.ts";
import { explorePlan } from "./explore_check.ts";
import type { Workload } from "./workload.ts";

/** Flags only `--explore` takes. */
export const EXPLORE_FLAGS = {
  explore: { type: "boolean" },
  depth: { type: "string" },
  "max-states": { type: "string" },
  drops: { type: "string" },
  dups: { type: "string" },
  "crash-points": { type: "string" },
  choices: { type: "string" },
} as const;

/** Help lines of {@link EXPLORE_FLAGS}. */
export const EXPLORE_HELP =
  `  --explore              explore every schedule of a tiny configuration (default 2 nodes, 2
                         clients, 2 operations, raw network) instead of one seeded run: every
                         order of deliveries and timers; the checker judges each schedule
  --depth N              with --explore: choice points per path (default 40)
  --max-states N         with --explore: stop after N states (default 200000)
  --time-limit S         with --explore: seconds of wall time to explore (default 60)
  --drops N, --dups N    with --explore: frames lost / duplicated on one path (default 0)
  --crash-points LIST    with --explore: machines that may crash once anywhere (n1.lab,...)
  --choices LIST         with --explore: replay one path (a counterexample's choices, ";")`;

function refuseWithExplore(values: Record<string, unknown>, usage: string): void {
  for (const flag of ["nemesis", "real", "partition", "crash", "svg", "auth"]) {
    const value = values[flag];
    if (value === undefined || value === false || (Array.isArray(value) && value.length === 0)) {
      continue;
    }
    throw new UsageError(
      `Cannot use --${flag} with --explore: exploration chooses the faults itself ` +
        "(--drops, --dups, --crash-points); drop one of the two",
      usage,
    );
  }
}

/** The replay command: the same arguments, `--choices` instead of any earlier one. */
function replayCommand(args: readonly string[], choices: readonly string[]): string {
  const kept = withoutFlags(withoutViewFlags(args), ["choices", "trace"]);
  return labCommandLine(["check", ...kept, "--choices", choices.join(";")]);
}

/** Runs `lab check ... --explore`; returns the exit code. */
export async function runExploreCheck(
  node: ProcessFn,
  workload: Workload,
  values: Record<string, unknown>,
  context: ExploreContext,
): Promise<number> {
  const options = exploreOptions(workload, values, context.usage);
  const plan = explorePlan(node, workload, options);
  if (typeof values.choices === "string") {
    return await replayGiven(plan, workload, values.choices, context);
  }
  const report = await explore(plan.system, plan.options);
  const violation = report.violation;
  if (violation && context.trace) {
    const replay = await replayChoices(plan.system, violation.choices, plan.options);
    await writeTrace(replay.sim.trace, context.trace, { clock: "virtual" });
  }
  const replay = violation && replayCommand(context.args, violation.choices);
  if (context.json) {
    const { violation: _, ...figures } = report;
    console.log(JSON.stringify({
      workload: workload.name,
      valid: violation === undefined,
      explore: figures,
      violation: violation
        ? { message: violation.message, choices: violation.choices, replay }
        : null,
    }));
    return violation ? 1 : 0;
  }
  console.log(
    `lab check ${workload.name} --explore: ${options.nodeCount} nodes, ` +
      `${options.concurrency} clients, ${options.ops} operations`,
  );
  console.log(exploreTable(report));
  if (!violation) {
    console.log(
      `valid in every schedule explored${report.exhausted ? "" : " (within the bounds)"}`,
    );
    return 0;
  }
  console.log(`\nINVALID: ${violation.message}`);
  console.log(`shortest counterexample (${violation.choices.length} choices):`);
  for (const [i, c] of violation.choices.entries()) console.log(`  ${i + 1}. ${c}`);
  if (context.trace) console.log(`trace written to ${context.trace}`);
  console.log(`replay: ${replay}`);
  return 1;
}

/** What the `--explore` branch needs of the command. */
interface ExploreContext {
  args: readonly string[];
  usage: string;
  json: boolean;
  trace?: string;
}

/** The exploration's bounds from the flags, each checked. */
function exploreOptions(
  workload: Workload,
  values: Record<string, unknown>,
  usage: string,
) {
  refuseWithExplore(values, usage);
  if (workload.finalReads) {
    throw new UsageError(
      `Cannot explore workload "${workload.name}": it judges reads made once the nodes have ` +
        "converged, and an asynchronous network gives them no time to; explore echo, " +
        "unique-ids or lin-kv, or run it under seeds without --explore",
      usage,
    );
  }
  const seconds = Number(values["time-limit"] ?? 60);
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(
      `Cannot use --time-limit "${values["time-limit"]}": give seconds > 0`,
      usage,
    );
  }
  const points = typeof values["crash-points"] === "string"
    ? values["crash-points"].split(",").map((m) => m.trim()).filter((m) => m !== "")
    : [];
  const nodeCount = intFlag("node-count", values["node-count"], 2, usage, 1);
  const machines = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}.lab`);
  for (const m of points) {
    if (!machines.includes(m)) {
      throw new UsageError(
        `Cannot use --crash-points: "${m}" is not a node machine; nodes: ${machines.join(", ")}`,
        usage,
      );
    }
  }
  return {
    nodeCount,
    concurrency: intFlag("concurrency", values.concurrency, 2, usage, 1),
    ops: intFlag("ops", values.ops, 2, usage, 0),
    timeout: intFlag("timeout", values.timeout, 1000, usage, 1),
    explore: {
      depth: intFlag("depth", values.depth, 40, usage, 1),
      maxStates: intFlag("max-states", values["max-states"], 200_000, usage, 1),
      timeLimit: seconds * 1000,
      drops: intFlag("drops", values.drops, 0, usage, 0),
      duplicates: intFlag("dups", values.dups, 0, usage, 0),
      crash: points,
    },
  };
}

/** `--choices`: replays the one schedule given and reports its verdict. */
async function replayGiven(
  plan: ReturnType<typeof explorePlan>,
  workload: Workload,
  given: string,
  context: ExploreContext,
): Promise<number> {
  const choices = given.split(";").map((c) => c.trim()).filter((c) => c !== "");
  const replay = await replayChoices(plan.system, choices, plan.options);
  if (context.trace) await writeTrace(replay.sim.trace, context.trace, { clock: "virtual" });
  const verdict = replay.violation;
  if (context.json) {
    console.log(
      JSON.stringify({
        workload: workload.name,
        valid: !verdict,
        choices,
        violation: verdict ?? null,
      }),
    );
  } else {
    console.log(`lab check ${workload.name} --explore: replayed ${choices.length} choices`);
    console.log(verdict === undefined ? "valid" : `INVALID: ${verdict}`);
    if (context.trace) console.log(`trace written to ${context.trace}`);
  }
  return verdict === undefined ? 0 : 1;
}

/** The exploration's figures as a table. */
function exploreTable(report: ExploreReport): string {
  const violation = report.violation;
  return table([
    ["states explored", `${report.states} (${report.distinct} distinct)`],
    ["schedules run", report.runs],
    ["depth reached", report.depth],
    [
      "exhausted",
      report.exhausted
        ? "yes"
        : violation
        ? "no: stopped at the shortest counterexample"
        : "no (bounds hit)",
    ],
    ["wall time", `${(report.elapsedMs / 1000).toFixed(2)} s`],
  ]);
}
