/**
 * The first SPMD program, after the mpi4py example of the lecture: rank 0 sends "Waku Waku" to
 * rank 1, and rank 1 prints it. Run it as two OS processes, the way `mpiexec -n 2` would:
 *
 *     deno task lab spmd -n 2 examples/waku_waku.ts
 *
 * @module
 */
import type { Communicator } from "../peers/mod.ts";

/**
 * Runs on every rank; what it does depends on the rank.
 *
 * @example In the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateSpmd } from "../peers/mod.ts";
 * import wakuWaku from "./waku_waku.ts";
 * const { reports } = await simulateSpmd(wakuWaku, { size: 2 });
 * assert.equal(reports[1]?.result, "Waku Waku");
 * ```
 */
export default async function wakuWaku(comm: Communicator): Promise<string | undefined> {
  if (comm.rank === 0) {
    console.log("Process 0 sends a message");
    await comm.send(1, "Waku Waku");
  } else if (comm.rank === 1) {
    const message = await comm.recv<string>(0);
    console.log(`Process 1 received: ${message}`);
    return message;
  }
  return undefined;
}
