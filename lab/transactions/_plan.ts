/**
 * The transactions command's plan: its flags checked and read, and the machines it deploys.
 * @module
 */
import { delayedArgs } from "../_delay_timeouts.ts";
import { checkPostgresUrl } from "../../tiers/three_tier/postgres_connection.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  type CommonOptions,
  intFlag,
  openCommand,
  refuseFlags,
  UsageError,
} from "../_common.ts";
import { CONTROL_MACHINE, type MachineSpec } from "../deploy/deploy.ts";
import { isLocalHost } from "../deploy/hosts_file.ts";
import { prepareOutDir } from "../results/out_dir.ts";

/** What the flags ask for. */
export interface TransactionsPlan {
  /** The flags every command shares. */
  readonly common: CommonOptions;
  /** Participants (bank branches). */
  readonly n: number;
  /** Accounts per participant. */
  readonly accounts: number;
  /** Opening balance of each account. */
  readonly balance: number;
  /** Client machines. */
  readonly clients: number;
  /** Transfers per client. */
  readonly transfers: number;
  /** Largest transfer. */
  readonly maxAmount: number;
  /** How long a crashed coordinator stays down, in ms. */
  readonly downMs: number;
  /** Whether the coordinator crashes once it has every vote. */
  readonly crashAfterVotes: boolean;
  /** Where it crashes: before or after logging its decision. */
  readonly failpoint: "after-votes" | "after-decision";
  /** `--data-dir`, when given. */
  readonly keepDir: string | undefined;
  /** `--db`, when given. */
  readonly dbUrl: string | undefined;
}

/** Reads and checks the flags; `undefined` when `--help` was asked for. */
export function parseTransactions(args: string[], usage: string): TransactionsPlan | undefined {
  const opened = openCommand(
    args,
    {
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
    },
    usage,
    null,
  );
  if (opened === undefined) return undefined;
  const { values, common } = opened;
  if (values["crash-coordinator-after-votes"] !== true) {
    const reason = "it applies with --crash-coordinator-after-votes only";
    refuseFlags(values, { "before-log": reason, down: reason }, usage);
  }
  if (common.sim) {
    refuseFlags(values, {
      "data-dir": "with --sim stable storage is in memory (it survives simulated crashes)",
      db: "a PostgreSQL server is real I/O outside the simulator's virtual time; drop --sim " +
        "to run the machines as OS processes",
    }, usage);
  }
  const dbUrl = typeof values.db === "string" ? values.db : undefined;
  if (dbUrl !== undefined) {
    refuseFlags(values, { "data-dir": "with --db stable storage is in PostgreSQL" }, usage);
    try {
      checkPostgresUrl(dbUrl, { label: "--db" });
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      throw new UsageError(error.message, usage);
    }
  }
  const keepDir = typeof values["data-dir"] === "string" ? values["data-dir"] : undefined;
  const bank = bankFlags(values, keepDir, usage);
  const n = bank.participants;
  const clients = intFlag("clients", values.clients, 2, usage, 1);
  const machines = [
    "coord.lab",
    ...Array.from({ length: n }, (_, i) => `p${i + 1}.lab`),
    ...Array.from({ length: clients }, (_, i) => `c${i + 1}.lab`),
  ];
  checkFaultTargets(common, machines, usage);
  if (keepDir !== undefined) checkDataDir(keepDir, common, machines, usage);
  return {
    common,
    n,
    accounts: bank.accounts,
    balance: bank.balance,
    clients,
    transfers: intFlag("transfers", values.transfers, 5, usage, 0),
    maxAmount: intFlag("max-amount", values["max-amount"], 60, usage, 1),
    downMs: intFlag("down", values.down, 1000, usage, 1),
    crashAfterVotes: values["crash-coordinator-after-votes"] === true,
    failpoint: values["before-log"] === true ? "after-votes" : "after-decision",
    keepDir,
    dbUrl,
  };
}

/** The bank a `--data-dir` holds: set by its first run, kept in {@link BANK_FILE}. */
interface BankSetup {
  readonly participants: number;
  readonly accounts: number;
  readonly balance: number;
}

/** The file in a `--data-dir` that says which bank its SQLite files hold. */
const BANK_FILE = "bank.json";

const BANK_DEFAULTS: BankSetup = { participants: 3, accounts: 2, balance: 100 };

/**
 * `--participants`, `--accounts` and `--balance`: the flags, else the bank `keepDir` holds from
 * an earlier run (its balances go on from there), else the defaults. A flag that differs from
 * the bank the folder holds is refused: the stored balances would silently win over it.
 */
function bankFlags(
  values: Readonly<Record<string, unknown>>,
  keepDir: string | undefined,
  usage: string,
): BankSetup {
  const stored = keepDir === undefined || keepDir === "" ? undefined : storedBank(keepDir, usage);
  const read = (key: keyof BankSetup, min: number): number => {
    const value = intFlag(key, values[key], stored?.[key] ?? BANK_DEFAULTS[key], usage, min);
    if (stored !== undefined && values[key] !== undefined && value !== stored[key]) {
      throw new UsageError(
        `Cannot use --${key} ${value} with --data-dir "${keepDir}": its bank has --${key} ` +
          `${stored[key]} (a run on it goes on from its stored balances); drop --${key}, or give ` +
          "a new --data-dir",
        usage,
      );
    }
    return value;
  };
  return {
    participants: read("participants", 1),
    accounts: read("accounts", 1),
    balance: read("balance", 0),
  };
}

