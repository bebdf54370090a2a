/**
 * How a real deployment runs until its workload is done: it ends early on a failure or Ctrl-C,
 * and after a machine died for good once the others are done, idle or stuck; then every
 * machine is asked for its last counters.
 * @module
 */
import { keepTrace } from "./deploy.ts";
import type { Cluster } from "./_cluster.ts";
import { InterruptedError, MachineLostError } from "./run_errors.ts";
import { partialSummary } from "./_partial_summary.ts";
import { askStats } from "./_cluster_ops.ts";
import { LOST_QUIET, LOST_STALL, STOP_WAIT } from "./_cluster.ts";

/**
 * Runs until `done` settles, a failure, Ctrl-C, or (after a machine died for good) the
 * others are done, idle or stuck (unless `waitOnLoss`: the caller ends the run itself); then
 * asks every machine for its last counters.
 */
export async function runCluster(
  cluster: Cluster,
  done: Promise<unknown>,
  options: { readonly waitOnLoss?: boolean } = {},
): Promise<void> {
  cluster.waitOnLoss = options.waitOnLoss === true;
  let settled = false;
  done.then(() => settled = true, () => settled = true);
  const since = cluster.runTime();
  const gone = Promise.withResolvers<void>();
  // After a machine died for good, the others may be done, idle, or stuck trying it.
  const lostWatch = setInterval(() => {
    if (cluster.lost.length === 0 || cluster.waitOnLoss) return;
    const from = Math.max(since, cluster.lost[cluster.lost.length - 1].time, cluster.delivered);
    if (cluster.quietFor() >= LOST_QUIET || cluster.runTime() - from >= LOST_STALL) gone.resolve();
  }, 100);
  try {
    await Promise.race([done, cluster.alarm.promise, gone.promise]);
    for (let i = 0; i < 8 && !settled; i++) await null;
    if (cluster.interrupted !== undefined) {
      cluster.order.flush();
      throw new InterruptedError(cluster.interrupted.time, partialSummary(cluster.trace));
    }
    if (cluster.failure !== undefined) {
      cluster.thrown = true;
      throw cluster.failure;
    }
    if (!settled) {
      cluster.order.flush();
      throw new MachineLostError([...cluster.lost], cluster.runTime());
    }
    await done;
  } catch (error) {
    cluster.order.flush();
    await keepTrace(cluster.trace, cluster.options.traceFile, "wall");
    throw error;
  } finally {
    clearInterval(lostWatch);
    // A machine that has exited (stopped by its own Ctrl-C) sent its last counters before
    // it went; one that does not answer in time keeps the counters it reported last.
    await askStats(cluster.nodes.values(), STOP_WAIT);
    cluster.order.flush();
  }
}
