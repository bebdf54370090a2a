/**
 * `deno task lab compare`: the architectures side by side in the simulator, under one seed and
 * one fault schedule, first undisturbed and then with their server machine down for a while:
 * what each design costs in messages, bytes and latency, and what it buys in availability.
 * @module
 */
import {
  type FlagSpec,
  intFlag,
  openFlags,
  parseCommon,
  RESULTS_FLAGS,
  RESULTS_HELP,
  resultsFolder,
  type Summary,
  UsageError,
} from "../_common.ts";
import { Progress } from "../_progress.ts";
import { DELAY_DEFAULT, delayTimeout } from "../_delay_timeouts.ts";
import { type Latency, parseLatency } from "../../core/latency.ts";
import { runClientServer } from "../client_server/command.ts";
import { runP2p } from "../p2p/command.ts";
import { runProxy } from "../proxy/command.ts";
import { runThreeTier } from "../three_tier/command.ts";
import { forgetTrace, keepSummary } from "../results/session.ts";
import { type TransportName, TRANSPORTS } from "../../core/network/host_network.ts";

const USAGE = `Usage: deno task lab compare [flags]

Runs client-server, proxy, three-tier and p2p with the same seed and network faults, each on
its own default workload: once undisturbed, once with the machine that serves the data
(kv@m1.lab, the origin, the data tier, one peer) down during --outage. Prints messages and bytes
per request, latency, retransmissions and the share of requests answered.

Runs on: the deterministic simulator (default: every run gets --sim, so that all architectures
see the same seed and the same fault schedule), or real OS processes over TCP on 127.0.0.1 with
--real (the same fault schedule, in wall-clock ms; slower, and timings vary from run to run), or
over each transport of --transport, one row per architecture and transport.

Flags:
  --seed N              seed of every run (default 1)
  --outage FROM..TO     when the serving machine is down, in ms of virtual time (default 20..400,
                        ${DELAY_DEFAULT}: down for 2 x a round trip at its bound + 100 ms;
                        FROM alone: down for good)
  --drop P, --dup P, --reorder P, --delay MIN..MAX, --unreliable
                        network faults applied to every run (see any architecture's --help)
  --crash ROLE@AT[..RESTART]
                        crash a machine in every run of every architecture, named by its role:
                        server (m1.lab, origin.lab, data.lab, p0.lab); repeatable
  --partition A|B@FROM..TO
                        cut machines apart in every run; each side is a role: server, or others
                        (every other machine of that architecture); "->" cuts one way; repeatable
  --real                run every architecture as real OS processes over TCP instead
  --transport LIST      with --real (implied): run each architecture over each of these
                        transports, comma-separated: tcp, udp, http (default tcp); the rows
                        then set TCP against UDP and HTTP on the same workload and faults
  --json                one JSON object on stdout
${RESULTS_HELP}
  -h, --help            this help

Each architecture's line is printed as it finishes; on a terminal a progress line on stderr says
which run is going. The summary lists the faults as applied to each architecture's machines.

Examples:
  deno task lab compare
  deno task lab compare --seed 7 --drop 0.1 --outage 50..800
  deno task lab compare --partition "server|others@100..300" --crash server@500..700
  deno task lab compare --json --outage 20          # the serving machine never comes back
  deno task lab compare --real --crash server@300..600
  deno task lab compare --transport tcp,udp --unreliable --dup 0.1`;

const FLAGS: Readonly<Record<string, FlagSpec>> = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  seed: { type: "string" },
  outage: { type: "string" },
  drop: { type: "string" },
  dup: { type: "string" },
  reorder: { type: "string" },
  delay: { type: "string" },
  unreliable: { type: "boolean" },
  ...RESULTS_FLAGS,
  crash: { type: "string", multiple: true },
  partition: { type: "string", multiple: true },
  real: { type: "boolean" },
  transport: { type: "string" },
  sim: { type: "boolean" },
};

interface Contender {
  readonly architecture: string;
  readonly run: (args: string[]) => Promise<number>;
  /** The machine whose outage the second run simulates. */
  readonly server: string;
  /** Its machines on its default workload (the lab's own ctl.lab aside). */
  readonly machines: readonly string[];
}

