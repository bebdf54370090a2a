/**
 * The transactions command's report: the `--json` summary and the table a person reads, with the
 * balances after the run and the invariant's verdict.
 * @module
 */
import type { Audit } from "../../transactions/audit.ts";
import { checkAtomicity } from "../../transactions/atomicity_check.ts";
import { scanCoordinatorLog, scanParticipantLog } from "../../transactions/log_scan.ts";
import type { CoordinatorStatus, ParticipantStatus } from "../../transactions/messages.ts";
import type { StableStore } from "../../transactions/stable_store.ts";
import type { TransferReport } from "../../transactions/transfer_client.ts";
import { latencyRows, percentile, type Summary, table } from "../_common.ts";
import { CONTROL_MACHINE, type Deployment } from "../deploy/deploy.ts";
import { howDied, type MachineLoss } from "../deploy/run_errors.ts";
import { participantNames, type TransactionsPlan } from "./_plan.ts";

/** What a run left: the deployment (its trace and stats), the clients' reports, the audit. */
export interface TransactionsRun {
  /** The stopped deployment. */
  readonly deployment: Deployment;
  /** One report per client that reported. */
  readonly reports: readonly TransferReport[];
  /** How many clients were expected to report. */
  readonly expected: number;
  /** The auditor's findings. */
  readonly audit: Audit;
  /** When the coordinator crashed at its failpoint, if it did. */
  readonly crashedAt: number | undefined;
  /** Machines whose OS process died during the run and were not restarted. */
  readonly lost: readonly MachineLoss[];
  /** Whether the auditor told the clients to stop (a participant or the coordinator died). */
  readonly clientsStopped?: boolean;
  /**
   * What the processes of machines that died left on stable storage, read after the run (in the
   * simulator from its disk, on OS processes from their SQLite files; not with PostgreSQL).
   */
  readonly onDisk?: LostState;
}

/** What the processes of machines that died left on stable storage, read after the run. */
export interface LostState {
  /** Each lost participant's state as its store holds it (nothing active, no lock held). */
  readonly participants: Readonly<Record<string, ParticipantStatus>>;
  /** The coordinator's logged decisions, when its machine died. */
  readonly coordinator?: CoordinatorStatus;
  /** The coordinator's address. */
  readonly coordinatorAddress: string;
}

/**
 * A participant's state as its stable store holds it: committed balances, the outcome of every
 * transaction it logged one for, and the transactions it voted yes to with no outcome (in doubt:
 * they apply or abort when it recovers and asks the coordinator).
 *
 * @example A participant with one commit and one transaction in doubt
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStore } from "../../transactions/stable_store.ts";
 * import { participantOnDisk } from "./_report.ts";
 * const store = new StableStore();
 * const prepared = (txid: string) => ({ type: "prepared" as const, txid, coordinator: "tm@coord.lab", writes: [], locks: [], at: 0 });
 * store.apply([["a", 70]], prepared("t1"));
 * store.append({ type: "outcome", txid: "t1", decision: "commit", blockedMs: 3 });
 * store.append(prepared("t2"));
 * const status = participantOnDisk(store);
 * assert.deepEqual([status.data, status.outcomes, status.inDoubt.map((d) => d.txid)], [{ a: 70 }, { t1: "commit" }, ["t2"]]);
 * ```
 */
export function participantOnDisk(store: StableStore): ParticipantStatus {
  const scan = scanParticipantLog(store.log());
  return {
    kind: "tx-participant-status",
    data: store.entries(),
    outcomes: Object.fromEntries(scan.outcomes),
    inDoubt: scan.inDoubt.map((r) => ({
      txid: r.txid,
      coordinator: r.coordinator,
      waitingMs: 0,
      locks: r.locks.map(([key]) => key),
    })),
    active: 0,
    blockedMs: scan.blockedMs,
  };
}

/**
 * A coordinator's logged decisions as its stable store holds them.
 *
 * @example One decision
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStore } from "../../transactions/stable_store.ts";
 * import { coordinatorOnDisk } from "./_report.ts";
 * const store = new StableStore();
 * store.append({ type: "decision", txid: "t1", decision: "commit", participants: ["a@p1.lab"] });
 * assert.deepEqual(coordinatorOnDisk(store).decisions, { t1: { decision: "commit", participants: ["a@p1.lab"] } });
 * ```
 */
