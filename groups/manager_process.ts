/**
 * The membership service as a process: one per system (conventionally `groups@g0.lab`), running
 * the {@link Membership} protocol with core's `drive()`. It waits without a timer while no group has members, so a simulation
 * whose groups are empty goes quiet. While it is down, groups keep multicasting in their current
 * view but cannot change membership; when it restarts, it takes them up again from the members'
 * heartbeats (see `recoverFor`).
 * @module
 */
import { Membership, type MembershipOptions } from "./membership.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { drive } from "../core/protocol/drive.ts";

/** Options of {@link groupManager}: those of {@link Membership}, `check` among them. */
export type GroupManagerOptions = MembershipOptions;

/**
 * The membership service's process code.
 *
 * @example A group created, joined and listed in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { groupManager } from "./manager_process.ts";
 * import { GroupClient } from "./group.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("g0.lab").spawn("groups", groupManager());
 * let members: readonly string[] = [];
 * sim.machine("m1.lab").spawn("alice", async (ctx) => {
 *   const groups = new GroupClient(ctx);
 *   await groups.create("chat", { order: "fifo" });
 *   const chat = await groups.join("chat");
 *   members = chat.view.members;
 *   await chat.leave();
 * });
 * await sim.run();
 * assert.deepEqual(members, ["alice@m1.lab"]);
 * ```
 */
export function groupManager(options: GroupManagerOptions = {}): ProcessFn {
  const check = options.check ?? 50;
  if (!(check > 0)) {
    throw new RangeError(`Cannot start group manager: check ${check} must be above 0 ms`);
  }
  return async (ctx: ProcessContext): Promise<void> => {
    // A fresh token per run of the service: the groups it creates are told apart from those
    // an earlier run created (see MembershipOptions.incarnation).
    const incarnation = options.incarnation ??
      Math.floor(ctx.random() * 2 ** 32).toString(36).padStart(7, "0");
    await drive(ctx, new Membership({ ...options, check, incarnation }));
  };
}