const CONTENDERS: readonly Contender[] = [
  {
    architecture: "client-server",
    run: runClientServer,
    server: "m1.lab",
    machines: ["m1.lab", "m2.lab", "m3.lab", "m4.lab"],
  },
  {
    architecture: "proxy",
    run: runProxy,
    server: "origin.lab",
    machines: ["origin.lab", "proxy.lab", "c1.lab", "c2.lab", "c3.lab"],
  },
  {
    architecture: "three-tier",
    run: runThreeTier,
    server: "data.lab",
    machines: ["web.lab", "logic.lab", "data.lab"],
  },
  {
    architecture: "p2p",
    run: runP2p,
    server: "p0.lab",
    machines: Array.from({ length: 20 }, (_, i) => `p${i}.lab`),
  },
];

/** The roles a fault of `lab compare` may name. */
const ROLES = ["server", "others"] as const;

/** What a run of `compareArchitectures` is doing, for a progress line. */
export interface CompareProgress {
  /** The architecture running. */
  readonly architecture: string;
  /** 0-based position among the architectures. */
  readonly index: number;
  /** How many architectures there are. */
  readonly total: number;
  /** The undisturbed run or the one with the outage. */
  readonly run: "undisturbed" | "outage";
  /** What carries the frames of this run. @default "sim" */
  readonly transport?: "sim" | TransportName;
}

/** One architecture's figures in the comparison. */
export interface ComparisonRow {
  readonly architecture: string;
  /** What carried the frames: the simulator, or the transport between OS processes. */
  readonly transport: "sim" | TransportName;
  readonly requests: number;
  readonly messagesPerRequest: number;
  readonly bytesPerRequest: number;
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly retransmissions: number;
  /** Share of requests answered (without an error) in the run with the outage. */
  readonly availability: number;
  /** 99th-percentile latency in the run with the outage, ms. */
  readonly outageP99: number;
  /** The serving machine that was taken down. */
  readonly outage: string;
  /** The `--crash` and `--partition` flags as applied to this architecture's machines. */
  readonly faults: readonly string[];
}

/** Options of {@link compareArchitectures}. */
export interface CompareOptions {
  /** Seed of every run. @default 1 */
  readonly seed?: number;
  /**
   * The serving machine's outage window, `FROM..TO` or `FROM` ms. @default {@link defaultOutage}
   * of the `--delay` among the faults ("20..400" without one)
   */
  readonly outage?: string;
  /** `--crash` specs naming roles (`server@AT..RESTART`), applied to every run. @default [] */
  readonly crashes?: readonly string[];
  /** `--partition` specs naming roles (`server|others@FROM..TO`), applied to every run. @default [] */
  readonly partitions?: readonly string[];
  /** Run as real OS processes over TCP instead of in the simulator. @default false */
  readonly real?: boolean;
  /** With `real`: run each architecture over each of these transports. @default ["tcp"] */
  readonly transports?: readonly TransportName[];
  /** Only these architectures, in the usual order. @default every one */
  readonly architectures?: readonly string[];
  /** Called as each run starts. @default none */
  readonly onRun?: (progress: CompareProgress) => void;
  /** Called with each architecture's row as it finishes. @default none */
  readonly onRow?: (row: ComparisonRow) => void;
}

/**
 * The machines `role` stands for in `contender`: `server` its serving machine, `others` every
 * other one of its machines.
 */
function machinesOf(role: string, contender: Contender): string[] {
  return role === "server"
    ? [contender.server]
    : contender.machines.filter((m) => m !== contender.server);
}

/**
 * Translates a `--crash` or `--partition` spec that names roles into `contender`'s machines.
 *
 * @example A partition of the server from the others, for one architecture
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyRoles } from "./command.ts";
 * assert.equal(
 *   applyRoles("partition", "server|others@100..300", "three-tier"),
 *   "data.lab|web.lab,logic.lab@100..300",
 * );
 * assert.equal(applyRoles("crash", "server@50..90", "p2p"), "p0.lab@50..90");
 * assert.throws(() => applyRoles("crash", "m1.lab@50", "p2p"), /name machines by role/);
 * ```
 */
