/**
 * The participant process (a resource manager): owns a key-value store with a write-ahead log in
 * stable storage and runs the {@link ResourceManager} protocol over it with core's `drive()`.
 * @module
 */
import type { ProcessFn } from "../core/process.ts";
import { drive } from "../core/protocol/drive.ts";
import { persistTo } from "./_persist.ts";
import { storageOpener } from "./_open_storage.ts";
import { numberOption } from "./_options.ts";
import { ResourceManager, type ResourceManagerOptions } from "./resource_manager.ts";
import type { StorageOptions } from "./stable_storage.ts";

/**
 * Options of {@link transactionParticipant}: the protocol's timers, and where stable storage
 * is (the machine's disk by default, `store`, a SQLite `path`, or a PostgreSQL `url`).
 */
export interface ParticipantOptions extends ResourceManagerOptions, StorageOptions {
  /** Values written on the very first boot (an empty store). @default {} */
  readonly initial?: Readonly<Record<string, unknown>>;
}

/**
 * A participant. Its stable storage is a store on its machine's disk (`ctx.disk`), which
 * survives crashes and restarts of the machine (or one opened from `store`, `path` or `url`
 * once per process function, kept across restarts, which run the same function again). With
 * `url` it lives in PostgreSQL, in rows keyed by the participant's address (real sockets
 * only: in the simulator the process fails at start, saying so).
 *
 * @example A committed write is visible to a peek
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { transactionCoordinator } from "./coordinator_process.ts";
 * import { transactionParticipant } from "./participant_process.ts";
 * import { TransactionClient } from "./transaction_client.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * sim.machine("p1.lab").spawn("bank", transactionParticipant({ initial: { alice: 10 } }));
 * let seen: unknown;
 * sim.machine("c1.lab").spawn("c", async (ctx) => {
 *   const tx = new TransactionClient(ctx, { coordinator: "tm@coord.lab" });
 *   await tx.begin();
 *   await tx.write("bank@p1.lab", "alice", 7);
 *   assert.equal(await tx.end(), "committed");
 *   seen = (await ctx.request<{ value: unknown }>("bank@p1.lab", { kind: "tx-peek", key: "alice" })).body.value;
 * });
 * await sim.run();
 * assert.equal(seen, 7);
 * ```
 */
export function transactionParticipant(options: ParticipantOptions = {}): ProcessFn {
  const owner = "a transaction participant";
  const open = storageOpener(owner, options);
  const rmOptions: ResourceManagerOptions = {
    activeTimeoutMs: numberOption(owner, "activeTimeoutMs", options.activeTimeoutMs, 1000, 1),
    queryMs: numberOption(owner, "queryMs", options.queryMs, 200, 1),
    maxQueryMs: numberOption(owner, "maxQueryMs", options.maxQueryMs, 1000, 1),
  };
  const initial = options.initial ?? {};
  if (typeof initial !== "object" || initial === null || Array.isArray(initial)) {
    throw new TypeError(
      `Cannot start ${owner}: option initial ${JSON.stringify(initial)} must be an object`,
    );
  }
  return async (ctx) => {
    const opened = open(ctx);
    const store = opened instanceof Promise ? await opened : opened;
    const first = Object.keys(initial).length > 0 ? store.initialize(initial) : false;
    if (first instanceof Promise ? await first : first) {
      ctx.log(`first boot: ${Object.keys(initial).length} keys in stable storage`);
    }
    const rm = new ResourceManager(store, rmOptions);
    await drive(ctx, rm, { persist: persistTo(ctx, store, 0) });
  };
}
