/**
 * `deno task lab step FILE.ts`: steps by hand, in the browser, through the user's own system (the
 * file `lab run` takes), on the page of `lab explore ARCH --ui`: what may happen next (deliver,
 * fire, drop, duplicate), every process's mailbox and last log lines, Back; with `--explore`,
 * the shortest counterexample exploration found, to jump to.
 * @module
 */
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import type { Simulator } from "../../core/simulator/simulator.ts";
import { intFlag, openFlags, UsageError } from "../_common.ts";
import { explore, type ExploreOptions, type Invariant } from "../explore/explore.ts";
import { serveStepper } from "../explore/step_server.ts";
import { systemOf } from "../run/load_system.ts";
import { type MachineEntry, SystemError } from "../run/system.ts";

const USAGE = `Usage: deno task lab step FILE.ts [flags]

Steps by hand through your own system in the browser: serves a page on 127.0.0.1 that lists
what may happen next (deliver a message, fire a timer, drop or duplicate a message), every
process's mailbox and last log lines; Back replays the path without its last choice. Each step
replays the system from the start in the simulator along the choices made, so the processes
must be deterministic (ctx.now(), ctx.sleep(), the context's random numbers; never the host's
clock, random numbers or timers). Ctrl-C stops the server.

FILE.ts exports what \`lab run\` takes (a default export mapping addresses to process functions,
\`export default { "kv@m1.lab": async (ctx) => { ... } }\`, or a \`system\` export), or
\`build(sim)\`, which spawns the processes on the simulator and returns the state they share.
It may also export \`invariant(state, { sim, quiescent })\` (the state build returned), which
returns a description of what is wrong (or false) when something is: the page shows the
violation, and --explore looks for one (what explore() in lab/explore/mod.ts takes).

Runs on: the deterministic simulator only.

Flags:
  --reliable           send over the reliable channel (acknowledgements, retransmissions); by
                       default the raw network, so every pending arrival is one of your messages
  --seed N             seed of the simulator (latencies; default 1)
  --explore            explore every schedule first (within the bounds below) and offer the
                       shortest counterexample to jump to
  --depth N            with --explore: choice points per path (default 20)
  --time-limit S       with --explore: seconds of wall time (default 30)
  --drops N, --dups N  with --explore: frames lost / duplicated on one path (default 0)
  --crash-points LIST  with --explore: machines that may crash once anywhere (m1.lab,...)
  --port N             the port on 127.0.0.1 (default: a free one)
  -h, --help           this help

Examples:
  deno task lab step examples/run/kv.ts
  deno task lab step my_system.ts --explore --drops 1
  deno task lab step my_system.ts --reliable --port 8600`;

/** What a user's file gives `lab step`: how to build the system, and its invariant if any. */
interface StepFile {
  readonly build: (sim: Simulator) => unknown;
  readonly machines: readonly string[];
  readonly invariant?: Invariant<unknown>;
}

function functionExport(module: Record<string, unknown>, name: string, file: string, hint: string) {
  const value = module[name];
  if (value !== undefined && typeof value !== "function") {
    throw new UsageError(
      `Cannot step "${file}": its export "${name}" is not a function; write ${hint}`,
      USAGE,
    );
  }
  return value as ((...args: never[]) => unknown) | undefined;
}

/** The system's builder: `build(sim)`, else the machines of what `lab run` takes. */
function builderOf(module: Record<string, unknown>, file: string) {
  const build = functionExport(module, "build", file, "`export function build(sim) { ... }`");
  if (build !== undefined) {
    return { build: build as (sim: Simulator) => unknown, machines: [] as string[] };
  }
  let entries: MachineEntry[];
  try {
    entries = systemOf(module, file);
  } catch (error) {
    if (error instanceof SystemError) {
      throw new UsageError(`${error.message}, or \`export function build(sim) { ... }\``, USAGE);
    }
    throw error;
  }
  const setup = (sim: Simulator) => {
    for (const m of entries) {
      for (const p of m.processes) {
        sim.machine(m.name).spawn(p.name, p.fn, { capacity: p.capacity });
      }
    }
  };
  return { build: setup, machines: entries.map((m) => m.name) };
}

