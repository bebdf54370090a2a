/**
 * Shared pieces of the lab's commands: flag parsing with clear errors, the common run flags,
 * percentiles, the summary table, narration and trace files.
 * @module
 */
import type { Latency } from "../core/latency.ts";
import { DELAY_RULE } from "./_delay_timeouts.ts";
import type { Trace, TraceEvent } from "../core/trace.ts";
import { type TransportName, TRANSPORTS } from "../core/network/host_network.ts";
import {
  type CrashSpec,
  parseCrashes,
  parseDelay,
  parsePartitions,
  parseSkews,
  type PartitionSpec,
  type SkewSpec,
} from "./_fault_flags.ts";
import { type FlagSpec, type FlagValues, intFlag, parseFlags, UsageError } from "./_flags.ts";
import { type FrameFault, parseFrameFaults } from "./shrink/fault_schedule.ts";
import type { DiagramOptions } from "./diagram/svg.ts";
import { checkTracePath } from "./diagram/trace_path.ts";
import { type HostsFile, HostsFileError, readHostsFile } from "./deploy/hosts_file.ts";
import { prepareOutDir } from "./results/out_dir.ts";
import { currentSession, keepRunTrace } from "./results/session.ts";

export {
  didYouMean,
  type FlagSpec,
  type FlagValues,
  intFlag,
  labCommandLine,
  parseFlags,
  refuseFlags,
  shellQuote,
  UsageError,
  withoutFlags,
  withoutViewFlags,
} from "./_flags.ts";

/** Flags every architecture command accepts. */
export const COMMON_FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: "boolean", short: "h" },
  sim: { type: "boolean" },
  seed: { type: "string" },
  drop: { type: "string" },
  dup: { type: "string" },
  reorder: { type: "string" },
  delay: { type: "string" },
  partition: { type: "string", multiple: true },
  crash: { type: "string", multiple: true },
  skew: { type: "string", multiple: true },
  "lose-unsynced": { type: "string" },
  unreliable: { type: "boolean" },
  transport: { type: "string" },
  auth: { type: "string" },
  encrypt: { type: "boolean" },
  json: { type: "boolean" },
  trace: { type: "string" },
  out: { type: "string", optionalValue: true },
  artifacts: { type: "boolean" },
  live: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
  shrink: { type: "boolean" },
  "frame-faults": { type: "string" },
  hosts: { type: "string" },
  ssh: { type: "boolean" },
};

/**
 * Help lines for {@link COMMON_FLAGS}; `simOnly` for a command that runs in the simulator only,
 * `simDefault` for one that runs there unless asked for real OS processes (`--real`).
 *
 * @example The simulator-only variant
 * ```ts
 * import assert from "node:assert/strict";
 * import { commonHelp } from "./_common.ts";
 * assert.match(commonHelp({ simOnly: true }), /always runs in the deterministic simulator/);
 * ```
 */
