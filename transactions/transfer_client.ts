/**
 * A bank workload: a client moves money between accounts held by different participants, one
 * transaction per transfer (read both balances, debit, credit, end). A transfer that would
 * overdraw aborts (its debit, already written, is never applied); a conflict aborts and retries.
 * Whatever crashes, the sum of all balances stays the same.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { canonical } from "../core/name.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { numberOption, stringOption } from "./_options.ts";
import { TransactionClient } from "./transaction_client.ts";
import { TransactionAbortedError, TransactionInDoubtError } from "./transaction_errors.ts";

/** Options of {@link transferClient}. */
export interface TransferClientOptions {
  /** The coordinator's address. */
  readonly coordinator: string;
  /** The participants (bank branches) holding the accounts. */
  readonly participants: readonly string[];
  /** Accounts per participant, named `acct0`, `acct1`, ... @default 2 */
  readonly accounts?: number;
  /** Transfers to make. @default 5 */
  readonly transfers?: number;
  /** Largest amount of one transfer. @default 60 */
  readonly maxAmount?: number;
  /** Attempts per transfer (conflicts retry after a random backoff). @default 5 */
  readonly attempts?: number;
  /** Largest pause between transfers and before a retry, in ms. @default 20 */
  readonly thinkMs?: number;
  /** Ms to wait for BEGIN, a READ or a WRITE. @default 1000 */
  readonly timeout?: number;
  /** Ms to wait for END, per attempt. @default 2000 */
  readonly endTimeout?: number;
  /** Where to send the {@link TransferReport} (kind `report`). @default no report */
  readonly collector?: string;
  /**
   * Whether a message of kind `tx-stop` ends the client early: it makes no transfer (and no
   * attempt) after it, and reports what it did, marked `stopped`. Its pauses then wait for that
   * message instead of sleeping. @default false
   */
  readonly stoppable?: boolean;
}

/** What a transfer client reports. */
export interface TransferReport {
  /** Always `report`. */
  readonly kind: "report";
  /** The client's address. */
  readonly client: string;
  /** Transactions committed. */
  readonly commits: number;
  /** Transactions aborted (conflicts, refusals, overdrafts, votes against). */
  readonly aborts: number;
  /** Of the aborts, those the client chose because the transfer would overdraw. */
  readonly overdrafts: number;
  /** Transfers given up after every attempt aborted. */
  readonly abandoned: number;
  /** Transactions whose outcome the client never learned. */
  readonly inDoubt: number;
  /** Ms from BEGIN to a committed END, per commit. */
  readonly latencies: readonly number[];
  /** Present (true) when it stopped early, told to: the transfers after that were not made. */
  readonly stopped?: true;
}

/**
 * The transfer client program.
 *
 * @example Three transfers between two branches
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { transactionCoordinator } from "./coordinator_process.ts";
 * import { transactionParticipant } from "./participant_process.ts";
 * import { transferClient, type TransferReport } from "./transfer_client.ts";
 * const sim = new Simulator({ seed: 4 });
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * for (const p of ["p1.lab", "p2.lab"]) {
 *   sim.machine(p).spawn("bank", transactionParticipant({ initial: { acct0: 100, acct1: 100 } }));
 * }
 * sim.machine("c1.lab").spawn("client", transferClient({
 *   coordinator: "tm@coord.lab", participants: ["bank@p1.lab", "bank@p2.lab"], transfers: 3,
 *   collector: "out@c1.lab",
 * }));
 * let report: TransferReport | undefined;
 * sim.machine("c1.lab").spawn("out", async (ctx) => { report = (await ctx.receive<TransferReport>()).body; });
 * await sim.run();
 * assert.equal(report!.commits + report!.overdrafts, 3);
 * ```
 */
export function transferClient(options: TransferClientOptions): ProcessFn {
  const settings = transferSettings(options);
  return (ctx: ProcessContext) => makeTransfers(ctx, settings);
}

/** The options, checked, with their defaults. */
interface TransferSettings {
  readonly coordinator: string;
  readonly branches: readonly string[];
  readonly accounts: number;
  readonly transfers: number;
  readonly maxAmount: number;
  readonly attempts: number;
  readonly thinkMs: number;
  readonly timeout: number | undefined;
  readonly endTimeout: number | undefined;
  readonly collector: string | undefined;
  readonly stoppable: boolean;
}

function transferSettings(options: TransferClientOptions): TransferSettings {
  const owner = "a transfer client";
  const coordinator = stringOption(owner, "coordinator", options?.coordinator);
  const participants = options.participants;
  if (!Array.isArray(participants) || participants.length === 0) {
    throw new TypeError(
      `Cannot start ${owner}: option participants ${
        JSON.stringify(participants)
      } must be a non-empty list of addresses`,
    );
  }
  return {
    coordinator,
    branches: participants.map((p) => canonical(p)),
    accounts: numberOption(owner, "accounts", options.accounts, 2, 1),
    transfers: numberOption(owner, "transfers", options.transfers, 5),
    maxAmount: numberOption(owner, "maxAmount", options.maxAmount, 60, 1),
    attempts: numberOption(owner, "attempts", options.attempts, 5, 1),
    thinkMs: numberOption(owner, "thinkMs", options.thinkMs, 20),
    timeout: options.timeout,
    endTimeout: options.endTimeout,
    collector: options.collector,
    stoppable: options.stoppable === true,
  };
}