export function applyRoles(
  flag: "crash" | "partition",
  spec: string,
  architecture: string,
): string {
  const contender = CONTENDERS.find((c) => c.architecture === architecture);
  if (contender === undefined) {
    throw new RangeError(
      `Cannot apply a fault to "${architecture}": use ${
        CONTENDERS.map((c) => c.architecture).join(", ")
      }`,
    );
  }
  const at = spec.lastIndexOf("@");
  const sides = at < 0 ? spec : spec.slice(0, at), when = at < 0 ? "" : spec.slice(at);
  const separator = flag === "crash" ? undefined : sides.includes("->") ? "->" : "|";
  const parts = separator === undefined ? [sides] : sides.split(separator);
  const mapped = parts.map((part) =>
    part.split(",").flatMap((role) => {
      if (!(ROLES as readonly string[]).includes(role) || (flag === "crash" && role !== "server")) {
        throw new UsageError(
          `Cannot use --${flag} "${spec}" in lab compare: "${role}" is no role; its ` +
            "architectures have different machines, so name machines by role: " +
            (flag === "crash" ? "server" : "server or others") +
            ` (e.g. ${flag === "crash" ? "server@100..300" : "server|others@100..300"})`,
          USAGE,
        );
      }
      return machinesOf(role, contender);
    }).join(",")
  );
  return `${separator === undefined ? mapped[0] : mapped.join(separator)}${when}`;
}

async function quietly(run: (args: string[]) => Promise<number>, args: string[]): Promise<Summary> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    await run(args);
  } finally {
    console.log = log;
  }
  const json = lines.findLast((line) => line.startsWith("{"));
  if (json === undefined) throw new Error(`Cannot compare: ${args.join(" ")} printed no summary`);
  return JSON.parse(json) as Summary;
}

/** One contender over one transport: undisturbed, then with its server down. */
async function compareOne(
  c: Contender,
  transport: "sim" | TransportName,
  faults: readonly string[],
  options: CompareOptions,
  progress: Omit<CompareProgress, "run">,
): Promise<ComparisonRow> {
  const schedule: string[] = [];
  for (const spec of options.crashes ?? []) {
    schedule.push("--crash", applyRoles("crash", spec, c.architecture));
  }
  for (const spec of options.partitions ?? []) {
    schedule.push("--partition", applyRoles("partition", spec, c.architecture));
  }
  const base = [
    ...(transport === "sim" ? ["--sim"] : transport === "tcp" ? [] : ["--transport", transport]),
    "--json",
    "--seed",
    String(options.seed ?? 1),
    ...faults,
    ...schedule,
  ];
  options.onRun?.({ ...progress, transport, run: "undisturbed" });
  const calm = await quietly(c.run, base);
  options.onRun?.({ ...progress, transport, run: "outage" });
  const down = await quietly(c.run, [
    ...base,
    "--crash",
    `${c.server}@${options.outage ?? defaultOutage(delayOf(faults))}`,
  ]);
  const per = (n: number) => Math.round((n / Math.max(1, calm.requests)) * 10) / 10;
  return {
    architecture: c.architecture,
    transport,
    requests: calm.requests,
    messagesPerRequest: per(calm.messages),
    bytesPerRequest: per(calm.bytes),
    latency: calm.latency,
    retransmissions: calm.retransmissions,
    availability: down.requests === 0 ? 1 : Math.max(0, 1 - down.errors / down.requests),
    outageP99: down.latency.p99,
    outage: c.server,
    faults: schedule,
  };
}

/**
 * Runs every contender twice (undisturbed, then with an outage), each under the network
 * `faults` and the role-named crashes and partitions of `options`, and returns one row each.
 */