export function coordinatorOnDisk(store: StableStore): CoordinatorStatus {
  const scan = scanCoordinatorLog(store.log());
  return {
    kind: "tx-coordinator-status",
    incarnation: 0,
    decisions: Object.fromEntries(scan.decisions),
    voting: 0,
    unacknowledged: scan.unended.length,
  };
}

/**
 * The audit completed with what the machines that died left on disk: their participants'
 * balances, outcomes and transactions in doubt, and the coordinator's decisions, take the place
 * of the answers they could not give, and all-or-nothing and the total are checked again over
 * every process. The audit as it was when nothing was read.
 */
function completedAudit(run: TransactionsRun): Audit {
  const found = run.audit, disk = run.onDisk;
  if (disk === undefined) return found;
  const read = new Set(Object.keys(disk.participants));
  if (disk.coordinator !== undefined) read.add(disk.coordinatorAddress);
  if (read.size === 0) return found;
  // A machine that died after answering: its disk holds its state at its death.
  const participants = { ...found.participants, ...disk.participants };
  const coordinator = disk.coordinator ?? found.coordinator;
  const silent = found.silent.filter((p) => !read.has(p));
  const busy = Object.entries(found.participants).some(([p, s]) => !read.has(p) && s.active > 0) ||
    (disk.coordinator === undefined && (found.coordinator?.voting ?? 0) > 0);
  let total = 0;
  for (const s of Object.values(participants)) total += sumOf(s.data);
  return {
    ...found,
    coordinator,
    participants,
    silent,
    atomicity: checkAtomicity(coordinator, participants),
    total,
    settled: found.settled || (silent.length === 0 && !busy),
  };
}

/** The balances each dead participant's disk holds, by participant. */
function balancesOnDisk(run: TransactionsRun): Record<string, Readonly<Record<string, unknown>>> {
  const found: Record<string, Readonly<Record<string, unknown>>> = {};
  for (const [p, status] of Object.entries(run.onDisk?.participants ?? {})) found[p] = status.data;
  return found;
}

/** The sum of the numeric values of `data`. */
function sumOf(data: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const value of Object.values(data)) if (typeof value === "number") total += value;
  return total;
}

/** The machine of address `address` (`p2.lab` for `bank@p2.lab`). */
const machineOf = (address: string) => address.slice(address.indexOf("@") + 1);

/** The participants (and the coordinator) whose machine died and that the audit did not hear. */
function lostProcesses(plan: TransactionsPlan, run: TransactionsRun, found: Audit): string[] {
  const dead = new Set(run.lost.map((l) => l.machine));
  const gone = participantNames(plan).filter((p) =>
    dead.has(machineOf(p)) && found.participants[p] === undefined
  );
  if (dead.has("coord.lab") && found.coordinator === undefined) gone.push("the coordinator");
  return gone;
}

/**
 * Why the run did not finish, one sentence each (empty when it did): the machines lost, the
 * clients that stopped early or never reported, the participants whose balances are unknown.
 */
