/**
 * `deno task lab client-server`: a key-value server on one machine and N clients on others.
 * Client c1 also sends malformed requests, which the server answers with error replies; at the
 * end the server's counters show at-most-once execution (requests executed, retransmissions
 * answered from its reply cache).
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import { keyName, type KvPut, type KvReport } from "../../tiers/client_server/kv_client.ts";
import type { KvReply } from "../../tiers/client_server/messages.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  intFlag,
  latencyRows,
  openCommand,
  percentile,
  type Summary,
  table,
} from "../_common.ts";
import { CONTROL_MACHINE, type MachineSpec } from "../deploy/deploy.ts";
import { type RunOutcome, runWorkload } from "../deploy/run_workload.ts";
import { keepSummary } from "../results/session.ts";
import { DELAY_DEFAULT, delayTimeout, shortestRoundTrip, timeoutNote } from "../_delay_timeouts.ts";
import { howDied } from "../deploy/run_errors.ts";
import { crashesForGood } from "../_fault_flags.ts";

const USAGE = `Usage: deno task lab client-server [flags]

A key-value server (kv@m1.lab) and N clients (c1@m2.lab, ...) exchange requests and replies.
A client retransmits a request that gets no reply in time, with the same request id, so the
server executes it at most once and answers a retransmission from its reply cache. Client c1
also sends --bad-requests malformed requests (an operation the server does not offer): the
server answers each with an error reply, which is expected and not counted as an error.

Runs on: OS processes over TCP on 127.0.0.1, one per machine (default), or the deterministic
simulator with --sim.

Flags:
  --clients N           number of clients (default 3)
  --requests N          requests per client (default 10)
  --keys N              distinct keys (default 5)
  --timeout MS          client retransmission timeout (default 500 ms,
                        ${DELAY_DEFAULT})
  --bad-requests N      malformed requests client c1 sends (default 1)
  --reply-cache N       replies the server remembers for at-most-once execution (default
                        10000); 0 turns it off, so a retransmission is executed again
  --durable             the server keeps its data and its reply cache on stable storage that
                        survives a crash (its machine's disk: in the simulator the simulator's;
                        on OS processes a SQLite file the lab keeps for the run), synced
                        before each reply: no write it acknowledged is lost, and a request
                        retransmitted across a restart is answered, not executed again. Without
                        it a crash loses both, and the summary counts the lost writes ("lost
                        acked": acknowledged puts whose key reads back empty) as expected of
                        a server that keeps its data in memory (the run exits 0)
${COMMON_HELP}

Examples:
  deno task lab client-server
  deno task lab client-server --sim --seed 7 --drop 0.2 --trace run.mmd
  deno task lab client-server --sim --unreliable --drop 0.3      # client retransmissions, dedup
  deno task lab client-server --sim --crash m1.lab@20..300       # the server crashes, restarts
  deno task lab client-server --sim --crash m1.lab@20..300 --durable   # ... and loses nothing`;

const SERVER = "kv@m1.lab";

/** The server's at-most-once counters, as it reports them, and every key read back. */
interface ServerCounters {
  readonly executed: number;
  readonly deduplicated: number;
  /** Keys in the server's store at the end. */
  readonly keys: number;
  /** The value of each key at the end; `undefined` when the server stopped answering. */
  readonly values?: Readonly<Record<string, string | null>>;
}

/** Asks the server for its counters, then reads back every key of the workload. */
async function askServer(ctx: ProcessContext, keys: number): Promise<ServerCounters | undefined> {
  try {
    const reply = await ctx.request<KvReply>(SERVER, { kind: "stats" }, { timeout: 2000 });
    if (reply.body.kind !== "stats") return undefined;
    const counters = {
      executed: reply.body.executed,
      deduplicated: reply.body.deduplicated,
      keys: reply.body.keys,
    };
    const values: Record<string, string | null> = {};
    for (let i = 0; i < keys; i++) {
      const key = keyName(i);
      const get = { kind: "get", key, rid: `audit-${key}` };
      const value = await ctx.request<KvReply>(SERVER, get, { timeout: 2000 });
      if (value.body.kind !== "value") return counters;
      values[key] = value.body.value;
    }
    return { ...counters, values };
  } catch (error) {
    // The server is down (crashed for good) or gone: its counters are unknown.
    if (error instanceof TimeoutError || error instanceof UnknownProcessError) return undefined;
    throw error;
  }
}

