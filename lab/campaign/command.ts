/**
 * `deno task lab campaign ARCH --seeds N`: a fault campaign. For each seed a random fault
 * schedule is drawn, the architecture runs in the simulator in-process, and its invariants are
 * judged; the table counts seeds, faults and violations, and every failing seed comes with the
 * `deno task lab ARCH --sim --seed ...` command that replays it.
 * @module
 */
import { intFlag, parseFlags, UsageError } from "../_common.ts";
import { didYouMean } from "../_flags.ts";
import { type CampaignResult, RUN_FAILED, runCampaign } from "./campaign.ts";
import { CAMPAIGN_TARGETS, type CampaignTarget } from "./targets.ts";

/** Most seeds one campaign runs per architecture. */
export const MAX_SEEDS = 100_000;

const ARCHS = Object.keys(CAMPAIGN_TARGETS);

const USAGE = `Usage: deno task lab campaign ARCH|all [--seeds N] [--from S] [--json] [-- FLAGS]

For each seed S..S+N-1, draws a random fault schedule from the seed (frame loss, duplication,
reordering, a latency spread, one- and two-way partitions, crashes, most with a restart, and
clock skews: offsets, fast and slow clocks, --skew; not for rpc, whose simulator has no skew),
runs the architecture in the deterministic simulator in this process, and checks its invariants:

  client-server   at-most-once (the server executed no request twice: not more requests than
                  distinct ids it received since it started, and none received again after a
                  restart) and acknowledged writes (the server's store
                  at the end holds every key a client got "ok" for a put of; a lower bound)
  transactions    atomicity (no transaction committed at one participant and aborted at
                  another) and conservation (settled balances sum to the opening total)
  group           for each order (fifo, causal, total): the order promised, atomicity (members
                  that moved to the next view delivered the same messages), views (every member
                  still running in the latest view, restarted members back as new
                  incarnations), finished (every member reported)
  p2p             convergence (every live peer ends with the same state)
  rpc             orphans accounted (every orphan killed by the policy or run to the end), for
                  each policy; only clients crash (the orphans come from client crashes)
  proxy           hit/miss accounting (the proxy's misses, coalesced and origin requests add
                  up; the origin served no more than the proxy asked for; clients saw no more
                  hits or misses than the proxy counted)
  three-tier      pool sessions returned (no data session leased or waited for at the end)
  mobile-agent    agent = pull (an agent that finished found what pulling every row finds)
  all             every architecture above

Runs on: the deterministic simulator only, in this process (each run is the one
\`deno task lab ARCH --sim --seed S ...\` replays).

Each run uses a small workload so that a campaign is quick: client-server 3 clients x 8
requests, transactions 2 clients x 3 transfers, group 4 members x 5 messages, p2p 8 peers and
3 writes, rpc 2 clients x 3 calls, proxy 3 clients x 20 requests over 20 keys, three-tier 3
users for 600 ms, mobile-agent 3 nodes and 600 rows. Skewed clocks run up to 5% fast or slow
(a machine's timers run on its own clock).

Prints a table: seeds run, faults injected, violations and failing seeds per invariant ("run
failed" counts runs that threw); then, for each failing seed, what broke and the command that
replays it. Exits 1 when any violation was found.

Flags:
  --seeds N             seeds per architecture, 1..${MAX_SEEDS} (default 100)
  --from S              first seed (default 1)
  --json                print one JSON object on stdout and nothing else there
  -q, --quiet           no progress line on the terminal (stderr)
  -h, --help            this help
  -- FLAGS              flags added to every run and to its replay command, for example a
                        broken variant (client-server --reply-cache 0 executes retransmissions
                        again)

Examples:
  deno task lab campaign client-server --seeds 100
  deno task lab campaign group --seeds 1000 --from 1001
  deno task lab campaign all --seeds 1000 --json
  deno task lab campaign client-server --seeds 50 -- --unreliable --reply-cache 0`;

/** A campaign's request: which targets, which seeds, extra flags. */
export interface CampaignArgs {
  /** The targets, in order. */
  readonly targets: readonly CampaignTarget[];
  /** Seeds per target. */
  readonly seeds: number;
  /** First seed. */
  readonly first: number;
  /** Flags added to every run. */
  readonly extra: readonly string[];
  /** One JSON object. */
  readonly json: boolean;
  /** No progress line. */
  readonly quiet: boolean;
}

/**
 * Parses `lab campaign`'s arguments; `undefined` for `--help`.
 *
 * @example Every order of the group
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCampaignArgs } from "./command.ts";
 * const parsed = parseCampaignArgs(["group", "--seeds", "10", "--", "--members", "3"])!;
 * assert.deepEqual(parsed.targets.map((t) => t.name), ["group (fifo)", "group (causal)", "group (total)"]);
 * assert.deepEqual([parsed.seeds, parsed.first, parsed.extra], [10, 1, ["--members", "3"]]);
 * assert.throws(() => parseCampaignArgs(["grup"]), /did you mean group\?/);
 * assert.throws(() => parseCampaignArgs(["p2p", "--seeds", "0"]), /--seeds "0"/);
 * ```
 */