export function unfinishedLines(plan: TransactionsPlan, run: TransactionsRun): string[] {
  const lines: string[] = [];
  const died = new Map(run.lost.map((l) => [l.machine, l]));
  for (const l of run.lost) {
    lines.push(
      `${l.machine} died at ${l.time.toFixed(0)} ms (${howDied(l)}), not restarted${
        run.clientsStopped && !/^c\d+\.lab$/.test(l.machine)
          ? "; the lab told the clients to stop and audited the others"
          : ""
      }`,
    );
  }
  const reported = new Map(run.reports.map((r) => [r.client, r]));
  for (let c = 1; c <= plan.clients; c++) {
    const client = `client@c${c}.lab`;
    const report = reported.get(client);
    const dead = died.get(`c${c}.lab`);
    if (report === undefined) {
      if (dead !== undefined || run.lost.length > 0) {
        lines.push(
          `${client}: no report${
            dead === undefined
              ? ""
              : ` (its machine died at ${dead.time.toFixed(0)} ms: ${howDied(dead)})`
          }`,
        );
      }
    } else if (report.stopped) {
      const made = report.commits + report.overdrafts + report.abandoned + report.inDoubt;
      lines.push(`${client}: stopped after ${made} of ${plan.transfers} transfers`);
    }
  }
  let onDisk = 0;
  const sim = run.deployment.transport === "sim";
  const kept = sim ? "disk (the simulator keeps it across the crash)" : "SQLite file";
  for (const p of participantNames(plan)) {
    const dead = died.get(machineOf(p));
    if (dead === undefined || run.audit.participants[p] !== undefined) continue;
    const data = run.onDisk?.participants[p]?.data;
    if (data === undefined) {
      lines.push(
        `${p}: balances unknown (its machine died); the total counts the other branches only`,
      );
    } else {
      onDisk += sumOf(data);
      lines.push(
        `${p}: its machine died; its ${kept}, read after the run, holds ${
          JSON.stringify(data)
        } (committed data)`,
      );
    }
  }
  if (run.onDisk !== undefined && Object.keys(run.onDisk.participants).length > 0) {
    lines.push(
      `total with the dead branches' ${sim ? "disks" : "files"}: ${
        run.audit.total + onDisk
      } (expected ${plan.n * plan.accounts * plan.balance}; transactions in doubt there ` +
        "apply when the branch recovers)",
    );
  }
  if (lines.length > 0 && run.audit.atomicity.inDoubt > 0) {
    lines.push(
      `${run.audit.atomicity.inDoubt} transactions left in doubt (voted yes, no decision heard)`,
    );
  }
  return lines;
}

/** The all-or-nothing verdict in words; `gone`: the processes lost with their machine. */
function verdict(found: Audit, gone: readonly string[]): string {
  const { violations, unchecked, inDoubt } = found.atomicity;
  if (violations.length > 0) return `BROKEN: ${violations.join("; ")}`;
  const open: string[] = [];
  if (inDoubt > 0) open.push(`${inDoubt} transactions still in doubt (participants blocked)`);
  if (gone.length > 0) {
    open.push(`${gone.join(", ")} lost with its machine (no violation among the others)`);
  }
  const silent = unchecked.filter((p) => !gone.includes(p));
  if (silent.length > 0) open.push(`no answer from ${silent.join(", ")}`);
  if (!found.settled && open.length === 0) open.push("transactions still running");
  return open.length === 0 ? "holds" : `not established: ${open.join("; ")}`;
}

/** The longest wait of a participant that voted yes: resolved waits, and waits still going on
 * (a coordinator that never came back). */
function longestBlock(found: Audit): number {
  return Math.max(
    0,
    ...Object.values(found.participants).flatMap((s) => [
      s.blockedMs,
      ...s.inDoubt.map((d) => d.waitingMs),
    ]),
  );
}

/** The `--json` object. */
export function transactionsSummary(plan: TransactionsPlan, run: TransactionsRun): Summary {
  const { deployment, reports } = run;
  const found = completedAudit(run);
  const trace = deployment.trace;
  let messages = 0;
  for (const e of trace.events) {
    if (e.ev !== "send") continue;
    if (e.to?.endsWith(`@${CONTROL_MACHINE}`) || e.from?.endsWith(`@${CONTROL_MACHINE}`)) continue;
    messages++;
  }
  const sum = (f: (r: TransferReport) => number) => reports.reduce((t, r) => t + f(r), 0);
  const latencies = reports.flatMap((r) => r.latencies);
  const expectedTotal = plan.n * plan.accounts * plan.balance;
  const blockedMs = longestBlock(found);
  const invariantHolds = found.settled && found.atomicity.holds && found.total === expectedTotal;
  return {
    architecture: "transactions",
    transport: deployment.transport,
    seed: plan.common.seed,
    requests: sum((r) => r.commits + r.aborts),
    messages,
    bytes: deployment.stats().bytes,
    latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    retransmissions: trace.count("retransmit"),
    errors: sum((r) => r.inDoubt) + (run.expected - reports.length),
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
    coordinatorCrashedAt: run.crashedAt ?? null,
    machinesLost: run.lost.map((l) => l.machine),
    unfinished: unfinishedLines(plan, run),
    ...(run.onDisk === undefined || Object.keys(run.onDisk.participants).length === 0
      ? {}
      : { lostOnDisk: balancesOnDisk(run) }),
  };
}