/**
 * Acknowledged puts that the value read back at the end contradicts: the key is empty (the
 * workload never deletes), or it holds a value that only puts finished before this one was
 * sent wrote (so this one, acknowledged, should have overwritten it). Each is a write the
 * server said `ok` to and then lost. `null` when the keys could not be read back.
 */
function lostAcked(reports: readonly KvReport[], counters?: ServerCounters): number | null {
  const values = counters?.values;
  if (values === undefined) return null;
  const byKey = new Map<string, KvPut[]>();
  for (const report of reports) {
    for (const [key, puts] of Object.entries(report.puts ?? {})) {
      byKey.set(key, [...byKey.get(key) ?? [], ...puts]);
    }
  }
  let lost = 0;
  for (const [key, puts] of byKey) {
    const final = values[key] ?? null;
    const writers = puts.filter(([value]) => value === final);
    for (const [, sent, answered] of puts) {
      if (answered === null) continue;
      // Lost unless some put of the value read back may have come after this one.
      const overwritten = writers.some(([, wSent, wAnswered]) =>
        wAnswered === null || wAnswered >= sent || wSent >= sent
      );
      if (!overwritten) lost++;
    }
  }
  return lost;
}

/** Runs the client/server architecture; returns the exit code. */
export async function runClientServer(args: string[]): Promise<number> {
  const opened = openCommand(args, {
    ...COMMON_FLAGS,
    clients: { type: "string" },
    requests: { type: "string" },
    keys: { type: "string" },
    timeout: { type: "string" },
    "bad-requests": { type: "string" },
    "reply-cache": { type: "string" },
    durable: { type: "boolean" },
  }, USAGE);
  if (opened === undefined) return 0;
  const { values, common } = opened;
  const clients = intFlag("clients", values.clients, 3, USAGE, 1);
  const requests = intFlag("requests", values.requests, 10, USAGE, 0);
  const keys = intFlag("keys", values.keys, 5, USAGE, 1);
  const timeout = intFlag("timeout", values.timeout, delayTimeout(500, common.latency), USAGE, 1);
  const badRequests = intFlag("bad-requests", values["bad-requests"], 1, USAGE, 0);
  const remember = intFlag("reply-cache", values["reply-cache"], 10_000, USAGE, 0);
  const collector = `collector@${CONTROL_MACHINE}`;
  return await run(common, {
    clients,
    requests,
    keys,
    timeout,
    badRequests,
    collector,
    durable: values.durable === true,
    remember,
  });
}

interface RunSettings {
  readonly clients: number;
  readonly requests: number;
  readonly keys: number;
  readonly timeout: number;
  readonly badRequests: number;
  readonly collector: string;
  readonly durable: boolean;
  /** Replies the server remembers for at-most-once execution. */
  readonly remember: number;
}

async function run(common: CommonOptions, settings: RunSettings): Promise<number> {
  const machines = clientServerMachines(settings);
  checkFaultTargets(common, machines.map((m) => m.name), USAGE);
  const gone = new Map(crashesForGood(common.crashes).map((c) => [c.machine, c.at]));
  const expected = machines.slice(1).filter((m) => !gone.has(m.name)).length;
  if (!common.quiet) console.log(openingLine(common, settings));
  const outcome = await runWorkload<KvReport, ServerCounters | undefined>(
    machines,
    common,
    expected,
    {
      finish: (ctx) => askServer(ctx, settings.keys),
      reporters: machines.slice(1).map((m) => m.name).filter((m) => !gone.has(m)),
    },
  );
  const summary = clientServerSummary(common, settings, outcome, gone);
  const unfinished = summary.unfinished as string[];
  const lost = summary.lostAcked as number | null;
  // A server that keeps its data in memory forgets it when its machine crashes: the lesson of
  // such a run, not a failure. A durable server that loses a write, or a loss without a crash,
  // fails the run.
  const unexplained = (lost ?? 0) > 0 && summary.lostAckedExpected !== true;
  const code = outcome.interrupted
    ? 130
    : summary.errors > 0 || unfinished.length > 0 || unexplained
    ? 1
    : 0;
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
    return code;
  }
  printSummary(summary, common, outcome);
  printTimeoutHint(common, settings);
  return code;
}