export function commonHelp(options: { simOnly?: boolean; simDefault?: boolean } = {}): string {
  const sim = options.simOnly
    ? "accepted; this command always runs in the deterministic simulator"
    : options.simDefault
    ? "run in the deterministic simulator (this command's default; --real: OS processes)"
    : "run in the deterministic simulator (default: real OS processes over TCP)";
  return `Common flags:
  --sim                 ${sim}
  --seed N              seed of every random choice (default 1); a run replays from its seed
  --drop P              probability that a frame is lost (0..1)
  --dup P               probability that a frame is duplicated (0..1)
  --reorder P           probability that a frame is held back and overtaken (0..1; held up to 3x
                        the latency's bound: on OS processes it needs --delay MIN..MAX)
  --delay MIN..MAX      latency in ms, uniform (or MS, or exp:MEAN); its bound is MAX (MS, or
                        3 x MEAN). ${DELAY_RULE}
  --partition SPEC      cut machines apart: "m1.lab|m2.lab,m3.lab@FROM..TO" (ms); "->" cuts one
                        way; repeatable
  --crash SPEC          crash a machine: "m1.lab@AT" or "m1.lab@AT..RESTART" (ms); repeatable
  --skew SPEC           skew a machine's clock: "m1.lab:OFFSET" or "m1.lab:OFFSET:DRIFT" (OFFSET
                        ms ahead, negative behind; DRIFT 0.01 runs 1% fast); simulator only;
                        repeatable
  --lose-unsynced P     probability that a crash also loses the writes the machine's disk has
                        not synced (a volatile write cache; the trace says "disk lost N unsynced
                        writes"); simulator only
  --unreliable          switch the reliable channel off (no acks, no retransmission)
  --transport T         what carries frames between OS processes: tcp (default: a framed
                        stream per peer), udp (one datagram per frame, at most 64 KB; with
                        --unreliable its losses, duplicates and reorderings reach the processes)
                        or http (frames as HTTP/1.1 requests through Hono: the slow path); not
                        with --sim
  --auth KEY            sign every frame with HMAC-SHA256 under the shared KEY, with a replay
                        window: altered, replayed or unsigned frames are refused (or set
                        ARCHLAB_AUTH_KEY instead of putting the key on the command line)
  --encrypt             with --auth: also seal every message body with AES-256-GCM
  --shrink              with --sim, when the run fails: reduce its faults (the frames --drop,
                        --dup, --reorder hit, --partition, --crash) by delta debugging, then the
                        workload sizes given on the command line, under the same seed, and print
                        the flags that replay the minimal failure (--json: "shrink")
  --frame-faults LIST   with --sim: exactly these frames are hit: drop:FROM>TO#N, dup:...,
                        hold:... (as --shrink prints them) or none; the --drop/--dup/--reorder
                        draws are still taken, so the rest of the run lines up
  --hosts FILE          put machines on other hosts (real OS processes only): one
                        "machine.domain host:port" per line, # comments; "ctl.lab host:port" says
                        where the lab listens for them. A machine on another host is started
                        there by hand (the lab says what to run, and waits up to 60 s):
                          deno task lab node --hosts FILE --machine m1.lab
                        machines not in the file run here, on ctl.lab's host
  --ssh                 with --hosts: the lab starts the machines of other hosts itself, with
                        "ssh HOST deno run ... lab/node/command.ts ..." (key-based login, deno
                        on the PATH there, this folder at the same path; --auth's key goes
                        through SendEnv=ARCHLAB_AUTH_KEY). No SSH server here: the tests run
                        that command through a stand-in for ssh, not against sshd
  --json                print one JSON object on stdout and nothing else there
  --trace FILE          write the trace, in the format of FILE's extension: .jsonl (JSON Lines),
                        .mmd (Mermaid), .svg or .html (space-time diagram), .shiviz (ShiViz log)
                        (a run that fails still writes the trace so far); any other
                        extension, or a folder that is missing or not writable, is refused
                        before the run
  --out [DIR]           write a results folder: summary.json, run.json, trace.jsonl,
                        diagram.html, diagram.svg, latency.svg, trace.shiviz; without DIR (or
                        with --artifacts) a new runs/<arch>-<seed>-<time>/ and runs/latest
  --artifacts           the same as --out without DIR; browse the folders: deno task lab serve
  --live                serve a live view on 127.0.0.1 (the URL is printed on stderr): the
                        diagram grows as the run happens, the summary appears at the end; the
                        lab keeps serving it after the run until Ctrl-C
  -q, --quiet           no live narration
  -h, --help            this help
Faults never touch the lab's own machine ctl.lab: its collectors and reports are bookkeeping,
and the summary counts only the architecture's own messages and bytes.`;
}

/** Help lines for {@link COMMON_FLAGS}, for commands that run on both transports. */
export const COMMON_HELP: string = commonHelp();

export type { CrashSpec, PartitionSpec, SkewSpec } from "./_fault_flags.ts";
export { checkFaultTargets } from "./_fault_flags.ts";

/** The common flags, parsed and checked. */
export interface CommonOptions {
  readonly sim: boolean;
  readonly seed: number;
  readonly drop: number;
  readonly duplicate: number;
  readonly reorder: number;
  readonly latency?: Latency;
  readonly partitions: PartitionSpec[];
  readonly crashes: CrashSpec[];
  /** Clock skews (simulator only). */
  readonly skews: SkewSpec[];
  /** Probability that a crash loses the disk's unsynced writes (simulator only). @default 0 */
  readonly loseUnsynced?: number;
  readonly reliable: boolean;
  /** What carries frames between OS processes (`--transport`). */
  readonly transport: TransportName;
  /** Shared key that authenticates every frame, when given. */
  readonly auth?: string;
  /** Seal bodies with AES-256-GCM too. */
  readonly encrypt: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly trace?: string;
  /** The results folder (made before the run), when `--out` or `--artifacts` asked for one. */
  readonly out?: string;
  /** Serve a live view of the run. */
  readonly live: boolean;
  /** Exactly the frames hit (`--frame-faults`), when given: the draws decide nothing. */
  readonly frameFaults?: readonly FrameFault[];
  /** Where machines run (`--hosts FILE`), when given. */
  readonly hosts?: HostsFile;
  /** Start the machines of other hosts over SSH (`--ssh`). */
  readonly ssh: boolean;
}