/** The bank `dir` holds (its {@link BANK_FILE}), or `undefined` when it holds none yet. */
function storedBank(dir: string, usage: string): BankSetup | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${dir}/${BANK_FILE}`);
  } catch (error) {
    // No bank yet; or a folder Deno's permissions keep out of reach without --allow-all
    // (/proc, /dev): the folder check that follows refuses it, saying so.
    if (
      error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory ||
      error instanceof Deno.errors.NotCapable
    ) {
      return undefined;
    }
    throw new UsageError(
      `Cannot use --data-dir "${dir}": ${BANK_FILE} cannot be read: ${(error as Error).message}`,
      usage,
    );
  }
  try {
    const bank = JSON.parse(text) as BankSetup;
    if (![bank.participants, bank.accounts, bank.balance].every(Number.isSafeInteger)) {
      throw new TypeError("a number is missing");
    }
    return bank;
  } catch (error) {
    throw new UsageError(
      `Cannot use --data-dir "${dir}": its ${BANK_FILE} is not a bank (${
        (error as Error).message
      }); give a new --data-dir`,
      usage,
    );
  }
}

/**
 * Refuses a `--data-dir` that cannot mean what it says: an empty one, or one with `--hosts`
 * placing a machine on another host (its SQLite file would be there, out of the lab's reach).
 * Whether the folder can be written is {@link prepareDataDir}'s check, at the start of the run.
 */
function checkDataDir(
  dir: string,
  common: CommonOptions,
  machines: readonly string[],
  usage: string,
): void {
  if (dir === "") {
    throw new UsageError('Cannot use --data-dir "": give a folder, e.g. --data-dir bank', usage);
  }
  const away = common.hosts?.entries.find((e) =>
    machines.includes(e.machine) && !isLocalHost(e.hostname)
  );
  if (away !== undefined) {
    throw new UsageError(
      `Cannot use --data-dir with --hosts: ${away.machine} runs on ${away.hostname}, where its ` +
        "SQLite file would be out of the lab's reach; drop --data-dir (each machine keeps its " +
        "data on its own disk) or --db URL (one PostgreSQL server for all)",
      usage,
    );
  }
}

/**
 * Makes the `--data-dir` folder before the run (its parent must exist) and proves it writable;
 * a {@link UsageError} naming the path otherwise. A new folder gets its {@link BANK_FILE}, which
 * later runs on it go on from. Nothing to do without the flag.
 */
export function prepareDataDir(plan: TransactionsPlan, usage: string): void {
  if (plan.keepDir === undefined) return;
  const dir = prepareOutDir(plan.keepDir, "transactions", plan.common.seed, {
    fail: (message) => new UsageError(message, usage),
    what: "keep data in",
    flag: "--data-dir",
  });
  const { n: participants, accounts, balance } = plan;
  try {
    Deno.writeTextFileSync(
      `${dir}/${BANK_FILE}`,
      JSON.stringify({ participants, accounts, balance }) + "\n",
      { createNew: true },
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}

/** The participants' process names: `bank@p1.lab`, …. */
export function participantNames(plan: TransactionsPlan): string[] {
  return Array.from({ length: plan.n }, (_, i) => `bank@p${i + 1}.lab`);
}

/**
 * The coordinator's, the participants' and the clients' machines. Stable storage is each
 * machine's disk (`ctx.disk`: a SQLite file per OS process that its replacement opens again, in
 * memory in the simulator), unless the flags say otherwise: PostgreSQL with `--db`, or a SQLite
 * file per machine in `--data-dir` (kept after the run, so a later run goes on from it).
 */
export function transactionMachines(plan: TransactionsPlan, coordinator: string): MachineSpec[] {
  const dir = plan.keepDir;
  const storage = (machine: string) =>
    plan.dbUrl !== undefined
      ? { url: plan.dbUrl }
      : dir === undefined
      ? {}
      : { path: `${dir}/${machine}.sqlite` };
  const initial: Record<string, number> = {};
  for (let a = 0; a < plan.accounts; a++) initial[`acct${a}`] = plan.balance;
  const machines: MachineSpec[] = [{
    name: "coord.lab",
    processes: [{
      name: "tm",
      program: "tx-coordinator",
      args: {
        ...storage("coord.lab"),
        ...(plan.crashAfterVotes ? { failpoint: plan.failpoint, failpointMs: 10_000 } : {}),
        // A prepare and its vote: 2 trips.
        ...delayedArgs(plan.common.latency, { voteTimeoutMs: 500 }),
      },
    }],
  }];
  for (let i = 1; i <= plan.n; i++) {
    machines.push({
      name: `p${i}.lab`,
      processes: [{
        name: "bank",
        program: "tx-participant",
        args: {
          ...storage(`p${i}.lab`),
          initial,
          // Between two operations of a transaction: a reply, the next request, or END's
          // prepare through the coordinator (up to 4 trips).
          ...delayedArgs(plan.common.latency, { activeTimeoutMs: 1000 }, 4),
        },
      }],
    });
  }
  const participants = participantNames(plan);
  for (let c = 1; c <= plan.clients; c++) {
    machines.push({
      name: `c${c}.lab`,
      processes: [{
        name: "client",
        program: "tx-transfer-client",
        args: {
          coordinator,
          participants,
          accounts: plan.accounts,
          transfers: plan.transfers,
          maxAmount: plan.maxAmount,
          collector: `auditor@${CONTROL_MACHINE}`,
          // On OS processes the auditor stops the clients when a machine of the system dies.
          ...(plan.common.sim ? {} : { stoppable: true }),
          ...delayedArgs(plan.common.latency, { timeout: 1000 }),
          // END, prepares, votes, decisions, outcome: up to 6 trips.
          ...delayedArgs(plan.common.latency, { endTimeout: 2000 }, 6),
        },
      }],
    });
  }
  return machines;
}
