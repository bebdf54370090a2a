/**
 * The membership service as a process: one per system (conventionally `groups@g0.lab`), driving
 * a {@link Membership}. It waits without a timer while no group has members, so a simulation
 * whose groups are empty goes quiet. While it is down, groups keep multicasting in their current
 * view but cannot change membership; when it restarts, it takes them up again from the members'
 * heartbeats (see `recoverFor`).
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { Membership, type MembershipEffect, type MembershipOptions } from "./membership.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";

/** Options of {@link groupManager}. */
export interface GroupManagerOptions extends MembershipOptions {
  /** Ms between failure-detector checks. @default 50 */
  readonly check?: number;
}

/**
 * The membership service's process code.
 *
 * @example A group created, joined and listed in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { groupManager } from "./manager.ts";
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
    const state = new Membership({ ...options, incarnation });
    const perform = async (effects: MembershipEffect[]): Promise<void> => {
      for (const effect of effects) {
        if (effect.kind === "reply") {
          await ctx.reply(effect.request, effect.body);
          continue;
        }
        try {
          await ctx.send(effect.to, effect.body);
        } catch (error) {
          if (!(error instanceof UnknownProcessError)) throw error;
        }
      }
    };
    let nextCheck = ctx.now() + check;
    for (;;) {
      let effects: MembershipEffect[] = [];
      const wait = state.busy ? nextCheck - ctx.now() : Infinity;
      // A wait that ran its full length makes the check due, even on a clock that runs slow (it
      // would fall short of nextCheck, and ever shorter waits would follow).
      let waited = wait <= 0;
      if (wait > 0) {
        try {
          const env = await ctx.receive(wait === Infinity ? {} : { timeout: wait });
          effects = state.handle(env, ctx.now());
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          waited = true;
        }
      }
      if (!state.busy) {
        nextCheck = ctx.now() + check;
      } else if (waited || ctx.now() >= nextCheck) {
        effects.push(...state.tick(ctx.now()));
        nextCheck = ctx.now() + check;
      }
      await perform(effects);
    }
  };
}