export async function compareArchitectures(
  faults: readonly string[],
  options: CompareOptions = {},
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  const chosen = CONTENDERS.filter((c) => options.architectures?.includes(c.architecture) ?? true);
  const transports: readonly ("sim" | TransportName)[] = options.real
    ? options.transports ?? ["tcp"]
    : ["sim"];
  for (const [index, c] of chosen.entries()) {
    for (const transport of transports) {
      const row = await compareOne(c, transport, faults, options, {
        architecture: c.architecture,
        index,
        total: chosen.length,
      });
      rows.push(row);
      options.onRow?.(row);
    }
  }
  return rows;
}

/** `--transport`: a comma-separated list of transports (implies `--real`). */
function transportList(value: unknown, sim: boolean): TransportName[] {
  if (value === undefined) return ["tcp"];
  if (sim) {
    throw new UsageError(
      `Cannot use --transport with --sim: the simulator is its own network; drop --sim`,
      USAGE,
    );
  }
  const names = String(value).split(",");
  for (const name of names) {
    if (!(TRANSPORTS as readonly string[]).includes(name)) {
      throw new UsageError(
        `Cannot use --transport "${value}": "${name}" is no transport; list some of ${
          TRANSPORTS.join(",")
        }`,
        USAGE,
      );
    }
  }
  return names as TransportName[];
}

/** Runs `lab compare`; returns the exit code. */
export async function runCompare(args: string[]): Promise<number> {
  const opened = openFlags(args, FLAGS, USAGE);
  if (opened === undefined) return 0;
  const { values } = opened;
  const seed = intFlag("seed", values.seed, 1, USAGE);

  if (values.real === true && values.sim === true) {
    throw new UsageError(
      "Cannot use --real with --sim: --real runs real OS processes, --sim (the default) the simulator",
      USAGE,
    );
  }
  const transports = transportList(values.transport, values.sim === true);
  const real = values.real === true || values.transport !== undefined;
  // The fault flags, checked before any run (the transports above).
  const { latency } = parseCommon({ ...values, transport: undefined, sim: !real }, USAGE);
  const outage = outageFlag(values.outage, latency);
  resultsFolder(values, seed, USAGE);
  const faults: string[] = [];
  for (const flag of ["drop", "dup", "reorder", "delay"]) {
    if (typeof values[flag] === "string") faults.push(`--${flag}`, values[flag] as string);
  }
  if (values.unreliable) faults.push("--unreliable");
  const crashes = (values.crash ?? []) as string[],
    partitions = (values.partition ?? []) as string[];
  // Every role-named fault, translated for every architecture before any run.
  for (const c of CONTENDERS) {
    for (const spec of crashes) applyRoles("crash", spec, c.architecture);
    for (const spec of partitions) applyRoles("partition", spec, c.architecture);
  }
  const line = new Progress({ enabled: !values.json });
  const rows = await compareArchitectures(faults, {
    seed,
    outage,
    crashes,
    partitions,
    real,
    transports,
    onRun: (p) => line.update(progressLine(p, real)),
    onRow: (r) => {
      line.done();
      if (!values.json) console.log(rowLine(r, real));
    },
  });
  line.done();
  forgetTrace(); // The contenders' traces are theirs: the folder holds the comparison.
  keepSummary({ architecture: "compare", seed, outage, faults, rows });
  if (values.json) {
    console.log(
      JSON.stringify({
        architecture: "compare",
        seed,
        outage,
        faults,
        crashes,
        partitions,
        transport: real ? transports.join(",") : "sim",
        rows,
      }),
    );
    return 0;
  }
  console.log("");
  printRows(rows);
  console.log(
    `\noutage: ${[...new Set(rows.map((r) => r.outage))].join(", ")} down at ${outage} ms; ${
      real
        ? `real OS processes over ${transports.map((t) => t.toUpperCase()).join(", ")}`
        : `simulator, seed ${seed}`
    }; each ` +
      "architecture runs its own default workload (see its --help).\nClients retry, so a short " +
      "outage shows as latency and a long one as unanswered requests.\nLatency: of the " +
      "answered requests, failures are the rest of answered (three-tier's counts its 5xx " +
      "answers too); p2p's is the time its writes take to reach each peer.",
  );
  if (crashes.length + partitions.length > 0) {
    console.log("faults applied to every run:");
    for (const r of rows) console.log(`  ${r.architecture}: ${r.faults.join(" ")}`);
  }
  return 0;
}

