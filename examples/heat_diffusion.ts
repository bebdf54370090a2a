/**
 * Lockstep stages across ranks: heat diffusing along a rod of 24 cells, split into one block per
 * rank. Every stage each rank updates its block, swaps boundary cells with its neighbours and
 * meets the others at a barrier. Rank 0 prints the rod and checks it against a single-process
 * run:
 *
 *     deno task lab spmd -n 4 examples/heat_diffusion.ts
 *
 * @module
 */
import { type Communicator, diffuseDistributed, diffuseSequential } from "../peers/mod.ts";

const ROD = Array.from({ length: 24 }, (_, i) => (i >= 10 && i < 14 ? 100 : 0));
const STEPS = 40;

/**
 * Runs on every rank; rank 0 returns whether the result equals the sequential one.
 *
 * @example In the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateSpmd } from "../peers/mod.ts";
 * import heat from "./heat_diffusion.ts";
 * const { reports } = await simulateSpmd(heat, { size: 3 });
 * assert.equal(reports[0]?.result, true);
 * ```
 */
export default async function heat(comm: Communicator): Promise<boolean | undefined> {
  const rod = await diffuseDistributed(comm, ROD, { steps: STEPS });
  if (rod === undefined) return undefined;
  const same = JSON.stringify(rod) === JSON.stringify(diffuseSequential(ROD, { steps: STEPS }));
  const shades = " .:-=+*#%@";
  const line = rod.map((t) => shades[Math.min(9, Math.floor(t / 10))]).join("");
  console.log(`rod after ${STEPS} steps on ${comm.size} ranks: [${line}]`);
  console.log(`equals the single-process result: ${same}`);
  return same;
}