function probability(name: string, value: unknown, usage: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(String(value)) || !(n >= 0 && n <= 1)) {
    throw new UsageError(
      `Cannot use --${name} "${value}": give a probability between 0 and 1`,
      usage,
    );
  }
  return n;
}

/**
 * Parses the common flags and checks them: probabilities, windows whose end does not precede
 * their start, `--delay` MIN <= MAX, `--reorder` on OS processes only with `--delay`, `--encrypt` only with a key.
 * The machines that `--crash` and `--partition` name are checked by {@link checkFaultTargets}
 * once the command knows its machines.
 *
 * @example Faults and seed
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommon } from "./_common.ts";
 * const options = parseCommon({ sim: true, seed: "7", drop: "0.2", crash: "m1.lab@100..300" }, "usage");
 * assert.equal(options.seed, 7);
 * assert.deepEqual(options.crashes, [{ machine: "m1.lab", at: 100, restartAt: 300 }]);
 * assert.throws(() => parseCommon({ crash: "m1.lab@300..50" }, "usage"), /comes before/);
 * ```
 */
export function parseCommon(
  values: Record<string, unknown>,
  usage: string,
): CommonOptions {
  if (typeof values.trace === "string") {
    checkTracePath(values.trace, (m) => new UsageError(m, usage));
  }
  const partitions = parsePartitions(values.partition, usage);
  const crashes = parseCrashes(values.crash, usage);
  if (values.encrypt === true && values.auth === undefined && !Deno.env.get("ARCHLAB_AUTH_KEY")) {
    throw new UsageError("Cannot use --encrypt without a key: add --auth KEY", usage);
  }
  const latency = parseDelay(values.delay, usage);
  const sim = values.sim === true;
  const reorder = probability("reorder", values.reorder, usage);
  if (reorder > 0 && !sim && latency === undefined) {
    throw new UsageError(
      "Cannot use --reorder on OS processes without --delay: a reordered frame is held back up " +
        "to three times the latency's bound, and real sockets add none; add --delay 1..5",
      usage,
    );
  }
  const seed = intFlag("seed", values.seed, 1, usage);
  const transport = transportFlag(values.transport, sim, usage);
  const skews = parseSkews(values.skew, usage);
  if (skews.length > 0 && !sim) {
    throw new UsageError(
      "Cannot use --skew without --sim: OS processes on one host share its clock; add --sim",
      usage,
    );
  }
  const loseUnsynced = probability("lose-unsynced", values["lose-unsynced"], usage);
  if (loseUnsynced > 0 && !sim) {
    throw new UsageError(
      "Cannot use --lose-unsynced without --sim: a real host's disk loses what it did not sync " +
        "when its OS process is killed; add --sim",
      usage,
    );
  }
  return {
    sim,
    seed,
    loseUnsynced,
    drop: probability("drop", values.drop, usage),
    duplicate: probability("dup", values.dup, usage),
    reorder,
    latency,
    partitions,
    crashes,
    skews,
    reliable: values.unreliable !== true,
    transport,
    auth: typeof values.auth === "string"
      ? values.auth
      : Deno.env.get("ARCHLAB_AUTH_KEY") || undefined,
    encrypt: values.encrypt === true,
    json: values.json === true,
    quiet: values.quiet === true || values.json === true,
    trace: typeof values.trace === "string" ? values.trace : undefined,
    out: resultsFolder(values, seed, usage),
    live: wantLive(values.live === true),
    frameFaults: frameFaultsFlag(values, sim, usage),
    ...hostsFlags(values, sim, usage),
  };
}

/**
 * The frame authentication the common flags ask for (`--auth KEY`, `--encrypt`), as the
 * deployers and a machine's host take it; `undefined` without a key.
 *
 * @example With and without a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameAuth } from "./_common.ts";
 * assert.deepEqual(frameAuth({ auth: "k", encrypt: true }), { key: "k", encrypt: true });
 * assert.equal(frameAuth({ encrypt: false }), undefined);
 * ```
 */
export function frameAuth(
  common: Pick<CommonOptions, "auth" | "encrypt">,
): { key: string; encrypt: boolean } | undefined {
  return common.auth === undefined ? undefined : { key: common.auth, encrypt: common.encrypt };
}

