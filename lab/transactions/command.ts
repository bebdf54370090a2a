/**
 * `deno task lab transactions`: N participants (bank branches), a coordinator and C clients
 * moving money between accounts on different branches, one transaction per transfer, committed
 * by two-phase commit. `--crash-coordinator-after-votes` crashes the coordinator once every vote
 * is in: the participants block, holding their locks, until it restarts and answers from its
 * decision log. At the end an auditor checks all-or-nothing and the sum of the balances.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";
import { failpointOf } from "../../transactions/failpoint.ts";
import { StableStore } from "../../transactions/stable_store.ts";
import { SqliteDisk } from "../../core/storage/sqlite_disk.ts";
import {
  connectPostgres,
  PostgresConnectError,
  redactPostgresUrl,
} from "../../tiers/three_tier/postgres_connection.ts";
import {
  parseTransactions,
  participantNames,
  prepareDataDir,
  transactionMachines,
  type TransactionsPlan,
} from "./_plan.ts";
import { type Audited, auditorProcess, isClient, type LostNote } from "./_auditor.ts";
import {
  coordinatorOnDisk,
  type LostState,
  participantOnDisk,
  printTransactions,
  type TransactionsRun,
  transactionsSummary,
} from "./_report.ts";
import type { ParticipantStatus } from "../../transactions/messages.ts";
import { COMMON_HELP, narrate, saveTrace } from "../_common.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import { deploy, type Deployment, deployOptions, type MachineSpec } from "../deploy/deploy.ts";
import type { MachineLoss } from "../deploy/run_errors.ts";
import { keepSummary } from "../results/session.ts";
import { crashesForGood } from "../_fault_flags.ts";

const USAGE = `Usage: deno task lab transactions [flags]

A coordinator (tm@coord.lab), N participants (bank@p1.lab, ...) each owning accounts acct0..
in stable storage on its machine's disk (ctx.disk: a SQLite file per OS process, in memory in
the simulator, where it survives crashes; or PostgreSQL with --db), and C clients (client@c1.lab, ...) making transfers between
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
  --data-dir DIR        OS processes: keep each machine's data and log in a SQLite file in DIR,
                        kept after the run: a later run on DIR goes on from them (default each
                        machine's own disk, ctx.disk, which its restarts keep and the run removes);
                        DIR is made if missing (its parent must exist) and checked before the run;
                        its bank.json keeps --participants, --accounts and --balance, which a later
                        run takes from it (a different value is refused); not with --sim, --db,
                        or --hosts placing a machine on another host
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
const TRANSACTION_NOTES = ["blocked:", "unblocked:", "recovery:", "failpoint", "first boot"];

function narrateTransactions(event: TraceEvent): string | undefined {
  if (event.ev === "log" && event.note !== undefined && !event.note.startsWith("disk lost ")) {
    const note = event.note;
    if (TRANSACTION_NOTES.some((p) => note.startsWith(p)) || note.includes("presumed abort")) {
      return `${event.t.toFixed(3).padStart(10)} ms  ${event.at} ${note}`;
    }
    return undefined;
  }
  return narrate(event);
}

/** Runs the transactions architecture; returns the exit code. */
export async function runTransactions(args: string[]): Promise<number> {
  const plan = parseTransactions(args, USAGE);
  if (plan === undefined) {
    console.log(USAGE);
    return 0;
  }
  prepareDataDir(plan, USAGE);
  if (plan.dbUrl !== undefined && !(await reachPostgres(plan.dbUrl))) return 1;
  const { common, keepDir } = plan;
  const machines = transactionMachines(plan, COORDINATOR);
  if (!common.quiet) console.log(opening(plan));
  const started = performance.now();
  // Each machine's disk file, read after the run for the committed balances of a dead branch.
  const disks = common.sim || plan.dbUrl !== undefined || keepDir !== undefined
    ? undefined
    : await Deno.makeTempDir({ prefix: "archlab-transactions-" });
  let run: TransactionsRun;
  try {
    run = await runDeployment(plan, machines, disks);
    const open = storeOpener(run.deployment, keepDir, disks);
    if (open !== undefined) run = { ...run, onDisk: readLost(plan, run, open) };
  } finally {
    if (disks !== undefined) await Deno.remove(disks, { recursive: true });
  }
  const wallMs = performance.now() - started;
  const summary = transactionsSummary(plan, run);
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
  } else {
    printTransactions(plan, run, summary, wallMs);
  }
  // A machine the user crashed for good (`--crash` without a restart) is the run asked for, not
  // a failure of it: the verdict, completed with its disk, decides. One that died otherwise fails.
  const asked = run.lost.every((l) => l.cause === "crashed by --crash");
  return summary.invariantHolds && asked ? 0 : 1;
}

/**
 * What each process whose machine died left on stable storage, read once every machine has
 * stopped (a `kill -9` or a simulated crash loses no committed write of it): a participant's
 * committed balances and the outcomes and prepared transactions of its log, the coordinator's
 * logged decisions. With them the audit is completed after the run.
 */
function readLost(
  plan: TransactionsPlan,
  run: TransactionsRun,
  open: (machine: string, p: string) => StableStore,
): LostState {
  const lost = (address: string) =>
    run.lost.some((l) => l.machine === address.slice(address.indexOf("@") + 1));
  const read = <T>(address: string, what: (store: StableStore) => T): T => {
    const store = open(address.slice(address.indexOf("@") + 1), address);
    try {
      return what(store);
    } finally {
      store.close();
    }
  };
  const participants: Record<string, ParticipantStatus> = {};
  for (const p of participantNames(plan)) {
    if (lost(p)) participants[p] = read(p, participantOnDisk);
  }
  return {
    participants,
    coordinator: lost(COORDINATOR) ? read(COORDINATOR, coordinatorOnDisk) : undefined,
    coordinatorAddress: COORDINATOR,
  };
}

