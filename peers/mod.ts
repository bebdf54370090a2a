/**
 * The peer-to-peer architecture: one role, every peer runs the same code.
 *
 * - A sync loop ({@link gossipPeer}): random partners each round (push, pull, push-pull, or
 *   rumour mongering), digest first and then only the missing updates, a CRDT state
 *   ({@link Replica}: last-writer-wins map + observed-remove set) whose merges commute, tombstones
 *   that expire, joins, leaves and heartbeat failure suspicion; convergence detected by equal
 *   state hashes ({@link ConvergenceTracker}, {@link simulateGossip}).
 * - Lockstep stages ({@link lockstep}): compute, exchange boundary data, meet at a barrier; with a
 *   heat diffusion demo whose result equals the single-process one.
 * - MPI-style collectives ({@link Communicator}) and SPMD launch ({@link spmdRank}).
 *
 * @example A replicated store converges
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateGossip } from "./mod.ts";
 * const outcome = await simulateGossip({ peers: 30, mode: "push", seed: 2 });
 * assert.ok(outcome.converged);
 * ```
 * @module
 */
export type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
export * from "./replica_records.ts";
export * from "./replica.ts";
export * from "./gossip_messages.ts";
export * from "./gossip.ts";
export * from "./gossip_process.ts";
export * from "./convergence.ts";
export * from "./churn.ts";
export * from "./gossip_sim.ts";
export * from "./mpi_errors.ts";
export * from "./mpi_reduce.ts";
export * from "./mpi_communicator.ts";
export * from "./lockstep.ts";
export * from "./heat_diffusion.ts";
export * from "./spmd.ts";