export function parseCampaignArgs(args: readonly string[]): CampaignArgs | undefined {
  const cut = args.indexOf("--");
  const own = cut < 0 ? [...args] : args.slice(0, cut);
  const extra = cut < 0 ? [] : args.slice(cut + 1);
  const { values, positionals } = parseFlags(own, {
    help: { type: "boolean", short: "h" },
    seeds: { type: "string" },
    from: { type: "string" },
    json: { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
  }, USAGE);
  if (values.help) return undefined;
  if (positionals.length !== 1) {
    throw new UsageError(
      positionals.length === 0
        ? `Cannot run a campaign: name an architecture (${ARCHS.join(", ")}) or all`
        : `Cannot run a campaign on "${positionals.join(" ")}": name one architecture or all`,
      USAGE,
    );
  }
  const [arch] = positionals;
  if (arch !== "all" && CAMPAIGN_TARGETS[arch] === undefined) {
    const guess = didYouMean(arch, [...ARCHS, "all"]);
    throw new UsageError(
      `Cannot run a campaign on "${arch}": unknown architecture${
        guess ? `; did you mean ${guess}?` : ""
      }\narchitectures: ${ARCHS.join(", ")}, all`,
      USAGE,
    );
  }
  const seeds = intFlag("seeds", values.seeds, 100, USAGE, 1);
  if (seeds > MAX_SEEDS) {
    throw new UsageError(
      `Cannot use --seeds "${values.seeds}": at most ${MAX_SEEDS} per architecture`,
      USAGE,
    );
  }
  return {
    targets: arch === "all" ? ARCHS.flatMap((a) => CAMPAIGN_TARGETS[a]) : CAMPAIGN_TARGETS[arch],
    seeds,
    first: intFlag("from", values.from, 1, USAGE, 0),
    extra,
    json: values.json === true,
    quiet: values.quiet === true || values.json === true,
  };
}

/**
 * The result table: a row per invariant of each architecture (seeds and faults on its first).
 *
 * @example One architecture
 * ```ts
 * import assert from "node:assert/strict";
 * import { campaignTable } from "./command.ts";
 * import { noFaults } from "./schedule.ts";
 * const lines = campaignTable([{
 *   name: "p2p", seeds: 10, first: 1, faults: noFaults(), injected: 31, wallMs: 5, failures: [],
 *   violations: { convergence: 0, "run failed": 0 }, failingSeeds: { convergence: 0, "run failed": 0 },
 * }]).split("\n");
 * assert.match(lines[0], /^architecture +seeds +faults +invariant +violations +failing seeds$/);
 * assert.match(lines[1], /^p2p +10 +31 +convergence +0 +0$/);
 * assert.equal(lines.length, 2);
 * ```
 */
export function campaignTable(results: readonly CampaignResult[]): string {
  const rows: string[][] = [[
    "architecture",
    "seeds",
    "faults",
    "invariant",
    "violations",
    "failing seeds",
  ]];
  for (const r of results) {
    const names = Object.keys(r.violations).filter((k) => k !== RUN_FAILED || r.violations[k]);
    names.forEach((name, i) => {
      rows.push([
        i === 0 ? r.name : "",
        i === 0 ? String(r.seeds) : "",
        i === 0 ? String(r.injected) : "",
        name,
        String(r.violations[name]),
        String(r.failingSeeds[name]),
      ]);
    });
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c])).join("  ").trimEnd())
    .join("\n");
}

/** Runs `lab campaign`; returns the exit code (0 no violation, 1 violations, 2 bad flags). */
export async function runCampaignCommand(args: string[]): Promise<number> {
  const parsed = parseCampaignArgs(args);
  if (parsed === undefined) {
    console.log(USAGE);
    return 0;
  }
  const { targets, seeds, first, extra } = parsed;
  const progress = !parsed.quiet && Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const results: CampaignResult[] = [];
  for (const target of targets) {
    const result = await runCampaign(target, seeds, {
      first,
      extra,
      onSeed: progress
        ? (done, failing) =>
          Deno.stderr.writeSync(encoder.encode(
            `\r\x1b[K${target.name}: ${done}/${seeds} seeds, ${failing} failing`,
          ))
        : undefined,
    });
    if (progress) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
    results.push(result);
  }
  const violations = results.reduce(
    (n, r) => n + Object.values(r.violations).reduce((a, b) => a + b, 0),
    0,
  );
  const code = violations > 0 ? 1 : 0;
  if (parsed.json) {
    console.log(JSON.stringify({ seeds, first, extra, violations, architectures: results }));
    return code;
  }
  console.log(
    `campaign: seeds ${first}..${first + seeds - 1} per architecture, simulator${
      extra.length > 0 ? `, every run with ${extra.join(" ")}` : ""
    }\n`,
  );
  console.log(campaignTable(results));
  const wall = results.reduce((n, r) => n + r.wallMs, 0);
  console.log(`\nwall time ${(wall / 1000).toFixed(1)} s`);
  const failures = results.flatMap((r) => r.failures.map((f) => ({ name: r.name, ...f })));
  if (failures.length === 0) {
    console.log("No violation: every invariant held on every seed.");
    return code;
  }
  console.log(`\nFailing seeds (${failures.length}), each with the command that replays it:`);
  for (const f of failures) {
    console.log(`  ${f.name}, seed ${f.seed}: ${f.problems.join("; ")}`);
    console.log(`    ${f.replay}`);
  }
  return code;
}