async function loadStepFile(file: string): Promise<StepFile> {
  // `deno task` runs in the project's directory; INIT_CWD is where the user typed the command.
  const url = pathToFileURL(resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), file)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(`Cannot load "${file}": ${(error as Error).message}`, USAGE);
  }
  const invariant = functionExport(
    module,
    "invariant",
    file,
    "`export function invariant(state, { sim, quiescent }) { ... }`",
  ) as Invariant<unknown> | undefined;
  return { ...builderOf(module, file), invariant };
}

function exploreOptions(
  values: Record<string, unknown>,
  file: StepFile,
): ExploreOptions<unknown> {
  const seconds = Number(values["time-limit"] ?? 30);
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    throw new UsageError(
      `Cannot use --time-limit "${values["time-limit"]}": give seconds > 0`,
      USAGE,
    );
  }
  const names = file.machines;
  const crash = typeof values["crash-points"] === "string"
    ? values["crash-points"].split(",").map((m) => m.trim()).filter((m) => m !== "")
    : [];
  for (const m of crash) {
    if (names.length > 0 && !names.includes(m)) {
      throw new UsageError(
        `Cannot use --crash-points: "${m}" is not a machine of the system; machines: ` +
          names.join(", "),
        USAGE,
      );
    }
  }
  return {
    invariant: file.invariant,
    simulator: {
      reliable: values.reliable === true,
      seed: intFlag("seed", values.seed, 1, USAGE, 0),
    },
    depth: intFlag("depth", values.depth, 20, USAGE, 1),
    timeLimit: seconds * 1000,
    drops: intFlag("drops", values.drops, 0, USAGE, 0),
    duplicates: intFlag("dups", values.dups, 0, USAGE, 0),
    crash,
  };
}

/** Resolves on the first Ctrl-C (SIGINT). */
function interrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
  });
}

/**
 * Runs `lab step` with `args`: serves the stepping page until Ctrl-C; returns the exit code.
 *
 * @example A file that is not there is refused, naming it
 * ```ts
 * import assert from "node:assert/strict";
 * import { runStep } from "./command.ts";
 * await assert.rejects(runStep(["no_such_file.ts"]), /Cannot load "no_such_file.ts"/);
 * ```
 */
export async function runStep(args: string[]): Promise<number> {
  const opened = openFlags(args, {
    help: { type: "boolean", short: "h" },
    reliable: { type: "boolean" },
    seed: { type: "string" },
    explore: { type: "boolean" },
    depth: { type: "string" },
    "time-limit": { type: "string" },
    drops: { type: "string" },
    dups: { type: "string" },
    "crash-points": { type: "string" },
    port: { type: "string" },
  }, USAGE);
  if (opened === undefined) return 0;
  const { values, positionals } = opened;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? "Cannot step: give the file of your system (FILE.ts)"
        : `Cannot step: give one file, not ${positionals.join(" ")}`,
      USAGE,
    );
  }
  const file = positionals[0];
  const port = intFlag("port", values.port, 0, USAGE, 0);
  const loaded = await loadStepFile(file);
  const options = exploreOptions(values, loaded);
  const system = loaded.build;
  const report = values.explore === true ? await explore(system, options) : undefined;
  const server = serveStepper(system, {
    title: file,
    command: "lab step",
    port,
    explore: options,
    counterexample: report?.violation?.choices,
  });
  // The listener is in place before the URL invites Ctrl-C.
  const stop = interrupted();
  console.log(`lab step ${file}: step by hand at ${server.url} (Ctrl-C stops)`);
  if (report?.violation) {
    console.log(`a counterexample is there to jump to: ${report.violation.message}`);
  } else if (report) {
    console.log(`exploration found no violation (${report.states} states explored)`);
  }
  await stop;
  await server.close();
  return 0;
}