/** One transfer: `amount` from an account of branch `from` to one of branch `to`. */
interface Transfer {
  readonly from: string;
  readonly fromKey: string;
  readonly to: string;
  readonly toKey: string;
  readonly amount: number;
}

/** The report as it is counted. */
type Counts = { -readonly [K in keyof TransferReport]: TransferReport[K] } & {
  latencies: number[];
};

/** Whether the client was told to stop (a stoppable client), shared by its pauses. */
interface StopFlag {
  stopped: boolean;
}

/** The process: the transfers one after the other, then the report. */
async function makeTransfers(ctx: ProcessContext, s: TransferSettings): Promise<void> {
  const stop: StopFlag = { stopped: false };
  const tx = new TransactionClient(ctx, {
    coordinator: s.coordinator,
    timeout: s.timeout,
    endTimeout: s.endTimeout,
  });
  const report: Counts = {
    kind: "report",
    client: ctx.self,
    commits: 0,
    aborts: 0,
    overdrafts: 0,
    abandoned: 0,
    inDoubt: 0,
    latencies: [],
  };
  for (let i = 0; i < s.transfers && !stop.stopped; i++) {
    const done = await transferWithRetries(ctx, tx, pickTransfer(ctx, s), { s, report, stop });
    if (stop.stopped && !done) break; // Told to stop: this transfer was not made, nor abandoned.
    if (!done) report.abandoned++;
    if (s.thinkMs > 0) {
      const ms = ctx.random() * s.thinkMs;
      await (s.stoppable ? pause(ctx, ms, stop) : ctx.sleep(ms));
    } else if (s.stoppable) await pause(ctx, 0, stop);
  }
  if (s.collector !== undefined) {
    await ctx.send(s.collector, stop.stopped ? { ...report, stopped: true as const } : report);
  }
}

/** Sleeps `ms`; a stoppable client wakes early when told to stop. */
async function pause(ctx: ProcessContext, ms: number, stop: StopFlag): Promise<void> {
  if (stop.stopped) return;
  try {
    await ctx.receive({ kind: "tx-stop", timeout: ms });
    stop.stopped = true;
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
  }
}

/** A random transfer between two accounts (on two branches when there are two). */
function pickTransfer(ctx: ProcessContext, s: TransferSettings): Transfer {
  const { branches, accounts } = s;
  const pick = (n: number) => Math.floor(ctx.random() * n);
  const from = pick(branches.length);
  const to = branches.length > 1 ? (from + 1 + pick(branches.length - 1)) % branches.length : 0;
  const fromKey = `acct${pick(accounts)}`;
  let toKey = `acct${pick(accounts)}`;
  if (from === to && fromKey === toKey) {
    toKey = `acct${(Number(fromKey.slice(4)) + 1) % accounts}`;
  }
  const amount = 1 + pick(s.maxAmount);
  return { from: branches[from], fromKey, to: branches[to], toKey, amount };
}

/**
 * Attempts `transfer` until it commits, overdraws, is in doubt, or the attempts run out (a
 * random, growing pause between attempts); returns whether it is done with.
 */
async function transferWithRetries(
  ctx: ProcessContext,
  tx: TransactionClient,
  transfer: Transfer,
  run: { readonly s: TransferSettings; readonly report: Counts; readonly stop: StopFlag },
): Promise<boolean> {
  const { s, report, stop } = run;
  let done = false;
  for (let attempt = 1; attempt <= s.attempts && !done && !stop.stopped; attempt++) {
    const started = ctx.now();
    try {
      const outcome = await attemptTransfer(tx, transfer);
      if (outcome === "committed") {
        report.commits++;
        report.latencies.push(ctx.now() - started);
        done = true;
      } else if (outcome === "overdraft") {
        report.aborts++;
        report.overdrafts++;
        return true;
      } else report.aborts++;
    } catch (error) {
      if (error instanceof TransactionInDoubtError) {
        report.inDoubt++;
        done = true;
      } else if (error instanceof TransactionAbortedError) {
        report.aborts++;
      } else throw error;
    }
    if (!done) {
      const ms = ctx.random() * s.thinkMs * attempt;
      await (s.stoppable ? pause(ctx, ms, stop) : ctx.sleep(ms));
    }
  }
  return done;
}

/**
 * One transaction: read the balance, debit, read the other, then credit and end, or abort when
 * the debit would overdraw.
 */
async function attemptTransfer(
  tx: TransactionClient,
  t: Transfer,
): Promise<"committed" | "aborted" | "overdraft"> {
  await tx.begin();
  const balance = (await tx.read<number>(t.from, t.fromKey)) ?? 0;
  await tx.write(t.from, t.fromKey, balance - t.amount);
  const other = (await tx.read<number>(t.to, t.toKey)) ?? 0;
  if (balance < t.amount) {
    // ABORT_TRANSACTION: the debit written above is discarded everywhere.
    await tx.abort();
    return "overdraft";
  }
  await tx.write(t.to, t.toKey, other + t.amount);
  return await tx.end() === "committed" ? "committed" : "aborted";
}