/** The balances, the table, what the crash did, and the invariant's verdict. */
export function printTransactions(
  plan: TransactionsPlan,
  run: TransactionsRun,
  summary: Summary,
  wallMs: number,
): void {
  const unfinished = summary.unfinished as string[];
  if (unfinished.length > 0) {
    console.log("\nPartial summary: the run did not finish");
    for (const line of unfinished) console.log(`  ${line}`);
  }
  printBalances(plan, run);
  console.log("");
  const blockedMs = longestBlock(run.audit);
  console.log(summaryTable(run, summary, { wallMs, blockedMs }));
  console.log("");
  printVerdict(plan, run, summary, blockedMs);
}

/** Each participant's balances, or why there are none (silent, its machine died). */
function printBalances(plan: TransactionsPlan, run: TransactionsRun): void {
  const found = run.audit;
  console.log("\nBalances after the run:");
  for (const [p, status] of Object.entries(found.participants)) {
    console.log(`  ${p}  ${JSON.stringify(status.data)}`);
  }
  const died = new Map(run.lost.map((l) => [l.machine, l]));
  for (const p of found.silent) {
    const dead = died.get(machineOf(p));
    console.log(
      `  ${p}  (${
        dead === undefined ? "did not answer" : `its machine died at ${dead.time.toFixed(0)} ms`
      })`,
    );
  }
  for (const l of died.values()) {
    const p = participantNames(plan).find((p) => machineOf(p) === l.machine);
    if (p !== undefined && found.participants[p] === undefined && !found.silent.includes(p)) {
      const data = run.onDisk?.participants[p]?.data;
      console.log(
        `  ${p}  (its machine died at ${l.time.toFixed(0)} ms: ${
          data === undefined ? "unknown" : `its file holds ${JSON.stringify(data)}`
        })`,
      );
    }
  }
}

/** The summary as a table for a reader. */
function summaryTable(
  run: TransactionsRun,
  summary: Summary,
  times: { readonly wallMs: number; readonly blockedMs: number },
): string {
  const found = run.audit;
  return table([
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
        times.blockedMs.toFixed(0)
      } ms (longest wait of a participant that voted yes, holding its locks)`,
    ],
    ["messages", `${summary.messages} (frames on the wire ${run.deployment.stats().frames})`],
    ["bytes", summary.bytes],
    ...latencyRows(
      summary.latency,
      Number(summary.commits),
      "BEGIN to committed END",
      "no transaction committed",
    ),
    ["retransmissions", summary.retransmissions],
    ...(run.lost.length === 0 ? [] : [[
      "machines lost",
      run.lost.map((l) => `${l.machine} at ${l.time.toFixed(0)} ms (${howDied(l)})`).join(", "),
    ] as [string, string]]),
    ["errors", summary.errors],
    ["trace digest", summary.traceDigest.slice(0, 16)],
    ["wall time", `${times.wallMs.toFixed(0)} ms`],
  ]);
}

/** What the coordinator's crash did (with the flag), and the invariant's verdict. */
function printVerdict(
  plan: TransactionsPlan,
  run: TransactionsRun,
  summary: Summary,
  blockedMs: number,
): void {
  const found = completedAudit(run);
  if (plan.crashAfterVotes) {
    console.log(
      run.crashedAt === undefined
        ? "The coordinator never reached its failpoint (no transaction got every vote yes)."
        : `The coordinator crashed at ${run.crashedAt.toFixed(1)} ms after the votes (decision ${
          plan.failpoint === "after-votes"
            ? "not logged: the participants then aborted"
            : "logged: the participants then committed"
        }); the participants that voted yes waited up to ${
          blockedMs.toFixed(0)
        } ms with their locks.`,
    );
  }
  const disks = found === run.audit
    ? ""
    : `, with what the dead machines' ${
      run.deployment.transport === "sim" ? "disks" : "files"
    } hold`;
  console.log(
    `Invariant: total ${found.total} (expected ${summary.expectedTotal}${disks}); all-or-nothing ${
      verdict(found, lostProcesses(plan, run, found))
    } => ${summary.invariantHolds ? "PASS" : "FAIL"}`,
  );
  if (plan.common.trace) console.log(`trace written to ${plan.common.trace}`);
}