/** What one run of the workload left. */
type KvOutcome = RunOutcome<KvReport, ServerCounters | undefined>;

/** The server's machine, then one machine per client (c1 also sends the malformed requests). */
function clientServerMachines(settings: RunSettings): MachineSpec[] {
  const { clients, requests, keys, timeout, badRequests, collector, durable, remember } = settings;
  // Durable: on the server machine's disk (on OS processes, a SQLite file the lab keeps per
  // machine for the run, which a restarted server opens again).
  const server = durable ? { durable: true } : {};
  const machines: MachineSpec[] = [
    {
      name: "m1.lab",
      processes: [{ name: "kv", program: "kv-server", args: { ...server, remember } }],
    },
  ];
  for (let i = 1; i <= clients; i++) {
    machines.push({
      name: `m${i + 1}.lab`,
      processes: [{
        name: `c${i}`,
        program: "kv-client",
        args: {
          server: SERVER,
          requests,
          keys,
          timeout,
          collector,
          ...(i === 1 && badRequests > 0 ? { badRequests } : {}),
        },
      }],
    });
  }
  return machines;
}

/** The line that says what is about to run. */
function openingLine(common: CommonOptions, settings: RunSettings): string {
  const { clients, requests, badRequests, durable } = settings;
  return `client-server: 1 server, ${clients} clients x ${requests} requests (+${
    clients > 0 ? badRequests : 0
  } malformed from c1), ${
    common.sim
      ? `simulator (seed ${common.seed})`
      : `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1`
  }${durable ? ", durable server" : ""}`;
}

/** Messages of the architecture: sends, the lab's own bookkeeping (reports, counters) aside. */
function architectureMessages(outcome: KvOutcome): number {
  let messages = 0;
  for (const e of outcome.trace.events) {
    if (e.ev !== "send") continue;
    if (e.to?.endsWith(`@${CONTROL_MACHINE}`) || e.from?.endsWith(`@${CONTROL_MACHINE}`)) continue;
    messages++;
  }
  return messages;
}

/** Why the run did not finish, and how many clients never reported (and why, when known). */
function unfinishedClients(
  outcome: KvOutcome,
  clients: number,
  gone: ReadonlyMap<string, number>,
): { unfinished: string[]; missing: number } {
  const reported = new Set(outcome.reports.map((r) => r.client));
  const unfinished: string[] = [];
  if (outcome.unfinished !== undefined) unfinished.push(outcome.unfinished);
  let missing = 0;
  const dead = new Map(outcome.lost.map((l) => [l.machine, l]));
  for (let i = 1; i <= clients; i++) {
    const client = `c${i}@m${i + 1}.lab`;
    if (reported.has(client)) continue;
    missing++;
    const crashed = gone.get(`m${i + 1}.lab`);
    const died = dead.get(`m${i + 1}.lab`);
    unfinished.push(
      `${client}: no report${
        died !== undefined
          ? ` (its machine died at ${died.time.toFixed(0)} ms: ${howDied(died)})`
          : crashed === undefined
          ? ""
          : ` (its machine crashed at ${crashed} ms for good)`
      }`,
    );
  }
  return { unfinished, missing };
}

/** The run's summary (the `--json` object). */
function clientServerSummary(
  common: CommonOptions,
  settings: RunSettings,
  outcome: KvOutcome,
  gone: ReadonlyMap<string, number>,
): Summary {
  const { clients, requests, badRequests, durable } = settings;
  const latencies = outcome.reports.flatMap((r) => r.latencies);
  const trace = outcome.trace;
  const messages = architectureMessages(outcome);
  const { unfinished, missing } = unfinishedClients(outcome, clients, gone);
  const counters = outcome.finished;
  return {
    architecture: "client-server",
    transport: outcome.transport,
    seed: common.seed,
    requests: clients * requests,
    messages,
    bytes: outcome.stats.bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit") + outcome.reports.reduce((n, r) => n + r.retries, 0),
    errors: outcome.reports.reduce((n, r) => n + r.errors, 0) + missing * requests,
    traceDigest: trace.digest(),
    frames: outcome.stats.frames,
    acks: outcome.stats.acks,
    badRequests: clients > 0 ? badRequests : 0,
    errorReplies: outcome.reports.reduce((n, r) => n + (r.errorReplies ?? 0), 0),
    executed: counters?.executed ?? null,
    deduplicated: counters?.deduplicated ?? null,
    keys: counters?.keys ?? null,
    unfinished,
    machinesLost: outcome.lost.map((l) => l.machine),
    lostAcked: lostAcked(outcome.reports, counters),
    lostAckedExpected: !durable && serverCrashed(common),
    readBack: counters?.values ?? null,
    durable,
  };
}

