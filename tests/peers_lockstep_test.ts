/**
 * Lockstep stages (seed 004, "modelo peer-to-peer": in a parallel simulation the entities
 * synchronise and exchange information at the end of each stage): heat diffusion split across
 * 1 to 6 ranks gives exactly the numbers of the single-process computation.
 * @module
 */
import { diffuseDistributed, diffuseSequential, splitBlocks } from "../peers/heat_diffusion.ts";
import { lockstep } from "../peers/lockstep.ts";
import { simulateSpmd } from "../peers/spmd.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

Deno.test("diffuseDistributed() equals diffuseSequential() for 1 to 6 ranks and uneven blocks", async () => {
  const rods = [
    Array.from({ length: 17 }, (_, i) => (i % 5 === 0 ? 100 : i)),
    [3, 1, 4, 1, 5, 9, 2, 6],
  ];
  for (const rod of rods) {
    for (let n = 1; n <= Math.min(6, rod.length); n++) {
      const options = { steps: 25, alpha: 0.3, boundary: 10 };
      const { reports } = await simulateSpmd(
        (comm) => diffuseDistributed(comm, rod, options),
        { size: n, seed: n },
      );
      assertEquals(reports[0]?.result, diffuseSequential(rod, options), `n=${n}`);
      for (let r = 1; r < n; r++) assertEquals(reports[r]?.ok, true);
    }
  }
});

/** When each rank finished each stage, with rank 0's outgoing links slow (20 ms). */
async function stageTimes(barrier: boolean): Promise<number[][]> {
  const at: number[][] = [[], [], [], []];
  await simulateSpmd((comm) =>
    lockstep(comm, 0, {
      stages: 5,
      barrier,
      edges: (v) => ({ left: v, right: v }),
      step: (v, halo) => v + (halo.left ?? 0) + (halo.right ?? 0) + 1,
      onStage: (stage) => at[comm.rank][stage] = comm.ctx.now(),
    }), {
    size: 4,
    simulator: { latency: { kind: "constant", ms: 1 } },
    setup: (sim) => {
      for (let r = 1; r < 4; r++) {
        sim.link("rank0.lab", `rank${r}.lab`, { latency: { kind: "constant", ms: 20 } });
      }
    },
  });
  return at;
}

/** Whether some rank finished stage s + 1 before another had finished stage s. */
function ranAhead(at: number[][]): boolean {
  for (let stage = 1; stage < 5; stage++) {
    const previousEnds = Math.max(...at.map((t) => t[stage - 1]));
    if (Math.min(...at.map((t) => t[stage])) < previousEnds) return true;
  }
  return false;
}

Deno.test("lockstep() meets at a barrier every stage: no rank runs ahead of a slow one", async () => {
  assertTrue(!ranAhead(await stageTimes(true)));
  // Without the barrier, the rank far from the slow one runs ahead.
  assertTrue(ranAhead(await stageTimes(false)));
});

Deno.test("splitBlocks() covers every cell once with sizes differing by at most one", () => {
  for (let n = 1; n <= 30; n++) {
    for (let parts = 1; parts <= n; parts++) {
      const blocks = splitBlocks(n, parts);
      assertEquals(blocks[0][0], 0);
      assertEquals(blocks.at(-1)![1], n);
      const sizes = blocks.map(([a, b]) => b - a);
      assertTrue(Math.max(...sizes) - Math.min(...sizes) <= 1);
      blocks.slice(1).forEach(([a], i) => assertEquals(a, blocks[i][1]));
    }
  }
});