/** `--hosts FILE` read and checked, and `--ssh` (which needs it); neither with `--sim`. */
function hostsFlags(
  values: Record<string, unknown>,
  sim: boolean,
  usage: string,
): { hosts?: HostsFile; ssh: boolean } {
  const ssh = values.ssh === true;
  if (typeof values.hosts !== "string") {
    if (ssh) throw new UsageError("Cannot use --ssh without --hosts FILE: it says where", usage);
    return { ssh };
  }
  if (sim) {
    throw new UsageError(
      "Cannot use --hosts with --sim: the simulator runs every machine in one process; drop --sim",
      usage,
    );
  }
  try {
    return { hosts: readHostsFile(values.hosts), ssh };
  } catch (error) {
    if (error instanceof HostsFileError) throw new UsageError(error.message, usage);
    throw error;
  }
}

/** `--transport`: tcp, udp or http, on OS processes only. */
function transportFlag(value: unknown, sim: boolean, usage: string): TransportName {
  if (value === undefined) return "tcp";
  const name = String(value);
  if (!(TRANSPORTS as readonly string[]).includes(name)) {
    throw new UsageError(
      `Cannot use --transport "${name}": choose ${TRANSPORTS.join(", ")}`,
      usage,
    );
  }
  if (sim && name !== "tcp") {
    throw new UsageError(
      `Cannot use --transport ${name} in the simulator (--sim, or a command that runs only ` +
        "there): the simulator is its own network; run the machines as OS processes to use " +
        name.toUpperCase(),
      usage,
    );
  }
  return name as TransportName;
}

/** A command's flags once `--help` is ruled out, from {@link openFlags}. */
export interface OpenedFlags {
  readonly values: FlagValues;
  readonly positionals: string[];
}

/** A command's flags and its parsed common flags, from {@link openCommand}. */
export interface OpenedCommand extends OpenedFlags {
  readonly common: CommonOptions;
}

/**
 * Opens a command: parses `args` strictly against `flags` ({@link parseFlags}); on `--help`
 * writes `usage` through `log` (default `console.log`; `null` when the caller prints it) and
 * returns `undefined`.
 *
 * @example Help is printed once; anything else comes back parsed
 * ```ts
 * import assert from "node:assert/strict";
 * import { openFlags } from "./_common.ts";
 * const flags = { help: { type: "boolean", short: "h" }, port: { type: "string" } } as const;
 * const lines: string[] = [];
 * assert.equal(openFlags(["-h"], flags, "usage", (line) => lines.push(line)), undefined);
 * assert.deepEqual(lines, ["usage"]);
 * assert.equal(openFlags(["--port", "80", "x"], flags, "usage")?.values.port, "80");
 * ```
 */
export function openFlags(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
  usage: string,
  log: ((text: string) => void) | null = console.log,
): OpenedFlags | undefined {
  const { values, positionals } = parseFlags(args, flags, usage);
  if (values.help) {
    log?.(usage);
    return undefined;
  }
  return { values, positionals };
}

/**
 * Opens an architecture command: {@link openFlags} (with `--help` handled the same way), then
 * {@link parseCommon} on the values; `flags` should include {@link COMMON_FLAGS}.
 *
 * @example The common flags come back parsed
 * ```ts
 * import assert from "node:assert/strict";
 * import { COMMON_FLAGS, openCommand } from "./_common.ts";
 * const flags = { ...COMMON_FLAGS, clients: { type: "string" } } as const;
 * const opened = openCommand(["--sim", "--seed", "3", "--clients", "2"], flags, "usage")!;
 * assert.equal(opened.common.seed, 3);
 * assert.equal(opened.values.clients, "2");
 * const lines: string[] = [];
 * assert.equal(openCommand(["--help"], flags, "usage", (line) => lines.push(line)), undefined);
 * assert.deepEqual(lines, ["usage"]);
 * assert.throws(() => openCommand(["--drop", "2"], flags, "usage"), /--drop/);
 * ```
 */
export function openCommand(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
  usage: string,
  log: ((text: string) => void) | null = console.log,
): OpenedCommand | undefined {
  const opened = openFlags(args, flags, usage, log);
  if (opened === undefined) return undefined;
  return { ...opened, common: parseCommon(opened.values, usage) };
}

/** Tells the run's session that `--live` asked for a live view. */
function wantLive(live: boolean): boolean {
  const session = currentSession();
  if (live && session !== undefined) session.wantLive = true;
  return live;
}

