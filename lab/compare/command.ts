/**
 * `deno task lab compare`: the architectures side by side in the simulator, under one seed and
 * one fault schedule, first undisturbed and then with their server machine down for a while:
 * what each design costs in messages, bytes and latency, and what it buys in availability.
 * @module
 */
import {
  type FlagSpec,
  intFlag,
  parseCommon,
  parseFlags,
  RESULTS_FLAGS,
  RESULTS_HELP,
  resultsFolder,
  type Summary,
  UsageError,
} from "../_common.ts";
import { runClientServer } from "../client_server/command.ts";
import { runP2p } from "../p2p/command.ts";
import { runProxy } from "../proxy/command.ts";
import { runThreeTier } from "../three_tier/command.ts";
import { forgetTrace, keepSummary } from "../results/session.ts";

const USAGE = `Usage: deno task lab compare [flags]

Runs client-server, proxy, three-tier and p2p with the same seed and network faults, each on
its own default workload: once undisturbed, once with the machine that serves the data
(kv@m1.lab, the origin, the data tier, one peer) down during --outage. Prints messages and bytes
per request, latency, retransmissions and the share of requests answered.

Runs on: the deterministic simulator only (every run gets --sim), so that all architectures see
the same seed and the same fault schedule.

Flags:
  --seed N              seed of every run (default 1)
  --outage FROM..TO     when the serving machine is down, in ms of virtual time (default 20..400; FROM alone: down for good)
  --drop P, --dup P, --reorder P, --delay MIN..MAX, --unreliable
                        network faults applied to every run (see any architecture's --help)
  --json                one JSON object on stdout
${RESULTS_HELP}
  -h, --help            this help

Examples:
  deno task lab compare
  deno task lab compare --seed 7 --drop 0.1 --outage 50..800
  deno task lab compare --json --outage 20          # the serving machine never comes back`;

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
};

interface Contender {
  readonly architecture: string;
  readonly run: (args: string[]) => Promise<number>;
  /** The machine whose outage the second run simulates. */
  readonly server: string;
}

const CONTENDERS: readonly Contender[] = [
  { architecture: "client-server", run: runClientServer, server: "m1.lab" },
  { architecture: "proxy", run: runProxy, server: "origin.lab" },
  { architecture: "three-tier", run: runThreeTier, server: "data.lab" },
  { architecture: "p2p", run: runP2p, server: "p0.lab" },
];

/** One architecture's figures in the comparison. */
export interface ComparisonRow {
  readonly architecture: string;
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

/** Runs every contender twice (undisturbed, then with an outage) and returns one row each. */
export async function compareArchitectures(
  faults: readonly string[],
  options: { seed?: number; outage?: string } = {},
): Promise<ComparisonRow[]> {
  const rows: ComparisonRow[] = [];
  for (const c of CONTENDERS) {
    const base = ["--sim", "--json", "--seed", String(options.seed ?? 1), ...faults];
    const calm = await quietly(c.run, base);
    const down = await quietly(c.run, [
      ...base,
      "--crash",
      `${c.server}@${options.outage ?? "20..400"}`,
    ]);
    const per = (n: number) => Math.round((n / Math.max(1, calm.requests)) * 10) / 10;
    rows.push({
      architecture: c.architecture,
      requests: calm.requests,
      messagesPerRequest: per(calm.messages),
      bytesPerRequest: per(calm.bytes),
      latency: calm.latency,
      retransmissions: calm.retransmissions,
      availability: down.requests === 0 ? 1 : Math.max(0, 1 - down.errors / down.requests),
      outageP99: down.latency.p99,
      outage: c.server,
    });
  }
  return rows;
}

/** Runs `lab compare`; returns the exit code. */
export async function runCompare(args: string[]): Promise<number> {
  const { values } = parseFlags(args, FLAGS, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = intFlag("seed", values.seed, 1, USAGE);
  const outage = typeof values.outage === "string" ? values.outage : "20..400";
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
  parseCommon({ ...values, sim: true }, USAGE); // The fault flags, checked before any run.
  resultsFolder(values, seed, USAGE);
  const faults: string[] = [];
  for (const flag of ["drop", "dup", "reorder", "delay"]) {
    if (typeof values[flag] === "string") faults.push(`--${flag}`, values[flag] as string);
  }
  if (values.unreliable) faults.push("--unreliable");
  const rows = await compareArchitectures(faults, { seed, outage });
  forgetTrace(); // The contenders' traces are theirs: the folder holds the comparison.
  keepSummary({ architecture: "compare", seed, outage, faults, rows });
  if (values.json) {
    console.log(JSON.stringify({ architecture: "compare", seed, outage, faults, rows }));
    return 0;
  }
  const table = [
    ["", "", "", "", "", "", "", "with the outage:", ""],
    [
      "architecture",
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
      String(r.requests),
      String(r.messagesPerRequest),
      String(r.bytesPerRequest),
      r.latency.p50.toFixed(1),
      r.latency.p99.toFixed(1),
      String(r.retransmissions),
      `${(r.availability * 100).toFixed(0)}%`,
      r.outageP99.toFixed(1),
    ]),
  ];
  const widths = table[1].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) {
    console.log(row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd());
  }
  console.log(
    `\noutage: ${rows.map((r) => r.outage).join(", ")} down at ${outage} ms; seed ${seed}; each ` +
      "architecture runs its own default workload (see its --help).\nClients retry, so a short " +
      "outage shows as latency and a long one as unanswered requests.",
  );
  return 0;
}
