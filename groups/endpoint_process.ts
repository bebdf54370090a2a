/**
 * The endpoint process: runs a {@link GroupEndpoint} for one member of one group on the member's
 * machine. It receives from the network and from its member, heartbeats on a timer, hands
 * deliveries and views to the member as local messages, and writes one trace line per delivery
 * for the order checker. `joinGroup` spawns it; user code does not start it directly.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { type EndpointEffect, GroupEndpoint, type GroupEndpointOptions } from "./endpoint.ts";
import { DELIVERY_LOG, END_LOG, type GroupWire, VIEW_LOG } from "./types.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";

/** Options of {@link groupEndpoint}. */
export interface GroupEndpointProcessOptions extends GroupEndpointOptions {
  /** Ms between heartbeats to the membership service. @default 50 */
  readonly heartbeat?: number;
  /**
   * Write a trace line per delivery, view and end (`group-deliver`, `group-view`, `group-end`:
   * what the order and view checkers read). @default true
   */
  readonly traceDeliveries?: boolean;
}

async function sendQuietly(ctx: ProcessContext, to: string, body: GroupWire): Promise<boolean> {
  try {
    await ctx.send(to, body);
    return true;
  } catch (error) {
    if (error instanceof UnknownProcessError) return false;
    throw error;
  }
}

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
    const state = new GroupEndpoint({ ...options, incarnation });
    const { member, group } = state;
    const trace = (prefix: string, fields: Record<string, unknown>): void => {
      if (traceDeliveries) {
        ctx.log(prefix + JSON.stringify({ group, member, incarnation, ...fields }));
      }
    };
    const perform = async (effects: EndpointEffect[]): Promise<void> => {
      for (let i = 0; i < effects.length; i++) {
        const effect = effects[i];
        switch (effect.kind) {
          case "send":
            await sendQuietly(ctx, effect.to, effect.body);
            break;
          case "reply":
            await ctx.reply(effect.request, effect.body);
            break;
          case "deliver": {
            const d = effect.delivery;
            trace(DELIVERY_LOG, {
              id: d.id,
              stream: d.stream,
              index: d.index,
              hb: d.hb,
              gseq: d.gseq,
              view: d.view,
            });
            const ok = await sendQuietly(ctx, member, { kind: "g-deliver", delivery: d });
            if (!ok) effects.push(...state.leave());
            break;
          }
          case "view":
            trace(VIEW_LOG, {
              view: effect.view.id,
              members: effect.view.members,
              incarnations: effect.view.incarnations,
              lineage: effect.view.lineage,
            });
            if (
              !await sendQuietly(ctx, member, {
                kind: "g-view",
                view: effect.view,
                order: effect.order,
                closed: effect.closed,
              })
            ) {
              effects.push(...state.leave());
            }
            break;
          case "end":
            trace(END_LOG, { reason: effect.reason });
            await sendQuietly(ctx, member, {
              kind: "g-closed",
              reason: effect.reason,
              message: effect.message,
            });
            break;
        }
      }
    };
    await perform(state.start(ctx.now()));
    let nextBeat = ctx.now() + heartbeat;
    while (!state.ended) {
      let effects: EndpointEffect[] = [];
      const wait = nextBeat - ctx.now();
      // A wait that ran its full length makes the beat due, even on a clock that runs slow (it
      // would fall short of nextBeat, and ever shorter waits would follow).
      let waited = wait <= 0;
      if (wait > 0) {
        try {
          effects = state.receive(await ctx.receive({ timeout: wait }), ctx.now());
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          waited = true;
        }
      }
      if (waited || ctx.now() >= nextBeat) {
        effects.push(...state.tick(ctx.now()));
        nextBeat = ctx.now() + heartbeat;
      }
      await perform(effects);
    }
  };
}
