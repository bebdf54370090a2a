/**
 * An SPMD program that keeps every rank busy for a while: 3,000 rounds of `allreduce`, so that
 * a test can kill one rank's machine in the middle of the run (rank 0 says when round 100 is
 * done).
 * @module
 */
import type { Communicator } from "../../../peers/mod.ts";

/** Sums the round numbers over every rank, round after round; returns the last sum. */
export default async function rounds(comm: Communicator): Promise<number> {
  let total = 0;
  for (let i = 0; i < 3000; i++) {
    total = await comm.allreduce(i, "sum");
    if (comm.rank === 0 && i === 100) console.log("round 100 done");
  }
  return total;
}
