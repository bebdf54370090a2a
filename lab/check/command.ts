/**
 * `deno task lab check WORKLOAD FILE.ts`: runs a user's node under a workload, with faults, in
 * the simulator (or with `--real` as OS processes over TCP), checks the history and prints a
 * verdict, Maelstrom's way.
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { ProcessFn } from "../../core/process.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  commonHelp,
  type CommonOptions,
  type FlagSpec,
  frameAuth,
  intFlag,
  labCommandLine,
  openFlags,
  parseCommon,
  refuseFlags,
  saveTrace,
  UsageError,
  withoutFlags,
  withoutViewFlags,
} from "../_common.ts";
import { EXPLORE_FLAGS, EXPLORE_HELP, runExploreCheck } from "./_explore_command.ts";
import { formatShrink, SHRINK_FLAGS, shrinkCheck } from "./_shrink_command.ts";
import { NEMESIS_KINDS, type NemesisKind } from "./nemesis.ts";
import { buildReport, type CheckReport, formatReport } from "./report.ts";
import { realCheck, type RealRun } from "./real.ts";
import { simulateCheck, type SimulatedRun } from "./simulate.ts";
import { windowSvg } from "./window_svg.ts";
import type { WindowRow } from "./workload.ts";
import { findWorkload, WORKLOADS } from "./workloads.ts";
import { keepSummary, liveEvents } from "../results/session.ts";
import { checkOutputPath } from "../diagram/trace_path.ts";

const USAGE = `Usage: deno task lab check WORKLOAD FILE.ts [flags]

Runs the node that FILE.ts exports (export const node: ProcessFn) as node@n1.lab ... node@nN.lab,
drives it with the workload's clients (client@c1.lab ..., each bound to one node), injects faults,
checks the recorded history and prints a verdict: exit 0 when valid, 1 when not.
Each node first receives { kind: "init", node, nodes }; it answers requests with ctx.reply.
Errors are { kind: "error", code, text }: codes 1, 10, 11, 12, 14, 20, 21, 22, 30 are definite
(the operation did not happen), any other code leaves the outcome unknown, like a timeout.

Workloads:
  echo        { kind: "echo", echo } -> { kind: "echo_ok", echo }
  unique-ids  { kind: "generate" } -> { kind: "generate_ok", id }; no id handed out twice
  broadcast   { kind: "broadcast", message } -> broadcast_ok; { kind: "read" } -> { kind:
              "read_ok", messages }; every acknowledged message is read by every node at the end
  g-counter   { kind: "add", delta } -> add_ok; { kind: "read" } -> { kind: "read_ok", value };
              the final reads equal the sum of the acknowledged adds
  lin-kv      { kind: "read", key } -> { kind: "read_ok", value }; { kind: "write", key, value }
              -> write_ok; { kind: "cas", key, from, to } -> cas_ok; error 20 (no such key), 22
              (precondition failed); the history must be linearizable

Flags:
  --node-count N         nodes (default 3)
  --time-limit S         seconds of virtual time the clients run (default 10, or none with --ops)
  --ops N                operations in all
  --rate R               operations per second, all clients together (default 100; 0: no
                         pause between operations)
  --concurrency C        clients, or Kn for K per node (default: 1n; lin-kv 2n)
  --timeout MS           a request unanswered this long has an unknown outcome (default 1000)
  --nemesis LIST         faults taken in turn: partition,crash,pause (default none). partition:
                         a random minority of nodes cut from the rest; crash: a node's machine
                         crashes (its memory is lost) and restarts; pause: a node's process is
                         frozen (messages are kept for it, it sees nothing until it resumes)
  --nemesis-interval MS  length of each healthy and each fault window (default 1000)
  --recovery MS          broadcast, g-counter: wait after the faults heal, then read every node
                         (default 1000)
  --keys N               lin-kv: distinct keys (default 5)
  --svg FILE             lin-kv: draw the smallest failing window as an SVG picture
  --real                 run on real sockets: each node an OS process over TCP on 127.0.0.1
                         loading FILE.ts itself, the clients machines the lab hosts in its own
                         process (times are wall-clock ms; --reorder needs --delay)
${EXPLORE_HELP}
${commonHelp({ simDefault: true })}

Runs on: the deterministic simulator by default (a run replays from its --seed), or real OS
processes over TCP with --real (a failure found there is not replayable: try its seed with --sim).

Examples:
  deno task lab check echo examples/check/echo.ts
  deno task lab check lin-kv examples/check/lin_kv.ts --nemesis partition,crash --seed 3
  deno task lab check lin-kv examples/check/lin_kv_stale.ts --nemesis partition --seed 1 --svg w.svg
  deno task lab check lin-kv examples/check/lin_kv.ts --real --ops 200 --nemesis partition
  deno task lab check lin-kv examples/check/lin_kv_stale.ts --explore --time-limit 30`;

async function loadNode(file: string): Promise<{ url: string; node: ProcessFn }> {
  // `deno task` runs in the project's directory; INIT_CWD is where the user typed the command.
  const url = pathToFileURL(resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), file)).href;
  let module: Record<string, unknown>;
  try {
    module = await import(url);
  } catch (error) {
    throw new UsageError(`Cannot load "${file}": ${(error as Error).message}`, USAGE);
  }
  if (typeof module.node !== "function") {
    throw new UsageError(
      `Cannot check "${file}": it exports no function "node"; write ` +
        "`export const node: ProcessFn = async (ctx) => { ... }`",
      USAGE,
    );
  }
  return { url, node: module.node as ProcessFn };
}

function nemesisFlag(value: unknown): NemesisKind[] {
  if (typeof value !== "string" || value === "" || value === "none") return [];
  const kinds = value.split(",").map((k) => k.trim());
  for (const kind of kinds) {
    if (!NEMESIS_KINDS.includes(kind as NemesisKind)) {
      throw new UsageError(
        `Cannot use --nemesis "${value}": "${kind}" is not one of ${NEMESIS_KINDS.join(", ")}`,
        USAGE,
      );
    }
  }
  return kinds as NemesisKind[];
}

function concurrencyFlag(value: unknown, nodes: number, perNode: number): number {
  if (typeof value === "string" && /^\d+n$/.test(value)) {
    return Math.max(1, Number(value.slice(0, -1)) * nodes);
  }
  return intFlag("concurrency", value, nodes * perNode, USAGE, 1);
}

function positiveNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(n >= 0) || !Number.isFinite(n)) {
    throw new UsageError(`Cannot use --${name} "${value}": give a number >= 0`, USAGE);
  }
  return n;
}

/**
 * Runs `lab check` with `args`; returns the exit code (0 valid, 1 invalid).
 *
 * @example A correct echo node
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCheck } from "./command.ts";
 * const file = new URL("../../examples/check/echo.ts", import.meta.url).pathname;
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(await runCheck(["echo", file, "--ops", "10", "--json"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export async function runCheck(args: string[]): Promise<number> {
  const opened = openFlags(args, CHECK_FLAGS, USAGE);
  if (opened === undefined) return 0;
  const { values, positionals } = opened;
  const [name, file] = checkPositionals(positionals);
  const real = realFlag(values);
  // The simulator is this command's default: the common flags see --sim unless --real.
  refuseFlags(values, REFUSED, USAGE);
  const common = parseCommon({ ...values, sim: !real }, USAGE);
  if (typeof values.svg === "string") checkSvgFlag(values.svg, name, values.explore === true);
  if (values.explore === true) return await exploreCheck(name, file, values, common, args);
  refuseExploreFlags(values);
  const plan = await planCheck(name, file, values, common, real);
  const { node, workload, simOptions } = plan;
  const run = await runNodes(plan, common, real);
  const checkStarted = performance.now();
  const result = workload.check(run.history.ops);
  const checkMs = performance.now() - checkStarted;
  const report = buildReport(run, name, result, { seed: common.seed });
  await saveTrace("trace" in run ? run.trace : run.sim.trace, common, {
    clock: real ? "wall" : "virtual",
  });
  const drawn = await drawWindow(values.svg, report);
  const shrunk = values.shrink === true && !report.valid
    ? await shrinkCheck(node, workload, simOptions, { args, anomaly: report.anomalies[0].type })
    : undefined;
  keepSummary(shrunk ? { ...report, shrink: shrunk } : report);
  if (common.json) {
    console.log(JSON.stringify(shrunk ? { ...report, shrink: shrunk } : report));
    return report.valid ? 0 : 1;
  }
  console.log("");
  console.log(formatReport(report, { wallMs: performance.now() - plan.started, checkMs }));
  if (drawn !== undefined) console.log(drawn);
  if (common.trace) console.log(`trace written to ${common.trace}`);
  if (shrunk) console.log(formatShrink(shrunk));
  if (!report.valid) console.log(replayLine(args, values.seed === undefined, common.seed, real));
  return report.valid ? 0 : 1;
}

/** The explore flags, refused without `--explore`. */
function refuseExploreFlags(values: Record<string, unknown>): void {
  for (const flag of Object.keys(EXPLORE_FLAGS)) {
    if (values[flag] !== undefined) {
      throw new UsageError(`Cannot use --${flag} without --explore`, USAGE);
    }
  }
}

