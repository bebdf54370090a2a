/**
 * Runs the sync loop in the deterministic simulator and measures convergence: n peers on n
 * machines, a client that writes at random peers at time 0, optional churn and faults, and a
 * {@link ConvergenceTracker} fed by the peers' reports in process (no report messages). Used by
 * the tests and the benchmark; the lab runs the same peers through its deployer.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { planChurn } from "./churn.ts";
import { type ConvergenceStatus, ConvergenceTracker } from "./convergence.ts";
import { gossipPeer, type GossipPeerOptions } from "./gossip_process.ts";

/** Options of {@link simulateGossip}. */
export interface GossipSimOptions
  extends
    Omit<GossipPeerOptions, "peers" | "report" | "monitor" | "joinAt" | "leaveAt" | "announce"> {
  /** Number of initial peers. @default 20 */
  readonly peers?: number;
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** Updates written at time 0, each at a random peer (`put k<i>`). @default 1 */
  readonly writes?: number;
  /** Indexes of the peers that get the writes, instead of random ones. @default random */
  readonly targets?: readonly number[];
  /** Simulator settings other than the seed (faults, latency, trace, wire). @default {} */
  readonly simulator?: Omit<SimulatorOptions, "seed">;
  /** Churn: chance per round that a peer leaves (half crash), replaced by a new one. @default 0 */
  readonly churn?: number;
  /** Rounds of churn, from round 1. @default 5 */
  readonly churnRounds?: number;
  /** Convergence only counts from this time on (after the faults healed). @default end of churn */
  readonly settleAt?: number;
  /** Schedules faults before the run: crashes, partitions, link faults. @default none */
  readonly setup?: (sim: Simulator, machines: readonly string[]) => void;
  /** Gives up after this many rounds. @default 200 */
  readonly maxRounds?: number;
}

/** What {@link simulateGossip} measured. */
export interface GossipOutcome extends ConvergenceStatus {
  /** The seed it ran with. */
  readonly seed: number;
  /** Initial peers. */
  readonly peers: number;
  /** Rounds simulated. */
  readonly simulatedRounds: number;
  /** Virtual time at the end (ms). */
  readonly time: number;
  /** Frames on the simulated wire (acks and retransmissions included). */
  readonly frames: number;
  /** Writes the client could not make. */
  readonly failedWrites: number;
  /** The simulator, for its trace and counters. */
  readonly sim: Simulator;
}

/**
 * Address of initial or joining peer `i` (0-based): process `peer` on machine `p<i>.lab`.
 *
 * @example The first peer
 * ```ts
 * import assert from "node:assert/strict";
 * import { peerAddress } from "./gossip_sim.ts";
 * assert.equal(peerAddress(0), "peer@p0.lab");
 * ```
 */
export function peerAddress(i: number): string {
  return `peer@p${i}.lab`;
}

/**
 * Simulates the sync loop until every live peer holds the same state, or `maxRounds`.
 *
 * @example Push-pull over 50 peers converges in a handful of rounds
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateGossip } from "./gossip_sim.ts";
 * const outcome = await simulateGossip({ peers: 50, mode: "push-pull", seed: 3 });
 * assert.ok(outcome.converged);
 * assert.equal(outcome.live, 50);
 * assert.ok(outcome.rounds <= 15);
 * ```
 */
export async function simulateGossip(options: GossipSimOptions = {}): Promise<GossipOutcome> {
  const n = options.peers ?? 20, seed = options.seed ?? 1;
  const period = options.period ?? 100, maxRounds = options.maxRounds ?? 200;
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot simulate gossip: ${n} peers is not a positive whole number`);
  }
  const sim = new Simulator({ ...options.simulator, seed });
  const tracker = new ConvergenceTracker({ period });
  const peers: string[] = [];
  for (let i = 0; i < n; i++) peers.push(peerAddress(i));
  const base: GossipPeerOptions = {
    ...options,
    peers,
    maxRounds: maxRounds + 2,
    report: (r) => tracker.record(r),
  };
  const plan = planChurn(n, {
    rate: options.churn ?? 0,
    rounds: options.churnRounds ?? 5,
    period,
    seed,
  });
  const leaving = new Map<number, number>();
  for (const d of plan.departures) {
    if (d.crash) sim.crash(`p${d.index}.lab`, { at: d.at });
    else leaving.set(d.index, d.at);
  }
  const shared = gossipPeer(base);
  const machines: string[] = [];
  for (let i = 0; i < n; i++) {
    const leaveAt = leaving.get(i);
    const fn = leaveAt === undefined ? shared : gossipPeer({ ...base, leaveAt });
    machines.push(`p${i}.lab`);
    sim.machine(`p${i}.lab`).spawn("peer", fn);
  }
  for (const a of plan.arrivals) {
    sim.machine(`p${a.index}.lab`).spawn(
      "peer",
      gossipPeer({ ...base, joinAt: a.at, announce: true }),
    );
  }
  options.setup?.(sim, machines);
  let failedWrites = 0;
  const random = sim.machine("ctl.lab").runtime.random;
  const targets: string[] = [];
  if (options.targets) { for (const i of options.targets) targets.push(peerAddress(i)); }
  else {for (let w = 0; w < (options.writes ?? 1); w++) {
      targets.push(peers[Math.floor(random() * n)]);
    }}
  sim.machine("ctl.lab").spawn("writer", writer(targets, () => failedWrites++));
  const settleAt = options.settleAt ?? plan.until;
  let status = tracker.status(0);
  let round = 0;
  while (round < maxRounds) {
    round++;
    await sim.run({ until: round * period + period / 2 });
    status = tracker.status(sim.now);
    if (sim.now < settleAt) continue;
    // Rumour mongering ends when nobody spreads anymore (converged or not).
    if (options.mode === "rumour" ? status.hot === 0 && round > 1 : status.converged) break;
  }
  return {
    ...status,
    seed,
    peers: n,
    simulatedRounds: round,
    time: sim.now,
    frames: sim.stats.frames,
    failedWrites,
    sim,
  };
}

/** A client that puts `k<i>` at `targets[i]`, retrying a few times on a timeout. */
function writer(targets: readonly string[], failed: () => void): ProcessFn {
  return async (ctx: ProcessContext) => {
    for (let i = 0; i < targets.length; i++) {
      let done = false;
      for (let attempt = 0; attempt < 3 && !done; attempt++) {
        try {
          await ctx.request(targets[i], { kind: "put", key: `k${i}`, value: i }, { timeout: 50 });
          done = true;
        } catch (error) {
          // Lost, slow, or the peer is not (yet, or any more) there: try again.
          if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
        }
      }
      if (!done) failed();
    }
  };
}
