/**
 * The orphan experiment in the deterministic simulator: client machines call a long-running
 * procedure on server machines, one client machine crashes in the middle of a call and restarts,
 * and a {@link WorkLedger} measures the orphans each policy leaves behind, how many it kills and
 * how much work was wasted on calls nobody waited for. The stable storage of each machine is its
 * disk (`ctx.disk`), which survives the crashes.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { machineOf } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import type { TraceEvent } from "../core/trace.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { RemoteError } from "./errors.ts";
import { ANSWER_KIND, EPOCH_KIND, KILL_KIND, LOCATE_KIND, RENEW_KIND } from "./messages.ts";
import { type OrphanPolicy, orphanPolicy } from "./orphan_policy.ts";
import { RpcClient } from "./rpc_client.ts";
import { serveRpc } from "./skeleton_process.ts";
import { type WorkService, workService } from "./work_service.ts";
import { type MachineCrash, type OrphanReport, WorkLedger } from "./work_ledger.ts";

/** A crash of a machine, with an optional restart. */
export interface CrashPlan {
  /** `machine.domain`. */
  readonly machine: string;
  /** When it crashes (ms). */
  readonly at: number;
  /** When it restarts (ms); never when left out. */
  readonly restartAt?: number;
}

/** The default crash: client `c1.lab` dies in the middle of its second call and comes back. */
export const DEFAULT_CRASHES: readonly CrashPlan[] = [{
  machine: "c1.lab",
  at: 150,
  restartAt: 170,
}];

/** Options of {@link simulateOrphans}. */
export interface OrphanSimOptions {
  /** The orphan policy of clients and servers. @default "none" */
  readonly policy?: OrphanPolicy;
  /** Client machines `c1.lab`, `c2.lab`, ... each running process `client`. @default 2 */
  readonly clients?: number;
  /** Server machines `s1.lab`, ... each running the skeleton `rpc`. @default 2 */
  readonly servers?: number;
  /** Calls each client makes, one after the other, alternating servers. @default 4 */
  readonly calls?: number;
  /** Units of work per call. @default 100 */
  readonly work?: number;
  /** Ms per unit of work. @default 1 */
  readonly step?: number;
  /** Expiration's quantum in ms. @default 20 */
  readonly quantum?: number;
  /** Ms a client waits for a reply. @default 10000 */
  readonly timeout?: number;
  /** Ms a server waits for a caller's new quantum (expiration). @default 50 */
  readonly renewTimeout?: number;
  /** Ms a server waits for a caller's agent to confirm it still waits (gentle). @default 50 */
  readonly probeTimeout?: number;
  /** Attempts per call when the server killed it (reincarnation's victims call again). @default 5 */
  readonly attempts?: number;
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** Crashes to schedule. @default {@link DEFAULT_CRASHES} */
  readonly crashes?: readonly CrashPlan[];
  /** Simulator settings other than the seed (faults, latency, trace). @default {} */
  readonly simulator?: Omit<SimulatorOptions, "seed">;
  /** Called with the simulator before the run (listen to the trace, add partitions). @default none */
  readonly setup?: (sim: Simulator) => void;
}

/** What {@link simulateOrphans} measured. */
export interface OrphanOutcome extends OrphanReport {
  /** The policy it ran. */
  readonly policy: OrphanPolicy;
  /** The seed it ran with. */
  readonly seed: number;
  /** Calls the clients sent (retries included). */
  readonly requests: number;
  /** Calls that returned a result. */
  readonly completed: number;
  /** Calls given up (an error other than a kill, or too many kills). */
  readonly failed: number;
  /** Calls made again after the server killed them. */
  readonly retries: number;
  /** Messages between machines (calls, replies, kills, epochs, renewals, probes). */
  readonly messages: number;
  /** Among `messages`, those the policy added: kills, epochs, renewals, probes and answers. */
  readonly control: number;
  /** Frames on the simulated wire (acks and retransmissions included). */
  readonly frames: number;
  /** Bytes on the simulated wire. */
  readonly bytes: number;
  /** Retransmitted frames. */
  readonly retransmissions: number;
  /** Writes to stable storage. */
  readonly stableWrites: number;
  /** Latency of each completed call (ms). */
  readonly latencies: readonly number[];
  /** Virtual time at the end (ms). */
  readonly time: number;
  /** Digest of the trace: the same seed gives the same digest. */
  readonly traceDigest: string;
  /** The ledger of every computation. */
  readonly ledger: WorkLedger;
  /** The simulator, for its trace. */
  readonly sim: Simulator;
}

const CONTROL_KINDS = new Set([KILL_KIND, EPOCH_KIND, RENEW_KIND, LOCATE_KIND, ANSWER_KIND]);

function count(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(
      `Cannot simulate orphans: ${name} ${value} must be a whole number >= ${min}`,
    );
  }
  return value;
}

/**
 * Runs the orphan experiment under one policy.
 *
 * @throws {RangeError} for counts that are not whole numbers in range.
 * @example Extermination kills the orphan that `none` leaves running
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateOrphans } from "./orphan_sim.ts";
 * const none = await simulateOrphans({ policy: "none" });
 * const exterminated = await simulateOrphans({ policy: "extermination" });
 * assert.equal(none.orphans, 1);
 * assert.equal(none.killed, 0);
 * assert.equal(exterminated.killed, 1);
 * assert.ok(exterminated.wastedWork < none.wastedWork);
 * ```
 */
