/**
 * `deno task lab run FILE.ts`: runs a user's own system (machines and the processes they boot,
 * written against `ProcessContext`) as real OS processes over TCP, one per machine, each loading
 * FILE itself, or in the deterministic simulator with `--sim`; narrates it and prints what it
 * cost, like the architecture commands.
 * @module
 */
import type { Trace, TraceEvent } from "../../core/trace.ts";
import { type ChannelFidelity, channelFidelity } from "../../core/channel_fidelity.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  frameAuth,
  narrate,
  openFlags,
  parseCommon,
  percentile,
  refuseFlags,
  saveTrace,
  type Summary,
  table,
  UsageError,
} from "../_common.ts";
import { CONTROL_MACHINE, replayCommand } from "../deploy/deploy.ts";
import { launch, type LaunchResult } from "./launch.ts";
import { loadSystem, systemUrl } from "./load_system.ts";
import { type MachineEntry, SystemError } from "./system.ts";
import { keepSummary, liveEvents } from "../results/session.ts";

const USAGE = `Usage: deno task lab run FILE.ts [flags]

Runs your own system: the machines and processes FILE.ts exports, written against
ProcessContext, as OS processes over TCP on 127.0.0.1 (one per machine, each loading FILE.ts
itself) or in the deterministic simulator (--sim), unchanged. FILE.ts exports either a map of
process addresses to their code (the one-file form):
  export default { "kv@m1.lab": async (ctx) => { ... }, "client@m2.lab": async (ctx) => { ... } };
or machines with their processes, a process optionally with its mailbox capacity:
  export const system: System = { machines: { "m1.lab": { kv: { fn: server, capacity: 8 } },
                                              "m2.lab": { client } } };
Narration shows every message and every ctx.log line. The run ends when every process has
returned; when nothing is left to do (simulator: no event pending; real machines: every one
idle, nothing running, no timer, no frame moving, for half a second); at --time-limit; or on
Ctrl-C (exit 130). A process that throws fails the run (exit 1) and says how to replay it.

Runs on: OS processes over TCP on 127.0.0.1, one per machine (default), or the deterministic
simulator with --sim.

Flags:
  --time-limit S        stop after S seconds (virtual in the simulator; default: simulator 3600,
                        real machines none)
${COMMON_HELP}

Examples:
  deno task lab run examples/run/kv.ts
  deno task lab run examples/run/kv.ts --sim --seed 7 --drop 0.2 --trace run.html
  deno task lab run examples/run/kv.ts --crash m1.lab@0..500 --json`;

/** Where the user typed the command (`deno task` runs in the project's directory). */
function userDirectory(): string {
  return Deno.env.get("INIT_CWD") ?? Deno.cwd();
}

async function loadFile(file: string): Promise<{ url: string; machines: MachineEntry[] }> {
  const url = systemUrl(file, userDirectory());
  if (url.startsWith("file:")) {
    let isFile = false;
    try {
      isFile = (await Deno.stat(new URL(url))).isFile;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (!isFile) throw new UsageError(`Cannot run "${file}": it is not a readable file`, USAGE);
  }
  try {
    return { url, machines: await loadSystem(url, { source: file }) };
  } catch (error) {
    if (error instanceof SystemError) throw new UsageError(error.message, USAGE);
    throw error;
  }
}

function timeLimit(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d*\.?\d+$/.test(String(value)) || !(seconds > 0)) {
    throw new UsageError(
      `Cannot use --time-limit "${value}": give seconds, more than 0 (e.g. 2.5)`,
      USAGE,
    );
  }
  return seconds * 1000;
}

/** Narrates messages as the architecture commands do, and every `ctx.log` line. */
function narrator(quiet: boolean): ((event: TraceEvent) => void) | undefined {
  if (quiet) return undefined;
  return (event) => {
    const line = event.ev === "log"
      ? `${event.t.toFixed(3).padStart(10)} ms  ${event.at}: ${event.note}`
      : narrate(event);
    if (line !== undefined) console.log(line);
  };
}

function describeMachines(machines: readonly MachineEntry[]): string {
  return machines.map((m) => `${m.name}: ${m.processes.map((p) => p.name).join(", ")}`).join(
    "; ",
  );
}

function ending(result: LaunchResult): string {
  const at = `at ${result.time.toFixed(0)} ms`;
  const running = Object.entries(result.processes).filter(([, s]) => s === "running").map(([a]) =>
    a
  );
  const still = running.length === 0 ? "" : ` (still running: ${running.join(", ")})`;
  switch (result.end) {
    case "returned":
      return `every process returned, ${at}`;
    case "quiet":
      return `nothing left to do ${at}${still}`;
    case "time-limit":
      return `time limit ${at}${still}`;
    case "interrupted":
      return `interrupted (Ctrl-C) ${at}${still}`;
  }
}

