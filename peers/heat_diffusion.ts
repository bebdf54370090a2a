/**
 * The lockstep demo: heat diffusing along a rod, split into blocks across ranks. Each stage a
 * cell moves towards the mean of its neighbours (the explicit scheme
 * `u + alpha * (left - 2u + right)`); the rod's ends touch a bath at a fixed temperature. The
 * distributed run gives exactly the numbers of the sequential one.
 * @module
 */
import { lockstep } from "./lockstep.ts";
import type { Communicator } from "./mpi_communicator.ts";

/** Options of the diffusion. */
export interface HeatOptions {
  /** Stages (time steps). */
  readonly steps: number;
  /** Diffusion number; the scheme is stable up to 0.5. @default 0.25 */
  readonly alpha?: number;
  /** Temperature of the bath at both ends of the rod. @default 0 */
  readonly boundary?: number;
}

/**
 * One time step of `cells`, given the temperatures just outside them.
 *
 * @example One step
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatStep } from "./heat_diffusion.ts";
 * assert.deepEqual(heatStep([0, 4, 0], 0, 0, 0.25), [1, 2, 1]);
 * ```
 */
export function heatStep(
  cells: readonly number[],
  left: number,
  right: number,
  alpha: number,
): number[] {
  const n = cells.length;
  const next = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const l = i === 0 ? left : cells[i - 1];
    const r = i === n - 1 ? right : cells[i + 1];
    const u = cells[i];
    next[i] = u + alpha * (l - 2 * u + r);
  }
  return next;
}

/**
 * The whole rod in one process: the reference result.
 *
 * @example Heat spreads and leaks into the bath
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffuseSequential } from "./heat_diffusion.ts";
 * const rod = diffuseSequential([0, 0, 100, 0, 0], { steps: 10 });
 * assert.ok(rod[2] < 100 && rod[0] > 0);
 * assert.equal(rod[0], rod[4]);
 * ```
 */
export function diffuseSequential(initial: readonly number[], options: HeatOptions): number[] {
  const { alpha, boundary } = check(initial, options, 1);
  let cells = [...initial];
  for (let s = 0; s < options.steps; s++) cells = heatStep(cells, boundary, boundary, alpha);
  return cells;
}

/**
 * Splits `n` cells into `parts` contiguous blocks whose sizes differ by at most one.
 *
 * @example Ten cells over three ranks
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitBlocks } from "./heat_diffusion.ts";
 * assert.deepEqual(splitBlocks(10, 3), [[0, 4], [4, 7], [7, 10]]);
 * ```
 */
export function splitBlocks(n: number, parts: number): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let p = 0; p < parts; p++) {
    const size = Math.floor(n / parts) + (p < n % parts ? 1 : 0);
    out.push([start, start + size]);
    start += size;
  }
  return out;
}

/**
 * The rod split across the ranks of `comm`: rank 0 scatters the blocks, every rank runs the
 * stages in lockstep with its neighbours, rank 0 gathers the result (other ranks get `undefined`).
 *
 * @throws {RangeError} when the rod has fewer cells than there are ranks.
 * @example Four ranks give the sequential result
 * ```ts
 * import assert from "node:assert/strict";
 * import { diffuseDistributed, diffuseSequential } from "./heat_diffusion.ts";
 * import { simulateSpmd } from "./spmd.ts";
 * const rod = [0, 10, 50, 100, 50, 10, 0, 0, 30];
 * const { reports } = await simulateSpmd((comm) => diffuseDistributed(comm, rod, { steps: 20 }), { size: 4 });
 * assert.deepEqual(reports[0]?.result, diffuseSequential(rod, { steps: 20 }));
 * ```
 */
export async function diffuseDistributed(
  comm: Communicator,
  initial: readonly number[],
  options: HeatOptions,
): Promise<number[] | undefined> {
  const { alpha, boundary } = check(initial, options, comm.size);
  const blocks = comm.rank === 0
    ? splitBlocks(initial.length, comm.size).map(([a, b]) => initial.slice(a, b))
    : undefined;
  const mine = await comm.scatter(blocks);
  const final = await lockstep<number[], number>(comm, mine, {
    stages: options.steps,
    edges: (cells) => ({ left: cells[0], right: cells[cells.length - 1] }),
    step: (cells, halo) => heatStep(cells, halo.left ?? boundary, halo.right ?? boundary, alpha),
  });
  const all = await comm.gather(final);
  return all?.flat();
}

function check(
  initial: readonly number[],
  options: HeatOptions,
  ranks: number,
): { alpha: number; boundary: number } {
  if (!Number.isInteger(options.steps) || options.steps < 0) {
    throw new RangeError(`Cannot diffuse: steps ${options.steps} must be a whole number >= 0`);
  }
  if (initial.length < ranks) {
    throw new RangeError(
      `Cannot diffuse: a rod of ${initial.length} cells cannot be split across ${ranks} ranks; ` +
        "give at least one cell per rank",
    );
  }
  return { alpha: options.alpha ?? 0.25, boundary: options.boundary ?? 0 };
}
