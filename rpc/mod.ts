/**
 * Remote procedure call (seed 004 §2.3): a process calls a procedure on another machine and is
 * suspended until the result comes back.
 *
 * - Typed stubs ({@link createStub}) and a skeleton ({@link serveRpc}) over the core's
 *   request/reply; remote failures come back as a {@link RemoteError}.
 * - Parameters by value (a JSON copy, even on the same machine) and by copy/restore (`inout`
 *   arguments: the server's final state of the copy is written back over the caller's object).
 * - Orphans (computations whose caller crashed) and the seed's four remedies as policies
 *   ({@link OrphanPolicy}, {@link RpcClient}): extermination (a call log on the machine's disk,
 *   `ctx.disk`), reincarnation (epochs), gentle reincarnation (locate the owner) and
 *   expiration (a quantum that must be renewed); {@link simulateOrphans} measures the wasted work.
 *
 * @example A remote call and its copy/restore argument
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { createStub, serveRpc } from "./mod.ts";
 * interface Tally { add(into: { total: number }, n: number): number }
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("s1.lab").spawn("tally", serveRpc<Tally>(() => ({
 *   add: (into, n) => (into.total += n),
 * })));
 * const mine = { total: 1 };
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   const tally = createStub<Tally>(ctx, "tally@s1.lab", { inout: { add: [0] } });
 *   assert.equal(await tally.add(mine, 2), 3);
 * });
 * await sim.run();
 * assert.deepEqual(mine, { total: 3 });
 * ```
 * @module
 */
export type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
export * from "./messages.ts";
export * from "./errors.ts";
export * from "./orphan_policy.ts";
export * from "./stub.ts";
export * from "./call_scope.ts";
export * from "./work_ledger.ts";
export * from "./call_dispatcher.ts";
export * from "./skeleton_process.ts";
export * from "./rpc_client.ts";
export * from "./work_service.ts";
export * from "./orphan_sim.ts";