/**
 * Runs `lab run`; returns the exit code (0, or 130 when interrupted).
 *
 * @example The example system in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { runRun } from "./command.ts";
 * const file = new URL("../../examples/run/kv.ts", import.meta.url).pathname;
 * const lines: string[] = [];
 * const log = console.log;
 * console.log = (line: string) => lines.push(line);
 * try {
 *   assert.equal(await runRun([file, "--sim", "--json"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * assert.equal(JSON.parse(lines[0]).requests, 2);
 * ```
 */
export async function runRun(args: string[]): Promise<number> {
  const opened = openFlags(args, {
    ...COMMON_FLAGS,
    "time-limit": { type: "string" },
  }, USAGE);
  if (opened === undefined) return 0;
  const { values, positionals } = opened;
  refuseFlags(values, { skew: "lab run does not skew clocks yet" }, USAGE);
  const common = parseCommon(values, USAGE);
  const limit = timeLimit(values["time-limit"]);
  if (positionals.length !== 1) {
    throw new UsageError(
      `Cannot run: give exactly one system file, not ${JSON.stringify(positionals)}`,
      USAGE,
    );
  }
  const file = positionals[0];
  const { url, machines } = await loadFile(file);
  checkFaultTargets(common, machines.map((m) => m.name), USAGE);
  if (!common.quiet) console.log(openingLine(file, machines, common));
  const result = await launch(url, {
    sim: common.sim,
    transport: common.transport,
    seed: common.seed,
    reliable: common.reliable,
    drop: common.drop,
    duplicate: common.duplicate,
    reorder: common.reorder,
    latency: common.latency,
    partitions: common.partitions,
    crashes: common.crashes,
    auth: frameAuth(common),
    timeLimit: limit,
    onEvent: await liveEvents(narrator(common.quiet), common.sim ? "virtual" : "wall"),
    traceFile: common.trace,
    replay: replayCommand(common.seed),
    source: file,
    hosts: common.hosts?.path,
    ssh: common.ssh,
  });
  const trace = result.trace;
  const summary = runSummary(file, common, result);
  await saveTrace(trace, common);
  const code = result.end === "interrupted" ? 130 : 0;
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
    return code;
  }
  console.log("");
  console.log(runTable(file, summary, result));
  if (common.trace) console.log(`trace written to ${common.trace}`);
  return code;
}

/** The line that says what is about to run. */
function openingLine(
  file: string,
  machines: readonly MachineEntry[],
  common: CommonOptions,
): string {
  return `run: ${file}, ${machines.length} machine${machines.length === 1 ? "" : "s"} (${
    describeMachines(machines)
  }), ${
    common.sim
      ? `simulator (seed ${common.seed})`
      : `OS processes over ${common.transport.toUpperCase()} on ${
        common.hosts ? `the hosts of ${common.hosts.path}` : "127.0.0.1"
      }`
  }`;
}

/** The run's summary (the `--json` object); messages leave out the lab's own machine. */
function runSummary(file: string, common: CommonOptions, result: LaunchResult): Summary {
  const trace = result.trace;
  let messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send") continue;
    if (e.to?.endsWith(`@${CONTROL_MACHINE}`) || e.from?.endsWith(`@${CONTROL_MACHINE}`)) continue;
    messages++;
  }
  const latencies = result.requests.latencies;
  return {
    architecture: "run",
    transport: result.transport,
    seed: common.seed,
    requests: result.requests.count,
    messages,
    bytes: result.stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors: result.requests.failed,
    traceDigest: trace.digest(),
    system: file,
    end: result.end,
    time: Math.round(result.time * 1000) / 1000,
    processes: result.processes,
    frames: result.stats.frames,
    acks: result.stats.acks,
    drops: trace.count("drop"),
    channel: channelOf(trace),
  };
}

/** The summary as a table. */
function runTable(file: string, summary: Summary, result: LaunchResult): string {
  return table([
    ["system", file],
    ["transport", summary.transport],
    ["seed", summary.seed],
    ["ended", ending(result)],
    [
      "messages",
      `${summary.messages} (frames on the wire ${summary.frames}, acks ${summary.acks})`,
    ],
    ["bytes", summary.bytes],
    [
      "requests",
      `${summary.requests} (${summary.errors} failed: no reply in time or no such process)`,
    ],
    ["latency p50", `${summary.latency.p50.toFixed(3)} ms`],
    ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
    ["retransmissions", summary.retransmissions],
    ["drops", summary.drops as number],
    ["channel", describeChannel(summary.channel as ChannelFidelity)],
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${result.wallMs.toFixed(0)} ms`],
  ]);
}

/** What the network did to the system's messages (the lab's own ctl.lab aside). */
function channelOf(trace: Trace): ChannelFidelity {
  const control = `@${CONTROL_MACHINE}`;
  return channelFidelity(trace.events, {
    include: (e) => !(e.to?.endsWith(control) || e.from?.endsWith(control)),
  });
}

function describeChannel(c: ChannelFidelity): string {
  return `of ${c.sent} messages ${c.lost} never delivered, ${c.duplicated} delivered twice, ` +
    `${c.reordered} after a later one (the reliable channel keeps these at 0 where the receiver ` +
    "lives; --unreliable shows what the network did)";
}