/**
 * One checked run as the flags ask for it: the node loaded, its workload, the run's options;
 * prints the line that says what runs (unless `--quiet`).
 */
async function planCheck(
  name: string,
  file: string,
  values: Record<string, unknown>,
  common: CommonOptions,
  real: boolean,
) {
  const nodeCount = intFlag("node-count", values["node-count"], 3, USAGE, 1);
  const ops = values.ops === undefined ? undefined : intFlag("ops", values.ops, 0, USAGE, 0);
  const seconds = positiveNumber("time-limit", values["time-limit"], ops === undefined ? 10 : 0);
  const workload = findWorkload(name, { keys: intFlag("keys", values.keys, 5, USAGE, 1) });
  const nemesis = nemesisFlag(values.nemesis);
  const interval = intFlag("nemesis-interval", values["nemesis-interval"], 1000, USAGE, 1);
  const { url, node } = await loadNode(file);
  const started = performance.now();
  const concurrency = concurrencyFlag(values.concurrency, nodeCount, workload.clientsPerNode ?? 1);
  if (real) checkRealTargets(common, nodeCount, concurrency);
  if (!common.quiet) {
    console.log(
      `lab check ${name}: ${file} on ${nodeCount} nodes, ${concurrency} clients, ${
        real ? `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1` : "simulator"
      } (seed ${common.seed})` +
        (nemesis.length > 0 ? `, nemesis ${nemesis.join(",")} every ${interval} ms` : ""),
    );
  }
  const options = {
    nodeCount,
    concurrency,
    ops,
    timeLimit: seconds > 0 ? seconds * 1000 : undefined,
    rate: positiveNumber("rate", values.rate, 100),
    timeout: intFlag("timeout", values.timeout, 1000, USAGE, 1),
    nemesis,
    nemesisInterval: interval,
    recovery: intFlag("recovery", values.recovery, 1000, USAGE, 0),
    ...faultOptions(common),
  };
  const simOptions = { ...options, frameFaults: common.frameFaults };
  return { url, node, workload, started, options, simOptions };
}

