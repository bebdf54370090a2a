/**
 * A simulated bank for the transaction tests: a coordinator, N participants (branches) and C
 * transfer clients, with stable storage owned here so that the tests read it after the run, a
 * crash at a coordinator failpoint, and crash schedules.
 * @module
 */
import {
  coordinatorOnDisk as decisionsOf,
  participantOnDisk as statusOf,
} from "../lab/transactions/_report.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import {
  type AtomicityReport,
  type Audit,
  audit,
  checkAtomicity,
  type Failpoint,
  failpointOf,
  type ParticipantStatus,
  StableStore,
  transactionCoordinator,
  transactionParticipant,
  transferClient,
  type TransferReport,
} from "../transactions/mod.ts";

/** The coordinator's address in the harness. */
export const COORDINATOR = "tm@coord.lab";

/** Address of participant `i` (1-based). */
export function branch(i: number): string {
  return `bank@p${i}.lab`;
}

/** A crash of one machine. */
export interface CrashPlan {
  readonly machine: string;
  readonly at: number;
  readonly restartAt?: number;
}

/** Options of {@link runBank}. */
export interface BankOptions {
  readonly seed: number;
  readonly participants?: number;
  readonly accounts?: number;
  readonly balance?: number;
  readonly clients?: number;
  readonly transfers?: number;
  /** Crash the coordinator at this failpoint, restarting it `downMs` later. */
  readonly failpoint?: Failpoint;
  readonly downMs?: number;
  readonly crashes?: readonly CrashPlan[];
  readonly drop?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  /** The core's reliable channel under the protocol. @default true */
  readonly reliable?: boolean;
  readonly until?: number;
}

/** A finished run. */
export interface BankRun {
  readonly sim: Simulator;
  readonly coordinator: StableStore;
  /** Participants' stable storage by address. */
  readonly stores: Readonly<Record<string, StableStore>>;
  readonly reports: TransferReport[];
  readonly audit?: Audit;
  readonly expectedTotal: number;
}

/** Runs the bank in the simulator until quiescent (or `until` ms). */
export async function runBank(options: BankOptions): Promise<BankRun> {
  const n = options.participants ?? 3;
  const accounts = options.accounts ?? 2;
  const balance = options.balance ?? 100;
  const clients = options.clients ?? 2;
  const sim = new Simulator({
    seed: options.seed,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    reliable: options.reliable ?? true,
  });
  const coordinator = new StableStore();
  sim.machine("coord.lab").spawn(
    "tm",
    transactionCoordinator({ store: coordinator, failpoint: options.failpoint }),
  );
  const stores: Record<string, StableStore> = {};
  const initial: Record<string, number> = {};
  for (let a = 0; a < accounts; a++) initial[`acct${a}`] = balance;
  for (let i = 1; i <= n; i++) {
    const store = stores[branch(i)] = new StableStore();
    sim.machine(`p${i}.lab`).spawn("bank", transactionParticipant({ store, initial }));
  }
  const participants = Object.keys(stores);
  for (let c = 1; c <= clients; c++) {
    sim.machine(`c${c}.lab`).spawn(
      "client",
      transferClient({
        coordinator: COORDINATOR,
        participants,
        accounts,
        transfers: options.transfers ?? 4,
        collector: "auditor@audit.lab",
      }),
    );
  }
  const reports: TransferReport[] = [];
  let result: Audit | undefined;
  sim.machine("audit.lab").spawn("auditor", async (ctx) => {
    while (reports.length < clients) reports.push((await ctx.receive<TransferReport>()).body);
    result = await audit(ctx, { coordinator: COORDINATOR, participants });
  });
  if (options.failpoint !== undefined) {
    let crashed = false;
    sim.trace.listen((event) => {
      if (crashed || failpointOf(event) === undefined) return;
      crashed = true;
      sim.crash("coord.lab", { restartAt: sim.now + (options.downMs ?? 1000) });
    });
  }
  for (const c of options.crashes ?? []) sim.crash(c.machine, c);
  await sim.run({ until: options.until ?? 120_000 });
  return {
    sim,
    coordinator,
    stores,
    reports,
    audit: result,
    expectedTotal: n * accounts * balance,
  };
}

/** A participant's state and the coordinator's decisions, read from their logs alone. */
export { decisionsOf, statusOf };

/** All-or-nothing, checked on stable storage directly. */
export function checkStores(run: BankRun): AtomicityReport {
  const statuses: Record<string, ParticipantStatus> = {};
  for (const [p, store] of Object.entries(run.stores)) statuses[p] = statusOf(store);
  return checkAtomicity(decisionsOf(run.coordinator), statuses);
}

/** Sum of every balance in stable storage. */
export function totalOf(run: BankRun): number {
  let total = 0;
  for (const store of Object.values(run.stores)) {
    for (const value of Object.values(store.entries())) total += value as number;
  }
  return total;
}

/** Closes every store of a run. */
export function closeRun(run: BankRun): void {
  run.coordinator.close();
  for (const store of Object.values(run.stores)) store.close();
}
