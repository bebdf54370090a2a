/**
 * Communication through transactions (seed 004 §2.4): BEGIN_TRANSACTION, READ, WRITE,
 * END_TRANSACTION and ABORT_TRANSACTION across processes, all or nothing.
 *
 * - Participants ({@link transactionParticipant}) own a key-value store with a write-ahead log
 *   in stable storage ({@link StableStore}, on the machine's disk; or {@link PostgresStableStore} given a
 *   `postgres://` URL, on real sockets), a private workspace per transaction and
 *   strict two-phase locks, no-wait ({@link LockTable}: a conflict aborts the requester).
 * - The coordinator ({@link transactionCoordinator}) runs two-phase commit and forces its
 *   decision to its log before phase 2 ({@link CommitCoordinator}); presumed abort.
 * - A participant that voted yes blocks, holding its locks, until it hears the decision; when
 *   the coordinator crashed after the votes it asks again until the coordinator restarts and
 *   answers from its log (no decision logged: abort). Failpoints ({@link Failpoint}) put the
 *   crash exactly there.
 * - Clients use {@link TransactionClient}; {@link checkAtomicity} audits the outcome.
 *
 * @example A transfer commits at both participants
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { StableStore, TransactionClient, transactionCoordinator, transactionParticipant } from "./mod.ts";
 * const sim = new Simulator({ seed: 5 });
 * const p1 = new StableStore(), p2 = new StableStore();
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * sim.machine("p1.lab").spawn("bank", transactionParticipant({ store: p1, initial: { alice: 100 } }));
 * sim.machine("p2.lab").spawn("bank", transactionParticipant({ store: p2, initial: { bob: 0 } }));
 * sim.machine("c1.lab").spawn("c", async (ctx) => {
 *   const tx = new TransactionClient(ctx, { coordinator: "tm@coord.lab" });
 *   await tx.begin();
 *   const alice = (await tx.read<number>("bank@p1.lab", "alice"))!;
 *   await tx.write("bank@p1.lab", "alice", alice - 30);
 *   await tx.write("bank@p2.lab", "bob", 30);
 *   await tx.end();
 * });
 * await sim.run();
 * assert.deepEqual([p1.get("alice"), p2.get("bob")], [70, 30]);
 * ```
 * @module
 */
export type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
export * from "./messages.ts";
export * from "./transaction_errors.ts";
export * from "./log_records.ts";
export * from "./log_scan.ts";
export * from "./stable_storage.ts";
export * from "./stable_store.ts";
export * from "./postgres_stable_store.ts";
export * from "./lock_table.ts";
export * from "./stable_write.ts";
export * from "./failpoint.ts";
export * from "./resource_manager.ts";
export * from "./participant_process.ts";
export * from "./commit_coordinator.ts";
export * from "./coordinator_process.ts";
export * from "./transaction_client.ts";
export * from "./transfer_client.ts";
export * from "./atomicity_check.ts";
export * from "./audit.ts";
export * from "./programs.ts";