/** Runs the plan: the nodes as OS processes (`--real`) or in the simulator. */
async function runNodes(
  plan: Awaited<ReturnType<typeof planCheck>>,
  common: CommonOptions,
  real: boolean,
): Promise<RealRun | SimulatedRun> {
  return real
    ? await realCheck(plan.url, plan.workload, {
      ...plan.options,
      transport: common.transport,
      traceFile: common.trace,
      onEvent: await liveEvents(undefined, "wall"),
    })
    : await simulateCheck(plan.node, plan.workload, {
      ...plan.simOptions,
      trace: common.trace !== undefined || common.out !== undefined || common.live,
      onEvent: await liveEvents(undefined, "virtual"),
    });
}

/** `--explore`: explores the node's interleavings and faults instead of one run. */
async function exploreCheck(
  name: string,
  file: string,
  values: Record<string, unknown>,
  common: CommonOptions,
  args: string[],
): Promise<number> {
  const { node } = await loadNode(file);
  const workload = findWorkload(name, { keys: intFlag("keys", values.keys, 5, USAGE, 1) });
  return await runExploreCheck(node, workload, values, {
    args,
    usage: USAGE,
    json: common.json,
    trace: common.trace,
  });
}

/** The flags of `lab check`. */
const CHECK_FLAGS: Readonly<Record<string, FlagSpec>> = {
  ...COMMON_FLAGS,
  "node-count": { type: "string" },
  "time-limit": { type: "string" },
  ops: { type: "string" },
  rate: { type: "string" },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  nemesis: { type: "string" },
  "nemesis-interval": { type: "string" },
  recovery: { type: "string" },
  keys: { type: "string" },
  svg: { type: "string" },
  real: { type: "boolean" },
  ...EXPLORE_FLAGS,
  ...SHRINK_FLAGS,
};

