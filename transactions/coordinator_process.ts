/**
 * The coordinator process (transaction manager): hands out transaction ids (BEGIN) and runs
 * two-phase commit (END) with its decision log in stable storage: the {@link CommitCoordinator}
 * protocol run by core's `drive()`.
 * @module
 */
import type { ProcessFn } from "../core/process.ts";
import { drive } from "../core/protocol/drive.ts";
import { persistTo } from "./_persist.ts";
import { storageOpener } from "./_open_storage.ts";
import { numberOption } from "./_options.ts";
import { CommitCoordinator, type CommitCoordinatorOptions } from "./commit_coordinator.ts";
import { failpointFlag, FAILPOINTS } from "./failpoint.ts";
import type { StorageOptions } from "./stable_storage.ts";

/**
 * Options of {@link transactionCoordinator}: the protocol's timers and failpoint, and where the
 * decision log is (the machine's disk by default, `store`, a SQLite `path`, or a PostgreSQL `url`).
 */
export interface CoordinatorOptions
  extends Omit<CommitCoordinatorOptions, "failpointFired">, StorageOptions {
  /** How long the coordinator pauses at its failpoint (for the harness to crash it). @default 5000 */
  readonly failpointMs?: number;
}

/**
 * The coordinator. Its stable storage is a store on its machine's disk (`ctx.disk`), which
 * survives crashes and restarts of the machine (or one opened from `store`, `path` or `url`
 * once per process function, kept across restarts, which run the same function again); each start
 * is a new incarnation, which makes transaction ids unique across crashes. With `url` the
 * decision log lives in PostgreSQL, in rows keyed by the coordinator's address (real sockets
 * only).
 *
 * @example Two participants commit together
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { transactionCoordinator } from "./coordinator_process.ts";
 * import { transactionParticipant } from "./participant_process.ts";
 * import { TransactionClient } from "./transaction_client.ts";
 * const sim = new Simulator({ seed: 2 });
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * sim.machine("p1.lab").spawn("bank", transactionParticipant({ initial: { a: 10 } }));
 * sim.machine("p2.lab").spawn("bank", transactionParticipant({ initial: { b: 0 } }));
 * let outcome = "";
 * sim.machine("c1.lab").spawn("c", async (ctx) => {
 *   const tx = new TransactionClient(ctx, { coordinator: "tm@coord.lab" });
 *   await tx.begin();
 *   const a = await tx.read<number>("bank@p1.lab", "a");
 *   await tx.write("bank@p1.lab", "a", a! - 4);
 *   await tx.write("bank@p2.lab", "b", 4);
 *   outcome = await tx.end();
 * });
 * await sim.run();
 * assert.equal(outcome, "committed");
 * ```
 */
export function transactionCoordinator(options: CoordinatorOptions = {}): ProcessFn {
  const owner = "the transaction coordinator";
  const open = storageOpener(owner, options);
  const failpointMs = numberOption(owner, "failpointMs", options.failpointMs, 5000);
  if (options.failpoint !== undefined && !FAILPOINTS.includes(options.failpoint)) {
    throw new TypeError(
      `Cannot start ${owner}: failpoint ${JSON.stringify(options.failpoint)} must be one of ${
        FAILPOINTS.join(", ")
      }`,
    );
  }
  const smOptions: CommitCoordinatorOptions = {
    voteTimeoutMs: numberOption(owner, "voteTimeoutMs", options.voteTimeoutMs, 500, 1),
    retryMs: numberOption(owner, "retryMs", options.retryMs, 100, 1),
    maxRetryMs: numberOption(owner, "maxRetryMs", options.maxRetryMs, 1000, 1),
    pushAttempts: numberOption(owner, "pushAttempts", options.pushAttempts, 6, 1),
    failpoint: options.failpoint,
  };
  return async (ctx) => {
    const opened = open(ctx);
    const store = opened instanceof Promise ? await opened : opened;
    const next = store.nextIncarnation();
    const incarnation = next instanceof Promise ? await next : next;
    const fired = smOptions.failpoint !== undefined &&
      store.meta(failpointFlag(smOptions.failpoint)) !== undefined;
    const tm = new CommitCoordinator(ctx.self, incarnation, store.log(), {
      ...smOptions,
      failpointFired: fired,
    });
    await drive(ctx, tm, { persist: persistTo(ctx, store, failpointMs) });
  };
}
