/**
 * `deno task lab explore ARCH`: explores every schedule of a small configuration of a built-in
 * architecture within bounds, prints what it explored and the shortest counterexample with its
 * replay command; `--choices` replays one.
 * @module
 */
import { intFlag, openFlags, table, UsageError, writeTrace } from "../_common.ts";
import { didYouMean, labCommandLine, withoutFlags, withoutViewFlags } from "../_flags.ts";
import { checkTracePath } from "../diagram/trace_path.ts";
import { ARCHITECTURES, type ExplorableArchitecture } from "./architectures.ts";
import { explore, type ExploreOptions, type ExploreReport, replayChoices } from "./explore.ts";
import { serveStepper } from "./step_server.ts";

const USAGE = `Usage: deno task lab explore ARCH [flags]

Explores every schedule of a small configuration in the simulator: every order of the pending
deliveries and timers, frames lost or duplicated within a budget, crash points, re-running from
the start for each prefix of choices. States already seen are skipped, and deliveries on
different machines commute (one order is explored). Prints the states explored, whether the
space was exhausted, and the shortest counterexample found, with the command that replays it.
Exit 0 when no violation was found, 1 when one was.

Runs on: the deterministic simulator only (each schedule is a simulated run from the start).

Architectures:
${Object.entries(ARCHITECTURES).map(([name, a]) => `  ${name.padEnd(17)} ${a.summary}`).join("\n")}

Flags:
  --broken           explore the deliberately broken variant (see below)
  --depth N          choice points per path (default: per architecture)
  --max-states N     stop after visiting N states (default 200000)
  --time-limit S     stop after S seconds of wall time (default 60)
  --drops N          frames that may be lost on one path (default: per architecture)
  --dups N           frames that may be duplicated on one path (default: per architecture)
  --choices LIST     replay one path: the choices a counterexample lists, separated by ";"
  --trace FILE       write the counterexample's (or the replay's) trace (.jsonl, .html, .svg)
  --json             print one JSON object on stdout and nothing else there
  --ui               step by hand in the browser: serves a page on 127.0.0.1 listing what may
                     happen next (deliver, fire, drop, duplicate), every process's mailbox and
                     last log lines, with Back and, when exploration found one, the
                     counterexample; Ctrl-C stops it (lab step FILE.ts does it for your file)
  --port N           with --ui: the port (default: a free one)
  -h, --help         this help

Broken variants:
${Object.entries(ARCHITECTURES).map(([name, a]) => `  ${name.padEnd(17)} ${a.broken}`).join("\n")}

Examples:
  deno task lab explore 2pc
  deno task lab explore 2pc --broken --trace cex.jsonl
  deno task lab explore client-server --broken --depth 10
  deno task lab explore reliable-channel --time-limit 10
  deno task lab explore 2pc --broken --ui`;

function architecture(name: string | undefined): ExplorableArchitecture {
  if (name === undefined) throw new UsageError("Cannot explore: give an architecture", USAGE);
  const arch = ARCHITECTURES[name];
  if (arch !== undefined) return arch;
  const guess = didYouMean(name, Object.keys(ARCHITECTURES));
  throw new UsageError(
    `Cannot explore "${name}": unknown architecture${guess ? `; did you mean "${guess}"?` : ""}; ` +
      `known: ${Object.keys(ARCHITECTURES).join(", ")}`,
    USAGE,
  );
}

function bounds(
  values: Record<string, unknown>,
  defaults: ExploreOptions<unknown>,
): ExploreOptions<unknown> {
  const seconds = Number(values["time-limit"] ?? 60);
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(
      `Cannot use --time-limit "${values["time-limit"]}": give seconds > 0`,
      USAGE,
    );
  }
  return {
    ...defaults,
    depth: intFlag("depth", values.depth, defaults.depth ?? 40, USAGE, 1),
    maxStates: intFlag("max-states", values["max-states"], 200_000, USAGE, 1),
    timeLimit: seconds * 1000,
    drops: intFlag("drops", values.drops, defaults.drops ?? 0, USAGE, 0),
    duplicates: intFlag("dups", values.dups, defaults.duplicates ?? 0, USAGE, 0),
  };
}

/** The command that replays `choices` with the same bounds. */
function replayCommand(args: readonly string[], choices: readonly string[]): string {
  const kept = withoutFlags(withoutViewFlags(args), ["choices", "trace"]);
  return labCommandLine(["explore", ...kept, "--choices", choices.join(";")]);
}

function describe(report: ExploreReport): string {
  return table([
    ["states explored", `${report.states} (${report.distinct} distinct)`],
    ["schedules run", report.runs],
    ["depth reached", report.depth],
    [
      "exhausted",
      report.exhausted
        ? "yes, every path within the bounds"
        : report.violation
        ? "no: stopped once the shortest counterexample was certain"
        : "no (bounds hit)",
    ],
    ["wall time", `${(report.elapsedMs / 1000).toFixed(2)} s`],
  ]);
}

/** Explores, then serves the stepping page (with the counterexample, if any) until Ctrl-C. */
async function serveUi(
  name: string,
  system: (sim: Parameters<ExplorableArchitecture["build"]>[0]) => unknown,
  options: ExploreOptions<unknown>,
  port: number,
): Promise<number> {
  const report = await explore(system, options);
  const server = serveStepper(system, {
    title: name,
    port,
    explore: options,
    counterexample: report.violation?.choices,
  });
  // The listener is in place before the URL invites Ctrl-C.
  const interrupted = new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
  });
  console.log(`lab explore ${name}: step by hand at ${server.url} (Ctrl-C stops)`);
  if (report.violation) {
    console.log(`a counterexample is there to jump to: ${report.violation.message}`);
  }
  await interrupted;
  await server.close();
  return 0;
}