export async function simulateOrphans(options: OrphanSimOptions = {}): Promise<OrphanOutcome> {
  const policy = orphanPolicy(options.policy ?? "none");
  const clients = count("clients", options.clients ?? 2, 1);
  const servers = count("servers", options.servers ?? 2, 1);
  const calls = count("calls", options.calls ?? 4, 0);
  const work = count("work", options.work ?? 100, 0);
  const attempts = count("attempts", options.attempts ?? 5, 1);
  const seed = options.seed ?? 1;
  const sim = new Simulator({ ...options.simulator, seed });
  const ledger = new WorkLedger();
  const tally: CallTally = { requests: 0, completed: 0, failed: 0, retries: 0, latencies: [] };
  const addresses = Array.from({ length: servers }, (_, i) => `rpc@s${i + 1}.lab`);
  for (let i = 0; i < servers; i++) {
    sim.machine(`s${i + 1}.lab`).spawn(
      "rpc",
      serveRpc<WorkService>(workService, {
        step: options.step ?? 1,
        policy,
        ledger,
        renewTimeout: options.renewTimeout,
        probeTimeout: options.probeTimeout,
      }),
    );
  }
  const workload: ClientWorkload = {
    policy,
    addresses,
    calls,
    work,
    attempts,
    quantum: options.quantum ?? 20,
    timeout: options.timeout ?? 10_000,
    progress: new Map<string, number>(),
    tally,
  };
  for (let i = 0; i < clients; i++) {
    sim.machine(`c${i + 1}.lab`).spawn("client", orphanClient(i, workload));
  }
  for (const crash of options.crashes ?? DEFAULT_CRASHES) {
    sim.crash(crash.machine, { at: crash.at, restartAt: crash.restartAt });
  }
  options.setup?.(sim);
  const result = await sim.run();
  const { crashes, messages, control } = traceCounts(sim.trace.events);
  return {
    ...ledger.report(crashes),
    policy,
    seed,
    requests: tally.requests,
    completed: tally.completed,
    failed: tally.failed,
    retries: tally.retries,
    messages,
    control,
    frames: sim.stats.frames,
    bytes: sim.stats.bytes,
    retransmissions: sim.trace.count("retransmit"),
    stableWrites: sim.machines().reduce((n, m) => n + sim.disk(m.name).stats().writes, 0),
    latencies: tally.latencies,
    time: result.time,
    traceDigest: sim.trace.digest(),
    ledger,
    sim,
  };
}

/** What the clients' calls came to. */
interface CallTally {
  requests: number;
  completed: number;
  failed: number;
  retries: number;
  readonly latencies: number[];
}

/** What every client of the run shares: the servers, the calls to make, where to count. */
interface ClientWorkload {
  readonly policy: OrphanPolicy;
  readonly addresses: string[];
  readonly calls: number;
  readonly work: number;
  readonly attempts: number;
  readonly quantum: number;
  readonly timeout: number;
  /**
   * Calls done per client machine; outside the machine, so that a restarted client goes on
   * with the call it was in.
   */
  readonly progress: Map<string, number>;
  readonly tally: CallTally;
}

/**
 * Client `index`: makes its calls in turn across the servers, retrying a killed call up to
 * `attempts` times and giving up a call the network or the server lost.
 */
function orphanClient(index: number, w: ClientWorkload): (ctx: ProcessContext) => Promise<void> {
  const { policy, addresses, calls, work, attempts, progress, tally } = w;
  const servers = addresses.length;
  return async (ctx: ProcessContext): Promise<void> => {
    const rpc = await RpcClient.boot(ctx, {
      policy,
      servers: addresses,
      quantum: w.quantum,
    });
    for (
      let done = progress.get(ctx.machine) ?? 0;
      done < calls;
      progress.set(ctx.machine, ++done)
    ) {
      const stub = rpc.stub<WorkService>(addresses[(done + index) % servers], {
        timeout: w.timeout,
      });
      for (let attempt = 1;; attempt++) {
        tally.requests++;
        const started = ctx.now();
        try {
          await stub.crunch(work);
          tally.latencies.push(ctx.now() - started);
          tally.completed++;
          break;
        } catch (error) {
          if (error instanceof RemoteError && error.killed && attempt < attempts) {
            tally.retries++;
            continue;
          }
          // A call fails by a remote error, a lost server or one not there: counted, not a bug.
          if (
            !(error instanceof RemoteError || error instanceof TimeoutError ||
              error instanceof UnknownProcessError)
          ) throw error;
          ctx.log(`client: gave up a call: ${error}`);
          tally.failed++;
          break;
        }
      }
    }
  };
}

/** The crashes of the trace, and its messages between machines (and how many were control). */
function traceCounts(
  events: Iterable<TraceEvent>,
): { crashes: MachineCrash[]; messages: number; control: number } {
  const crashes: MachineCrash[] = [];
  let messages = 0, control = 0;
  for (const event of events) {
    if (event.ev === "crash") crashes.push({ machine: event.at, at: event.t });
    if (event.ev !== "send" || event.from === undefined || event.to === undefined) continue;
    if (machineOf(event.from) === machineOf(event.to)) continue;
    messages++;
    if (CONTROL_KINDS.has(event.kind ?? "")) control++;
  }
  return { crashes, messages, control };
}