/** Prints the summary as a table, after what did not finish. */
function printSummary(summary: Summary, common: CommonOptions, outcome: KvOutcome): void {
  const unfinished = summary.unfinished as string[];
  console.log("");
  if (unfinished.length > 0) {
    console.log("Partial summary: the run did not finish");
    for (const line of unfinished) console.log(`  ${line}`);
    console.log("");
  }
  console.log(table([
    ["architecture", summary.architecture],
    ["transport", summary.transport],
    ["seed", summary.seed],
    ["requests", summary.requests],
    [
      "messages",
      `${summary.messages} (frames on the wire ${summary.frames}, acks ${summary.acks})`,
    ],
    ["bytes", summary.bytes],
    ...latencyRows(
      summary.latency,
      outcome.reports.reduce((n, r) => n + r.latencies.length, 0),
      "",
      "no request was answered",
    ),
    ["retransmissions", summary.retransmissions],
    [
      "error replies",
      `${summary.errorReplies} to ${summary.badRequests} malformed requests (expected, not errors)`,
    ],
    ["at-most-once", atMostOnceLine(common, outcome.finished, summary.durable === true)],
    ...(outcome.lost.length === 0 ? [] : [[
      "machines lost",
      outcome.lost.map((l) => `${l.machine} at ${l.time.toFixed(0)} ms (${howDied(l)})`)
        .join(", "),
    ] as [string, string]]),
    [
      "lost acked",
      lostAckedLine(summary.lostAcked as number | null, {
        durable: summary.durable === true,
        expected: summary.lostAckedExpected === true,
      }),
    ],
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${outcome.wallMs.toFixed(0)} ms`],
  ]));
  if (common.trace) console.log(`trace written to ${common.trace}`);
}

/**
 * Says so when `--delay` makes every round trip longer than the clients' `--timeout`: each
 * request is then sent again before its reply can arrive (answered from the reply cache). That
 * is what a fixed timeout does, not an artifact of the channel, whose own RTO adapts.
 */
function printTimeoutHint(common: CommonOptions, settings: RunSettings): void {
  const shortest = shortestRoundTrip(common.latency);
  const note = timeoutNote("timeout", settings.timeout, shortest, "request");
  if (note !== undefined) console.log(note);
}

/** The table's at-most-once line: what the server executed and answered from its cache. */
function atMostOnceLine(
  common: CommonOptions,
  counters: ServerCounters | undefined,
  durable: boolean,
): string {
  const serverRestarted = common.crashes.some((c) =>
    c.machine === "m1.lab" && c.restartAt !== undefined
  );
  return counters === undefined
    ? "server counters unknown (the server did not answer)"
    : `${counters.executed} requests executed, ${counters.deduplicated} retransmissions ` +
      `answered from the reply cache${
        serverRestarted && !durable ? " (since the server's restart)" : ""
      }`;
}

/** Whether the server's machine crashes in this run (`--crash m1.lab@...`). */
function serverCrashed(common: CommonOptions): boolean {
  return common.crashes.some((c) => c.machine === "m1.lab");
}

/**
 * The table's lost-acked line: acknowledged writes the read-back found empty, and when the
 * server keeps its data in memory and its machine crashed, that losing them is expected.
 */
function lostAckedLine(
  lost: number | null,
  server: { readonly durable: boolean; readonly expected: boolean },
): string {
  return lost === null
    ? "unknown (the server did not answer the read-back)"
    : `${lost} acknowledged writes read back empty${
      server.durable
        ? " (durable server)"
        : lost > 0 && server.expected
        ? ": expected, not an error: the server keeps its data in memory and m1.lab crashed; " +
          "--durable keeps them"
        : lost > 0
        ? " (the server keeps data in memory: --durable)"
        : ""
    }`;
}
