/**
 * Lockstep stages, the peer-to-peer model of a parallel simulation: every rank computes a stage
 * on its own part of the data, exchanges boundary data with its neighbours on a line (rank - 1
 * and rank + 1), meets the others at a barrier, and goes on to the next stage.
 * @module
 */
import type { Communicator } from "./mpi_communicator.ts";

/**
 * The tag of boundary messages (kept apart from a program's own tags, which should stay below it).
 *
 * @example A program's tags stay below it
 * ```ts
 * import assert from "node:assert/strict";
 * import { LOCKSTEP_TAG } from "./lockstep.ts";
 * assert.ok(LOCKSTEP_TAG > 1000);
 * ```
 */
export const LOCKSTEP_TAG = 65_535;

/** Boundary data received from the neighbours; missing at the ends of the line. */
export interface Halo<E> {
  /** From rank - 1. */
  readonly left?: E;
  /** From rank + 1. */
  readonly right?: E;
}

/** Options of {@link lockstep}. */
export interface LockstepOptions<S, E> {
  /** Number of stages. */
  readonly stages: number;
  /** The data this rank gives its left and right neighbours before a stage. */
  edges(state: S): { left: E; right: E };
  /** Computes the next state from this rank's state and its neighbours' edges. */
  step(state: S, halo: Halo<E>, stage: number): S;
  /** Meet at a barrier after every stage. @default true */
  readonly barrier?: boolean;
  /** Called after every stage (progress, tracing). @default none */
  readonly onStage?: (stage: number, state: S) => void;
}

/**
 * Runs `stages` lockstep stages from `state`; returns this rank's final state.
 *
 * @throws {RangeError} when `stages` is not a whole number >= 0.
 * @example Each rank's value becomes the sum of its neighbours' (a line of three ranks)
 * ```ts
 * import assert from "node:assert/strict";
 * import { lockstep } from "./lockstep.ts";
 * import { simulateSpmd } from "./spmd.ts";
 * const { reports } = await simulateSpmd((comm) =>
 *   lockstep(comm, comm.rank + 1, {
 *     stages: 1,
 *     edges: (v) => ({ left: v, right: v }),
 *     step: (_v, halo) => (halo.left ?? 0) + (halo.right ?? 0),
 *   }), { size: 3 });
 * assert.deepEqual(reports.map((r) => r?.result), [2, 4, 2]);
 * ```
 */
export async function lockstep<S, E>(
  comm: Communicator,
  state: S,
  options: LockstepOptions<S, E>,
): Promise<S> {
  const { stages } = options;
  if (!Number.isInteger(stages) || stages < 0) {
    throw new RangeError(`Cannot run lockstep: stages ${stages} must be a whole number >= 0`);
  }
  const left = comm.rank - 1, right = comm.rank + 1;
  const tag = { tag: LOCKSTEP_TAG };
  for (let stage = 0; stage < stages; stage++) {
    const edges = options.edges(state);
    if (left >= 0) await comm.send(left, edges.left, tag);
    if (right < comm.size) await comm.send(right, edges.right, tag);
    const halo: { left?: E; right?: E } = {};
    if (left >= 0) halo.left = await comm.recv<E>(left, tag);
    if (right < comm.size) halo.right = await comm.recv<E>(right, tag);
    state = options.step(state, halo, stage);
    if (options.barrier ?? true) await comm.barrier();
    options.onStage?.(stage, state);
  }
  return state;
}
