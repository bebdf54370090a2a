/**
 * `deno task lab transactions`: N participants (bank branches), a coordinator and C clients
 * moving money between accounts on different branches, one transaction per transfer, committed
 * by two-phase commit. `--crash-coordinator-after-votes` crashes the coordinator once every vote
 * is in: the participants block, holding their locks, until it restarts and answers from its
 * decision log. At the end an auditor checks all-or-nothing and the sum of the balances.
 * @module
 */
import { TimeoutError } from "../../core/errors.ts";
import type { TraceEvent } from "../../core/trace.ts";
import type { Audit } from "../../transactions/audit.ts";
import { audit } from "../../transactions/audit.ts";
import { failpointOf } from "../../transactions/failpoint.ts";
import type { TransferReport } from "../../transactions/transfer_client.ts";
import {
  checkPostgresUrl,
  connectPostgres,
  PostgresConnectError,
  redactPostgresUrl,
} from "../../tiers/three_tier/postgres_connection.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  intFlag,
  narrate,
  parseCommon,
  parseFlags,
  percentile,
  refuseFlags,
  type Summary,
  table,
  UsageError,
  writeTrace,
} from "../_common.ts";
import { CONTROL_MACHINE, deploy, deployOptions, type MachineSpec } from "../deploy/deploy.ts";
import { howDied, type MachineLoss } from "../deploy/run_errors.ts";

const USAGE = `Usage: deno task lab transactions [flags]

A coordinator (tm@coord.lab), N participants (bank@p1.lab, ...) each owning accounts acct0..
in stable storage (SQLite: a file per machine for OS processes, in memory in the simulator,
where it survives crashes; or PostgreSQL with --db), and C clients (client@c1.lab, ...) making transfers between
branches: BEGIN, READ, WRITE (debit), READ, WRITE (credit), END (two-phase commit); an
overdraft ends with ABORT. Locks are strict two-phase, no-wait: a conflict aborts the
transaction and the client retries.

Runs on: OS processes over TCP on 127.0.0.1, one per machine (default), or the deterministic
simulator with --sim.

Flags:
  --participants N      participants (bank branches) (default 3)
  --accounts N          accounts per participant (default 2)
  --balance N           opening balance of each account (default 100)
  --clients N           clients (default 2)
  --transfers N         transfers per client (default 5)
  --max-amount N        largest transfer (default 60)
  --crash-coordinator-after-votes
                        crash the coordinator once, when every vote of a transaction is yes and
                        the commit decision is logged but not sent: participants block, then
                        commit when it restarts
  --before-log          with the flag above: crash before the decision is logged (participants
                        block, then abort: no decision in the log means abort)
  --down MS             how long the crashed coordinator stays down (default 1000)
  --data-dir DIR        OS processes: keep the SQLite files in DIR (default a temporary
                        directory, removed at the end); a later run on DIR goes on from them
  --db URL              OS processes: keep every machine's data and log in PostgreSQL at
                        postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE instead (tables tx_data,
                        tx_log, tx_meta, rows keyed by process); a later run goes on from them
${COMMON_HELP}

Examples:
  deno task lab transactions --crash-coordinator-after-votes
  deno task lab transactions --sim --crash-coordinator-after-votes --before-log
  deno task lab transactions --sim --seed 3 --crash p2.lab@40..600
  deno task lab transactions --db postgres://lab@127.0.0.1:5432/bank --crash-coordinator-after-votes`;

const COORDINATOR = "tm@coord.lab";
/** Ms without any client report after which the auditor stops waiting for the rest. */
const QUIET_MS = 30_000;

/** Tells the auditor that a machine died (`kill -9`): a client there owes no report. */
interface LostNote {
  readonly kind: "machine-lost";
  readonly machine: string;
}
const TRANSACTION_NOTES = ["blocked:", "unblocked:", "recovery:", "failpoint", "first boot"];

function narrateTransactions(event: TraceEvent): string | undefined {
  if (event.ev === "log" && event.note !== undefined) {
    const note = event.note;
    if (TRANSACTION_NOTES.some((p) => note.startsWith(p)) || note.includes("presumed abort")) {
      return `${event.t.toFixed(3).padStart(10)} ms  ${event.at} ${note}`;
    }
    return undefined;
  }
  return narrate(event);
}

