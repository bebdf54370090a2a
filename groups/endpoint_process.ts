/**
 * The endpoint process: runs the {@link GroupEndpoint} protocol with core's `drive()` for one
 * member of one group on the member's machine. It receives from the network and from its member,
 * heartbeats on the protocol's deadline, hands deliveries and views to the member as local
 * messages, and writes one trace line per delivery for the order checker. `joinGroup` spawns
 * it; user code does not start it directly.
 * @module
 */
import { drive } from "../core/protocol/drive.ts";
import { GroupEndpoint, type GroupEndpointOptions } from "./endpoint.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";

/** Options of {@link groupEndpoint}: those of the {@link GroupEndpoint} protocol. */
export type GroupEndpointProcessOptions = GroupEndpointOptions;

/**
 * The endpoint's process code.
 *
 * @example Members of a group started by hand (joinGroup does this for you)
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupEndpoint } from "./endpoint_process.ts";
 * const fn = groupEndpoint({ group: "chat", member: "a@m1.lab", manager: "groups@g0.lab" });
 * assert.equal(typeof fn, "function");
 * ```
 */
export function groupEndpoint(options: GroupEndpointProcessOptions): ProcessFn {
  const heartbeat = options.heartbeat ?? 50;
  if (!(heartbeat > 0)) {
    throw new RangeError(`Cannot start group endpoint: heartbeat ${heartbeat} must be above 0 ms`);
  }
  const traceDeliveries = options.traceDeliveries ?? true;
  return async (ctx: ProcessContext): Promise<void> => {
    // A fresh token per endpoint: a restarted or rejoining member is a new incarnation.
    const incarnation = options.incarnation ??
      Math.floor(ctx.random() * 2 ** 32).toString(36).padStart(7, "0");
    const endpoint = new GroupEndpoint({ ...options, heartbeat, traceDeliveries, incarnation });
    // A member that is gone cannot be given its deliveries: the endpoint leaves for it. Other
    // processes gone from this machine are left to the protocol's timeouts.
    const unreachable = (to: string): void => {
      if (to === endpoint.member) endpoint.memberGone();
    };
    await drive(ctx, endpoint, { unreachable });
  };
}