/** The results-folder flags, for commands without {@link COMMON_FLAGS}. */
export const RESULTS_FLAGS: Readonly<Record<string, FlagSpec>> = {
  out: COMMON_FLAGS.out,
  artifacts: COMMON_FLAGS.artifacts,
};

/** Help lines of {@link RESULTS_FLAGS}. */
export const RESULTS_HELP: string =
  `  --out [DIR]           write a results folder (summary.json, run.json); without DIR (or with
                        --artifacts) a new runs/<command>-<seed>-<time>/ and runs/latest
  --artifacts           the same as --out without DIR; browse the folders: deno task lab serve`;

/**
 * Makes the results folder that `--out`/`--artifacts` ask for, before the run, and tells the
 * run's session; returns its path, or `undefined` when none was asked for.
 *
 * @example No flag, no folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { resultsFolder } from "./_common.ts";
 * assert.equal(resultsFolder({}, 1, "usage"), undefined);
 * assert.throws(() => resultsFolder({ out: "a", artifacts: true }, 1, "usage"), /give one of them/);
 * ```
 */
export function resultsFolder(
  values: Record<string, unknown>,
  seed: number,
  usage: string,
): string | undefined {
  if (values.out === undefined && values.artifacts !== true) return undefined;
  if (typeof values.out === "string" && values.out !== "" && values.artifacts === true) {
    throw new UsageError(
      `Cannot use --artifacts with --out "${values.out}": give one of them`,
      usage,
    );
  }
  const session = currentSession();
  const explicit = typeof values.out === "string" && values.out !== "" ? values.out : undefined;
  if (session?.out !== undefined) return session.out; // Parsed again by the same command.
  const dir = prepareOutDir(explicit, session?.command ?? "lab", seed, {
    fail: (m) => new UsageError(m, usage),
  });
  if (session !== undefined) {
    session.out = dir;
    session.linkLatest = explicit === undefined;
    session.seed = seed;
  }
  return dir;
}

function frameFaultsFlag(
  values: Record<string, unknown>,
  sim: boolean,
  usage: string,
): FrameFault[] | undefined {
  for (const flag of ["shrink", "frame-faults"]) {
    if (values[flag] !== undefined && !sim) {
      throw new UsageError(
        `Cannot use --${flag} without --sim: only a simulated run replays under its seed; add --sim`,
        usage,
      );
    }
  }
  const value = values["frame-faults"];
  return typeof value === "string" ? parseFrameFaults(value, usage) : undefined;
}

/**
 * The p-th percentile (0..100) of `values`, by nearest rank; 0 for no values.
 *
 * @example Median
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./_common.ts";
 * assert.equal(percentile([5, 1, 3], 50), 3);
 * ```
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank] * 1000) / 1000;
}

/**
 * The summary table's two latency rows: the percentiles in ms, or `none` and why when no sample
 * was taken (a p50 of 0 ms would read as an instant answer when nothing was answered).
 *
 * @example No request answered
 * ```ts
 * import assert from "node:assert/strict";
 * import { latencyRows } from "./_common.ts";
 * assert.deepEqual(latencyRows({ p50: 1.5, p99: 4 }, 3), [
 *   ["latency p50", "1.500 ms"],
 *   ["latency p99", "4.000 ms"],
 * ]);
 * assert.deepEqual(latencyRows({ p50: 0, p99: 0 }, 0, "", "no request was answered"), [
 *   ["latency p50", "none: no request was answered"],
 *   ["latency p99", "none"],
 * ]);
 * ```
 */
export function latencyRows(
  latency: { readonly p50: number; readonly p99: number },
  samples: number,
  what = "",
  whyNone = "nothing was measured",
): [string, string][] {
  if (samples === 0) return [["latency p50", `none: ${whyNone}`], ["latency p99", "none"]];
  return [
    ["latency p50", `${latency.p50.toFixed(3)} ms${what === "" ? "" : ` (${what})`}`],
    ["latency p99", `${latency.p99.toFixed(3)} ms`],
  ];
}

/** The keys every architecture's `--json` summary has. */
export interface Summary {
  architecture: string;
  transport: "sim" | TransportName;
  seed: number;
  requests: number;
  messages: number;
  bytes: number;
  latency: { p50: number; p99: number };
  retransmissions: number;
  errors: number;
  traceDigest: string;
  [key: string]: unknown;
}