/** The all-or-nothing verdict in words. */
function verdict(found: Audit): string {
  const { violations, unchecked, inDoubt } = found.atomicity;
  if (violations.length > 0) return `BROKEN: ${violations.join("; ")}`;
  const open: string[] = [];
  if (inDoubt > 0) open.push(`${inDoubt} transactions still in doubt (participants blocked)`);
  if (unchecked.length > 0) open.push(`no answer from ${unchecked.join(", ")}`);
  if (!found.settled && open.length === 0) open.push("transactions still running");
  return open.length === 0 ? "holds" : `not established: ${open.join("; ")}`;
}

/** Runs the transactions architecture; returns the exit code. */
export async function runTransactions(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    ...COMMON_FLAGS,
    participants: { type: "string" },
    accounts: { type: "string" },
    balance: { type: "string" },
    clients: { type: "string" },
    transfers: { type: "string" },
    "max-amount": { type: "string" },
    "crash-coordinator-after-votes": { type: "boolean" },
    "before-log": { type: "boolean" },
    down: { type: "string" },
    "data-dir": { type: "string" },
    db: { type: "string" },
  }, USAGE);
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const common = parseCommon(values, USAGE);
  if (values["crash-coordinator-after-votes"] !== true) {
    const reason = "it applies with --crash-coordinator-after-votes only";
    refuseFlags(values, { "before-log": reason, down: reason }, USAGE);
  }
  if (common.sim) {
    refuseFlags(values, {
      "data-dir": "with --sim stable storage is in memory (it survives simulated crashes)",
      db: "a PostgreSQL server is real I/O outside the simulator's virtual time; drop --sim " +
        "to run the machines as OS processes",
    }, USAGE);
  }
  const dbUrl = typeof values.db === "string" ? values.db : undefined;
  if (dbUrl !== undefined) {
    refuseFlags(values, { "data-dir": "with --db stable storage is in PostgreSQL" }, USAGE);
    try {
      checkPostgresUrl(dbUrl, { label: "--db" });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new UsageError(error.message, USAGE);
    }
  }
  const n = intFlag("participants", values.participants, 3, USAGE, 1);
  const accounts = intFlag("accounts", values.accounts, 2, USAGE, 1);
  const balance = intFlag("balance", values.balance, 100, USAGE, 0);
  const clients = intFlag("clients", values.clients, 2, USAGE, 1);
  const transfers = intFlag("transfers", values.transfers, 5, USAGE, 0);
  const maxAmount = intFlag("max-amount", values["max-amount"], 60, USAGE, 1);
  const downMs = intFlag("down", values.down, 1000, USAGE, 1);
  checkFaultTargets(common, [
    "coord.lab",
    ...Array.from({ length: n }, (_, i) => `p${i + 1}.lab`),
    ...Array.from({ length: clients }, (_, i) => `c${i + 1}.lab`),
  ], USAGE);
  const crashAfterVotes = values["crash-coordinator-after-votes"] === true;
  const failpoint = values["before-log"] === true ? "after-votes" : "after-decision";
  const keepDir = typeof values["data-dir"] === "string" ? values["data-dir"] : undefined;
  if (dbUrl !== undefined) {
    // Reach the server before starting machines: a wrong URL or a server that is down is one
    // clear line, not every machine failing.
    try {
      await (await connectPostgres(dbUrl)).end({ timeout: 5 });
    } catch (error) {
      if (!(error instanceof PostgresConnectError)) throw error;
      console.error(`archlab: ${error.message}`);
      return 1;
    }
  }
  const dir = common.sim || dbUrl !== undefined
    ? undefined
    : keepDir ?? await Deno.makeTempDir({ prefix: "archlab-transactions-" });
  if (keepDir !== undefined) await Deno.mkdir(keepDir, { recursive: true });
  const storage = (machine: string) =>
    dbUrl !== undefined
      ? { url: dbUrl }
      : { path: dir === undefined ? ":memory:" : `${dir}/${machine}.sqlite` };

  const participants = Array.from({ length: n }, (_, i) => `bank@p${i + 1}.lab`);
  const initial: Record<string, number> = {};
  for (let a = 0; a < accounts; a++) initial[`acct${a}`] = balance;
  const machines: MachineSpec[] = [{
    name: "coord.lab",
    processes: [{
      name: "tm",
      program: "tx-coordinator",
      args: {
        ...storage("coord.lab"),
        ...(crashAfterVotes ? { failpoint, failpointMs: 10_000 } : {}),
      },
    }],
  }];
  for (let i = 1; i <= n; i++) {
    machines.push({
      name: `p${i}.lab`,
      processes: [{
        name: "bank",
        program: "tx-participant",
        args: { ...storage(`p${i}.lab`), initial },
      }],
    });
  }
  for (let c = 1; c <= clients; c++) {
    machines.push({
      name: `c${c}.lab`,
      processes: [{
        name: "client",
        program: "tx-transfer-client",
        args: {
          coordinator: COORDINATOR,
          participants,
          accounts,
          transfers,
          maxAmount,
          collector: `auditor@${CONTROL_MACHINE}`,
        },
      }],
    });
  }
  const gone = new Set(
    common.crashes.filter((c) => c.restartAt === undefined).map((c) => c.machine),
  );
  const expected = machines.filter((m) => /^c\d+\.lab$/.test(m.name) && !gone.has(m.name)).length;
  if (!common.quiet) {
    console.log(
      `transactions: ${n} participants x ${accounts} accounts, ${clients} clients x ${transfers} ` +
        `transfers, ${
          common.sim ? `simulator (seed ${common.seed})` : "OS processes over TCP on 127.0.0.1"
        }${
          dbUrl === undefined ? "" : `, stable storage in PostgreSQL at ${redactPostgresUrl(dbUrl)}`
        }${crashAfterVotes ? `, coordinator crashes after the votes (down ${downMs} ms)` : ""}`,
    );
  }
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrateTransactions(event);
    if (line !== undefined) console.log(line);
  };
  const started = performance.now();
  const deployment = await deploy(machines, deployOptions(common, onEvent));
  let crashedAt: number | undefined;
  /** Machines whose OS process died during the run and were not restarted. */
  const lost: MachineLoss[] = [];
  const reports: TransferReport[] = [];
  let result: Audit | undefined;
  try {
    for (const p of common.partitions) {
      deployment.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
    }
    for (const c of common.crashes) {
      deployment.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    }
    if (crashAfterVotes) {
      deployment.trace.listen((event) => {
        if (crashedAt !== undefined || failpointOf(event) === undefined) return;
        crashedAt = event.t;
        // Times since the start of the run, virtual or wall-clock, as the trace's.
        deployment.crash("coord.lab", { at: event.t, restartAt: event.t + downMs });
      });
    }
    const done = Promise.withResolvers<void>();
    const auditor = deployment.spawnControl("auditor", async (ctx) => {
      /** Clients that can still report: one whose machine died (`kill -9`) cannot. */
      let owed = expected;
      const pending = new Set(machines.map((m) => m.name).filter((m) => /^c\d+\.lab$/.test(m)));
      try {
        while (reports.length < owed) {
          const message = await ctx.receive<TransferReport | LostNote>({ timeout: QUIET_MS });
          const from = message.from.slice(message.from.indexOf("@") + 1);
          if (message.body.kind === "report") {
            reports.push(message.body as TransferReport);
            pending.delete(from);
          } else if (message.body.kind === "machine-lost" && from === CONTROL_MACHINE) {
            if (pending.delete(message.body.machine)) owed--;
          }
        }
      } catch (error) {
        // A client that never reports (it crashed for good, or failed to start) counts as an error.
        if (!(error instanceof TimeoutError)) throw error;
      }
      result = await audit(ctx, { coordinator: COORDINATOR, participants, settleMs: 15_000 });
      done.resolve();
    });
    let notes = 0;
    deployment.onLost?.((loss) => {
      lost.push(loss);
      const note: LostNote = { kind: "machine-lost", machine: loss.machine };
      deployment.spawnControl(`lost-${++notes}`, (ctx) => ctx.send(auditor, note));
    });
    await deployment.run(done.promise, { until: 600_000 });
    if (common.trace) {
      await writeTrace(deployment.trace, common.trace, { clock: common.sim ? "virtual" : "wall" });
    }
  } finally {
    await deployment.stop();
    if (dir !== undefined && keepDir === undefined) await Deno.remove(dir, { recursive: true });
  }
  const wallMs = performance.now() - started;
  const trace = deployment.trace;
  const found = result!;
  let messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send") continue;
    if (e.to?.endsWith(`@${CONTROL_MACHINE}`) || e.from?.endsWith(`@${CONTROL_MACHINE}`)) continue;
    messages++;
  }
  const sum = (f: (r: TransferReport) => number) => reports.reduce((t, r) => t + f(r), 0);
  const latencies = reports.flatMap((r) => r.latencies);
  const expectedTotal = n * accounts * balance;
  // Resolved waits, and waits still going on (a coordinator that never came back).
  const blockedMs = Math.max(
    0,
    ...Object.values(found.participants).flatMap((s) => [
      s.blockedMs,
      ...s.inDoubt.map((d) => d.waitingMs),
    ]),
  );
  const invariantHolds = found.settled && found.atomicity.holds && found.total === expectedTotal;
  const summary: Summary = {
    architecture: "transactions",
    transport: deployment.transport,
    seed: common.seed,
    requests: sum((r) => r.commits + r.aborts),
    messages,
    bytes: deployment.stats().bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors: sum((r) => r.inDoubt) + (expected - reports.length),
    traceDigest: trace.digest(),
    commits: sum((r) => r.commits),
    aborts: sum((r) => r.aborts),
    blockedMs: Math.round(blockedMs * 1000) / 1000,
    invariantHolds,
    overdrafts: sum((r) => r.overdrafts),
    abandoned: sum((r) => r.abandoned),
    decisions: { commit: found.atomicity.committed, abort: found.atomicity.aborted },
    total: found.total,
    expectedTotal,
    violations: found.atomicity.violations,
    settled: found.settled,
    coordinatorCrashedAt: crashedAt ?? null,
    machinesLost: lost.map((l) => l.machine),
  };
  if (common.json) {
    console.log(JSON.stringify(summary));
    return invariantHolds && lost.length === 0 ? 0 : 1;
  }
  console.log("\nBalances after the run:");
  for (const [p, status] of Object.entries(found.participants)) {
    console.log(`  ${p}  ${JSON.stringify(status.data)}`);
  }
  for (const p of found.silent) console.log(`  ${p}  (did not answer)`);
  console.log("");
  console.log(table([
    ["architecture", "transactions"],
    ["transport", summary.transport],
    ["seed", summary.seed],
    [
      "transactions",
      `${summary.requests} (${summary.commits} committed, ${summary.aborts} aborted)`,
    ],
    [
      "aborts",
      `${summary.overdrafts} overdrafts, ${
        summary.aborts as number - (summary.overdrafts as number)
      } conflicts, refusals or votes against; ${summary.abandoned} transfers abandoned`,
    ],
    ["decisions logged", `${found.atomicity.committed} commit, ${found.atomicity.aborted} abort`],
    [
      "blocked",
      `${
        blockedMs.toFixed(0)
      } ms (longest wait of a participant that voted yes, holding its locks)`,
    ],
    ["messages", `${summary.messages} (frames on the wire ${deployment.stats().frames})`],
    ["bytes", summary.bytes],
    ["latency p50", `${summary.latency.p50.toFixed(3)} ms (BEGIN to committed END)`],
    ["latency p99", `${summary.latency.p99.toFixed(3)} ms`],
    ["retransmissions", summary.retransmissions],
    ...(lost.length === 0 ? [] : [[
      "machines lost",
      lost.map((l) => `${l.machine} at ${l.time.toFixed(0)} ms (${howDied(l)})`).join(", "),
    ] as [string, string]]),
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${wallMs.toFixed(0)} ms`],
  ]));
  console.log("");
  if (crashAfterVotes) {
    console.log(
      crashedAt === undefined
        ? "The coordinator never reached its failpoint (no transaction got every vote yes)."
        : `The coordinator crashed at ${crashedAt.toFixed(1)} ms after the votes (decision ${
          failpoint === "after-votes"
            ? "not logged: the participants then aborted"
            : "logged: the participants then committed"
        }); the participants that voted yes waited up to ${
          blockedMs.toFixed(0)
        } ms with their locks.`,
    );
  }
  console.log(
    `Invariant: total ${found.total} (expected ${expectedTotal}); all-or-nothing ${
      verdict(found)
    } => ${invariantHolds ? "PASS" : "FAIL"}`,
  );
  if (common.trace) console.log(`trace written to ${common.trace}`);
  return invariantHolds && lost.length === 0 ? 0 : 1;
}