/**
 * How to open participant `p`'s stable store after the run: the SQLite file in `keepDir`
 * (`--data-dir`), the machine's disk file in `disks`, or in the simulator the machine's disk,
 * which its crash left; `undefined` with `--db` (PostgreSQL keeps it, nothing to read here).
 */
function storeOpener(
  deployment: Deployment,
  keepDir: string | undefined,
  disks: string | undefined,
): ((machine: string, p: string) => StableStore) | undefined {
  if (keepDir !== undefined) return (machine) => StableStore.file(`${keepDir}/${machine}.sqlite`);
  if (disks !== undefined) return (machine, p) => machineDiskStore(`${disks}/${machine}.sqlite`, p);
  const disk = deployment.disk?.bind(deployment);
  if (disk === undefined) return undefined;
  return (machine, p) => new StableStore(disk(machine).open(`transactions ${p}`), () => {});
}

/** The stable store participant `p` kept on its machine's disk file at `path`. */
function machineDiskStore(path: string, p: string): StableStore {
  const disk = new SqliteDisk(path);
  return new StableStore(disk.open(`transactions ${p}`), () => disk.close());
}

/** Reaches the server before starting machines: a wrong URL or a server that is down is one
 * clear line, not every machine failing. */
async function reachPostgres(dbUrl: string): Promise<boolean> {
  try {
    await (await connectPostgres(dbUrl)).end({ timeout: 5 });
    return true;
  } catch (error) {
    if (!(error instanceof PostgresConnectError)) throw error;
    console.error(`archlab: ${error.message}`);
    return false;
  }
}

/** The line that says what runs. */
function opening(plan: TransactionsPlan): string {
  const { common, n, accounts, clients, transfers, dbUrl } = plan;
  return `transactions: ${n} participants x ${accounts} accounts, ${clients} clients x ${transfers} ` +
    `transfers, ${
      common.sim ? `simulator (seed ${common.seed})` : "OS processes over TCP on 127.0.0.1"
    }${dbUrl === undefined ? "" : `, stable storage in PostgreSQL at ${redactPostgresUrl(dbUrl)}`}${
      plan.crashAfterVotes ? `, coordinator crashes after the votes (down ${plan.downMs} ms)` : ""
    }`;
}

/** Deploys the machines, injects the faults, collects the clients' reports and audits. */
async function runDeployment(
  plan: TransactionsPlan,
  machines: MachineSpec[],
  disks: string | undefined,
): Promise<TransactionsRun> {
  const { common } = plan;
  const gone = new Set(crashesForGood(common.crashes).map((c) => c.machine));
  const expected = machines.filter((m) => isClient(m.name) && !gone.has(m.name)).length;
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrateTransactions(event);
    if (line !== undefined) console.log(line);
  };
  const deployment = await deploy(machines, { ...deployOptions(common, onEvent), disks });
  const crash: { at?: number } = {};
  /** Machines whose OS process died during the run and were not restarted. */
  const lost: MachineLoss[] = [];
  const audited: Audited = { reports: [], clientsStopped: false };
  try {
    injectFaults(deployment, plan, crash);
    const done = Promise.withResolvers<void>();
    const auditor = deployment.spawnControl(
      "auditor",
      auditorProcess({
        coordinator: COORDINATOR,
        participants: participantNames(plan),
        machines: machines.map((m) => m.name),
        expected,
        latency: plan.common.latency,
        transfers: plan.transfers,
        done: done.resolve,
      }, audited),
    );
    let notes = 0;
    deployment.onLost?.((loss) => {
      lost.push(loss);
      const note: LostNote = { kind: "machine-lost", machine: loss.machine };
      deployment.spawnControl(`lost-${++notes}`, (ctx) => ctx.send(auditor, note));
    });
    // The auditor bounds its own waits after a machine died: it stops the clients, then audits.
    await deployment.run(done.promise, { until: 600_000, waitOnLoss: true });
    await saveTrace(deployment.trace, common);
  } finally {
    await deployment.stop();
  }
  if (common.sim) lost.push(...crashedForGood(plan));
  const { reports, clientsStopped, result } = audited;
  return {
    deployment,
    reports,
    expected,
    audit: result!,
    crashedAt: crash.at,
    lost,
    clientsStopped,
  };
}

/**
 * In the simulator, the participants' and coordinator's machines that `--crash` took down for
 * good: lost like a killed OS process (their balances come from their disks after the run).
 */
function crashedForGood(plan: TransactionsPlan): MachineLoss[] {
  return crashesForGood(plan.common.crashes)
    .filter((c) => !isClient(c.machine))
    .map((c) => ({
      machine: c.machine,
      time: c.at,
      code: 0,
      cause: "crashed by --crash",
    }));
}

/**
 * The fault flags' partitions and crashes, and with `--crash-coordinator-after-votes` the
 * coordinator's crash at its failpoint (its time kept in `crash.at`).
 */
function injectFaults(
  deployment: Deployment,
  plan: TransactionsPlan,
  crash: { at?: number },
): void {
  scheduleFaultFlags(deployment, plan.common);
  if (plan.crashAfterVotes) {
    deployment.trace.listen((event) => {
      if (crash.at !== undefined || failpointOf(event) === undefined) return;
      crash.at = event.t;
      // Times since the start of the run, virtual or wall-clock, as the trace's.
      deployment.crash("coord.lab", { at: event.t, restartAt: event.t + plan.downMs });
    });
  }
}