/**
 * A narration line for a trace event, or `undefined` for events not worth a line.
 *
 * @example A delivered request
 * ```ts
 * import assert from "node:assert/strict";
 * import { narrate } from "./_common.ts";
 * const line = narrate({ t: 1, ev: "send", at: "c1@m2.lab", from: "c1@m2.lab", to: "kv@m1.lab", label: "GET x" });
 * assert.equal(line, "     1.000 ms  c1@m2.lab -> kv@m1.lab GET x");
 * const refused = narrate({ t: 2, ev: "drop", at: "m1.lab", note: "bad hello" });
 * assert.equal(refused, "     2.000 ms  m1.lab -x frame DROPPED (bad hello)");
 * const fault = narrate({ t: 5, ev: "log", at: "m1.lab", note: "disk lost 2 unsynced writes (fault)" });
 * assert.equal(fault, "     5.000 ms  *** DISK m1.lab lost 2 unsynced writes (fault)");
 * ```
 */
export function narrate(event: TraceEvent): string | undefined {
  const t = event.t.toFixed(3).padStart(10);
  switch (event.ev) {
    case "send":
      return `${t} ms  ${event.from} -> ${event.to} ${event.label ?? event.kind ?? ""}`;
    case "drop":
      // A frame refused before it was read has no envelope: the machine that refused it speaks.
      if (event.from === undefined) return `${t} ms  ${event.at} -x frame DROPPED (${event.note})`;
      return `${t} ms  ${event.from} -x ${event.to} ${event.kind ?? ""} DROPPED (${event.note})`;
    case "retransmit":
      return `${t} ms  ${event.from} => ${event.to} ${event.kind ?? ""} RETRANSMIT (${event.note})`;
    case "duplicate":
      return `${t} ms  ${event.from} => ${event.to} ${event.kind ?? ""} DUPLICATE (${event.note})`;
    case "timer":
      return event.note?.startsWith("timeout: request")
        ? `${t} ms  ${event.at} TIMEOUT (${event.note.slice(9)})`
        : undefined;
    case "crash":
    case "restart":
    case "partition":
    case "heal":
      return `${t} ms  *** ${event.ev.toUpperCase()} ${event.note ?? event.at}`;
    case "log":
      // The simulator's disk fault, written at the crash it struck.
      return event.note?.startsWith("disk lost ") && !event.at.includes("@")
        ? `${t} ms  *** DISK ${event.at} ${event.note.slice(5)}`
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Writes `trace` to `file` in the format of its extension: `.jsonl`, `.mmd` (Mermaid), `.svg`
 * or `.html` (space-time diagram), `.shiviz` (ShiViz log). The title defaults to the command.
 */
export async function writeTrace(
  trace: Trace,
  file: string,
  options: DiagramOptions = {},
): Promise<void> {
  const title = options.title ?? `deno task lab ${Deno.args.join(" ")}`;
  keepRunTrace(trace, options.clock);
  // Loaded when needed: the machines' OS processes import this module but never draw.
  const { writeTraceFile } = await import("./diagram/trace_file.ts");
  await writeTraceFile(trace.events, file, { ...options, title });
}

/**
 * Ends a run's trace: keeps it for the results folder (`--out`) and writes it to `--trace FILE`
 * when given. The clock follows the transport unless `options` says otherwise.
 *
 * @example Written by extension
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../core/trace.ts";
 * import { saveTrace } from "./_common.ts";
 * const trace = new Trace();
 * trace.record({ t: 0, ev: "spawn", at: "a@m1.lab" });
 * const file = await Deno.makeTempFile({ suffix: ".jsonl" });
 * await saveTrace(trace, { sim: true, trace: file });
 * assert.equal(await Deno.readTextFile(file), '{"t":0,"ev":"spawn","at":"a@m1.lab"}\n');
 * await Deno.remove(file);
 * ```
 */
export async function saveTrace(
  trace: Trace,
  common: Pick<CommonOptions, "trace" | "sim">,
  options: DiagramOptions = {},
): Promise<void> {
  const clock = options.clock ?? (common.sim ? "virtual" : "wall");
  keepRunTrace(trace, clock);
  if (common.trace) await writeTrace(trace, common.trace, { ...options, clock });
}

/**
 * Formats rows as a two-column table.
 *
 * @example A table
 * ```ts
 * import assert from "node:assert/strict";
 * import { table } from "./_common.ts";
 * assert.equal(table([["requests", "30"]]), "requests  30");
 * ```
 */
export function table(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n");
}