/** How a replay or an exploration was asked for: the variant, the bounds, the trace file. */
interface Asked {
  readonly broken: boolean;
  readonly options: ExploreOptions<unknown>;
  readonly trace: string | undefined;
}

/** `--choices LIST`: replays one path and prints whether it violates; returns the exit code. */
async function replayOne(
  name: string,
  system: (sim: Parameters<ExplorableArchitecture["build"]>[0]) => unknown,
  asked: Asked & { readonly choices: string; readonly json: boolean },
): Promise<number> {
  const { broken, options, trace } = asked;
  const choices = asked.choices.split(";").map((c) => c.trim()).filter((c) => c !== "");
  const replay = await replayChoices(system, choices, options);
  if (trace) await writeTrace(replay.sim.trace, trace, { clock: "virtual" });
  if (asked.json) {
    console.log(
      JSON.stringify({ arch: name, broken, choices, violation: replay.violation ?? null }),
    );
  } else {
    console.log(`lab explore ${name}: replayed ${choices.length} choices`);
    console.log(
      replay.violation === undefined ? "no violation" : `VIOLATION: ${replay.violation}`,
    );
    if (trace) console.log(`trace written to ${trace}`);
  }
  return replay.violation === undefined ? 0 : 1;
}

/** `--json`: the exploration's figures and its counterexample (with the replay command). */
function printJson(
  name: string,
  broken: boolean,
  report: ExploreReport,
  replay: string | undefined,
): void {
  const { violation, ...figures } = report;
  console.log(JSON.stringify({
    arch: name,
    broken,
    ...figures,
    violation: violation
      ? { message: violation.message, choices: violation.choices, depth: violation.depth, replay }
      : null,
  }));
}

/** The exploration for a reader: figures, then the verdict; returns the exit code. */
function printReport(
  name: string,
  arch: ExplorableArchitecture,
  asked: Asked & { readonly report: ExploreReport; readonly replay: string | undefined },
): number {
  const { broken, options, trace, report, replay } = asked;
  const violation = report.violation;
  console.log(`lab explore ${name}${broken ? " (broken variant)" : ""}: ${arch.summary}`);
  console.log(describe(report));
  if (!violation) {
    console.log(
      report.exhausted
        ? "no violation"
        : `no violation within the bounds explored (paths of ${options.depth} choices, then the ` +
          "seeded order; raise --depth or --time-limit to look further)",
    );
    return 0;
  }
  console.log(`\nVIOLATION: ${violation.message}`);
  console.log(`shortest counterexample (${violation.choices.length} choices):`);
  for (const [i, c] of violation.choices.entries()) console.log(`  ${i + 1}. ${c}`);
  if (trace) console.log(`trace written to ${trace}`);
  console.log(`replay: ${replay}`);
  return 1;
}

/**
 * Runs `lab explore` with `args`; returns the exit code (0 no violation, 1 violation).
 *
 * @example The correct two-phase commit, exhausted
 * ```ts
 * import assert from "node:assert/strict";
 * import { runExplore } from "./command.ts";
 * const log = console.log;
 * const lines: string[] = [];
 * console.log = (line: string) => lines.push(line);
 * try {
 *   assert.equal(await runExplore(["2pc", "--json"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * assert.equal(JSON.parse(lines[0]).exhausted, true);
 * ```
 */
export async function runExplore(args: string[]): Promise<number> {
  const opened = openFlags(args, {
    help: { type: "boolean", short: "h" },
    broken: { type: "boolean" },
    depth: { type: "string" },
    "max-states": { type: "string" },
    "time-limit": { type: "string" },
    drops: { type: "string" },
    dups: { type: "string" },
    choices: { type: "string" },
    trace: { type: "string" },
    json: { type: "boolean" },
    ui: { type: "boolean" },
    port: { type: "string" },
  }, USAGE);
  if (opened === undefined) return 0;
  const { values, positionals } = opened;
  if (positionals.length > 1) {
    throw new UsageError(
      `Cannot explore: give one architecture, not ${positionals.join(" ")}`,
      USAGE,
    );
  }
  const name = positionals[0];
  const arch = architecture(name);
  const broken = values.broken === true;
  const options = bounds(values, arch.defaults(broken));
  const system = (sim: Parameters<typeof arch.build>[0]) => arch.build(sim, broken);
  const trace = typeof values.trace === "string" ? values.trace : undefined;
  if (trace !== undefined) {
    if (values.ui === true) {
      throw new UsageError(
        "Cannot use --trace with --ui: the stepping page writes no trace file; drop --trace, " +
          "or --ui to write a counterexample's trace",
        USAGE,
      );
    }
    checkTracePath(trace, (message) => new UsageError(message, USAGE));
  }
  if (typeof values.choices === "string") {
    return await replayOne(name!, system, {
      broken,
      options,
      trace,
      choices: values.choices,
      json: values.json === true,
    });
  }
  if (values.ui === true) {
    return await serveUi(name!, system, options, intFlag("port", values.port, 0, USAGE, 0));
  }
  const report = await explore(system, options);
  const violation = report.violation;
  const replay = violation && replayCommand(args, violation.choices);
  if (violation && trace) {
    await writeTrace((await replayChoices(system, violation.choices, options)).sim.trace, trace, {
      clock: "virtual",
    });
  }
  if (values.json) {
    printJson(name!, broken, report, replay);
    return violation ? 1 : 0;
  }
  return printReport(name!, arch, { broken, options, trace, report, replay });
}