/** The flags `lab check` refuses, and why. */
const REFUSED: Readonly<Record<string, string>> = {
  skew: "the nemesis does not skew clocks yet",
  hosts: "lab check runs its nodes on this host; --hosts is for the architectures, run and spmd",
  ssh: "lab check runs its nodes on this host; --ssh is for the architectures, run and spmd",
};

/** The WORKLOAD and FILE.ts, checked: two positionals, a known workload. */
function checkPositionals(positionals: readonly string[]): [string, string] {
  const [name, file] = positionals;
  if (name === undefined || file === undefined || positionals.length > 2) {
    throw new UsageError("Cannot check: give a WORKLOAD and a FILE.ts, nothing else", USAGE);
  }
  if (!(name in WORKLOADS)) {
    throw new UsageError(
      `Cannot check workload "${name}": unknown; known workloads: ${
        Object.keys(WORKLOADS).join(", ")
      }`,
      USAGE,
    );
  }
  return [name, file];
}

/** Whether `--real` is on, refusing it with `--sim` and with the shrink flags. */
function realFlag(values: Record<string, unknown>): boolean {
  if (values.real === true && values.sim === true) {
    throw new UsageError(
      "Cannot use --real with --sim: --real runs real OS processes, --sim (the default) the simulator",
      USAGE,
    );
  }
  const real = values.real === true;
  for (const flag of Object.keys(SHRINK_FLAGS)) {
    if (real && values[flag] !== undefined) {
      throw new UsageError(
        `Cannot use --${flag} with --real: a run on OS processes does not replay; shrink its ` +
          "seed in the simulator (without --real)",
        USAGE,
      );
    }
  }
  return real;
}

/** Real machines: only a node's OS process can crash; a partition may cut clients off too. */
function checkRealTargets(common: CommonOptions, nodeCount: number, concurrency: number): void {
  const nodeMachines = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}.lab`);
  const clientMachines = Array.from({ length: concurrency }, (_, i) => `c${i + 1}.lab`);
  checkFaultTargets({ crashes: common.crashes, partitions: [] }, nodeMachines, USAGE);
  checkFaultTargets(
    { crashes: [], partitions: common.partitions },
    [...nodeMachines, ...clientMachines],
    USAGE,
  );
}

/** The run's faults, seed, channel and key, from the common flags. */
function faultOptions(common: CommonOptions) {
  return {
    seed: common.seed,
    drop: common.drop,
    duplicate: common.duplicate,
    reorder: common.reorder,
    latency: common.latency,
    reliable: common.reliable,
    partitions: common.partitions,
    crashes: common.crashes,
    auth: frameAuth(common),
  };
}

/**
 * Refuses `--svg FILE` before the run where it cannot draw: a workload other than lin-kv, or
 * `--explore` (which finds no window); a file that is not `.svg` or cannot be written.
 */
function checkSvgFlag(svg: string, workload: string, explore: boolean): void {
  refuseFlags({ svg }, {
    svg: workload !== "lin-kv"
      ? `only lin-kv has failing windows to draw, not ${workload}; drop --svg`
      : explore
      ? "--explore reports a schedule, not a window; drop --svg or --explore"
      : undefined,
  }, USAGE);
  checkOutputPath(svg, {
    formats: { ".svg": "the smallest failing window, static SVG" },
    what: "window",
    fail: (message) => new UsageError(message, USAGE),
  });
}

/** Draws the smallest failing lin-kv window in `svg`; the line that says so, if `--svg` was given. */
async function drawWindow(svg: unknown, report: CheckReport): Promise<string | undefined> {
  if (typeof svg !== "string") return undefined;
  const window = report.anomalies.find((a) => Array.isArray(a.window) && a.window.length > 0);
  if (window === undefined) return `no failing window to draw in ${svg}`;
  await Deno.writeTextFile(
    svg,
    windowSvg(window.window as WindowRow[], `lin-kv key ${JSON.stringify(window.key)}`),
  );
  return `window drawn in ${svg}`;
}

/** How to replay a failed run: in the simulator, with its seed. */
function replayLine(args: string[], seedless: boolean, seed: number, real: boolean): string {
  const kept = withoutViewFlags(args);
  const replay = seedless ? [...kept, "--seed", String(seed)] : kept;
  return real
    ? `try it in the simulator: ${
      labCommandLine(["check", ...withoutFlags(replay, ["transport"], ["real"])])
    }`
    : `replay: ${labCommandLine(["check", ...replay])}`;
}