/** `--outage FROM..TO` (ms), checked; {@link defaultOutage} when absent. */
function outageFlag(value: unknown, latency: Latency | undefined): string {
  const outage = typeof value === "string" ? value : defaultOutage(latency);
  const window = /^(\d+)(?:\.\.(\d+))?$/.exec(outage);
  if (!window) {
    throw new UsageError(
      `Cannot use --outage "${outage}": write FROM..TO or FROM in ms, e.g. 20..400`,
      USAGE,
    );
  }
  if (window[2] !== undefined && Number(window[2]) < Number(window[1])) {
    throw new UsageError(
      `Cannot use --outage "${outage}": the end at ${window[2]} ms comes before the start at ` +
        `${window[1]} ms; write FROM..TO with the later time second`,
      USAGE,
    );
  }
  return outage;
}

/** The default outage's start and length, in ms. */
const OUTAGE_FROM = 20, OUTAGE_MS = 380;

/**
 * The outage the user did not set: down from 20 to 400 ms while those 380 ms cover two round
 * trips at `latency`'s bound (the rule of {@link delayTimeout}); under a longer delay down as long
 * as that + 100 ms, so that requests still reach the server while it is down (with `--delay
 * 1000`, a request sent at 0 ms arrives at 1000 ms, after a 20..400 outage).
 *
 * @example The default, and under a delay of 1000 ms
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultOutage } from "./command.ts";
 * assert.equal(defaultOutage(undefined), "20..400");
 * assert.equal(defaultOutage({ kind: "uniform", min: 1, max: 30 }), "20..400");
 * assert.equal(defaultOutage({ kind: "constant", ms: 1000 }), "20..4120");
 * ```
 */
export function defaultOutage(latency: Latency | undefined): string {
  return `${OUTAGE_FROM}..${OUTAGE_FROM + delayTimeout(OUTAGE_MS, latency)}`;
}

/** The latency of the `--delay` among `faults`, if one is there. */
function delayOf(faults: readonly string[]): Latency | undefined {
  const at = faults.lastIndexOf("--delay");
  return at < 0 || at + 1 >= faults.length ? undefined : parseLatency(faults[at + 1]);
}

/** The progress line while a contender runs. */
function progressLine(p: CompareProgress, real: boolean): string {
  return `compare: ${p.architecture} (${p.index + 1}/${p.total})${
    real ? ` over ${p.transport}` : ""
  }, ${p.run === "undisturbed" ? "undisturbed run" : "run with the outage"}`;
}

/** The line that reports a contender as soon as its runs are over. */
function rowLine(r: ComparisonRow, real: boolean): string {
  return `${r.architecture}${
    real ? ` over ${r.transport}` : ""
  }: ${r.requests} requests, ${r.messagesPerRequest} msgs/req, p99 ` +
    `${r.latency.p99.toFixed(1)} ms; with ${r.outage} down ${
      (r.availability * 100).toFixed(0)
    }% answered${r.faults.length > 0 ? `; faults: ${r.faults.join(" ")}` : ""}`;
}

/** Prints the comparison table, one row per architecture (and transport). */
function printRows(rows: readonly ComparisonRow[]): void {
  const table = [
    ["", "", "", "", "", "", "", "", "with the outage:", ""],
    [
      "architecture",
      "transport",
      "requests",
      "msgs/req",
      "bytes/req",
      "p50 ms",
      "p99 ms",
      "retrans",
      "answered",
      "p99 ms",
    ],
    ...rows.map((r) => [
      r.architecture,
      r.transport,
      String(r.requests),
      String(r.messagesPerRequest),
      String(r.bytesPerRequest),
      r.latency.p50.toFixed(1),
      r.latency.p99.toFixed(1),
      String(r.retransmissions),
      `${(r.availability * 100).toFixed(0)}%`,
      // Nothing answered: no latency to show (a p99 of 0 ms would read as instant answers).
      r.availability === 0 ? "none" : r.outageP99.toFixed(1),
    ]),
  ];
  const widths = table[1].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  }
}
