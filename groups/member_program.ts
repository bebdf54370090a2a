/**
 * The group programs the lab starts by name: `group-manager` (the membership service) and
 * `group-member` (a member that joins, multicasts a few messages while delivering, waits for
 * everyone's messages, reports its delivery log to a collector, then leaves).
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { type Group, GroupClient } from "./group.ts";
import { GroupError } from "./errors.ts";
import { groupManager } from "./manager_process.ts";
import { DEFAULT_GROUP_MANAGER } from "./name.ts";
import { GROUP_ORDERS, type GroupDelivery, type GroupOrder } from "./types.ts";
import type { ProcessContext, ProcessFn, Program } from "../core/process.ts";
import type { VectorClock } from "../core/vector_clock.ts";

/** Arguments of the `group-member` program. */
export interface GroupMemberArgs {
  /** Group to join (created on first join). @default "lab" */
  readonly group?: string;
  /** Membership service. @default "groups@g0.lab" */
  readonly manager?: string;
  /** Order of the group. @default "none" */
  readonly order?: GroupOrder;
  /** Create the group closed. @default false */
  readonly closed?: boolean;
  /** Members to wait for before multicasting. @default 1 */
  readonly members?: number;
  /** Messages this member multicasts. @default 5 */
  readonly messages?: number;
  /** Largest random pause between two multicasts, in ms (deliveries are taken meanwhile). @default 5 */
  readonly spacing?: number;
  /** Ms without a delivery after which the member stops waiting for more. @default 3000 */
  readonly quiet?: number;
  /** Ms to wait for every member to join. @default 3000 */
  readonly joinTimeout?: number;
  /** Ms of silence from the membership service after which the member's endpoint gives up. @default 2000 */
  readonly managerTimeout?: number;
  /** Ms to wait for the membership service's answer to a join. @default 5000 */
  readonly serviceTimeout?: number;
  /** Where to send the report (kind `report`). @default no report */
  readonly collector?: string;
}

/** One delivery in a member's report. */
export interface GroupMemberDelivery {
  /** Message id. */
  readonly id: string;
  /** Sender's stream and index (ground truth for the checker). */
  readonly stream: string;
  /** Index in the stream. */
  readonly index: number;
  /** Happened-before clock. */
  readonly hb: VectorClock;
  /** Sender's address. */
  readonly sender: string;
  /** Global sequence number (total order). */
  readonly gseq?: number;
  /** Ms from multicast to this delivery. */
  readonly latency: number;
}

/** What a `group-member` reports. */
export interface GroupMemberReport {
  /** Always `report`. */
  readonly kind: "report";
  /** The member. */
  readonly member: string;
  /** Its incarnation, once it joined (a restarted member reports as a new incarnation). */
  readonly incarnation?: string;
  /** Ids of the views it installed. */
  readonly views: number[];
  /** Messages it multicast. */
  readonly multicasts: number;
  /** Its deliveries, in order. */
  readonly deliveries: GroupMemberDelivery[];
  /** Why it stopped early, if it did (`removed`, `disconnected`, a join failure...). */
  readonly ended?: string;
}

function option<T>(args: Readonly<Record<string, unknown>>, name: string, fallback: T): T {
  const value = args[name];
  if (value === undefined) return fallback;
  if (typeof value !== typeof fallback) {
    throw new TypeError(
      `Cannot start group-member: argument ${name} ${
        JSON.stringify(value)
      } must be a ${typeof fallback}`,
    );
  }
  return value as T;
}

type MemberOptions = Required<Omit<GroupMemberArgs, "collector">> & {
  readonly collector: string | undefined;
};

/** The `group-member` arguments, checked, with their defaults. */
function memberOptions(args: Readonly<Record<string, unknown>>): MemberOptions {
  const group = option(args, "group", "lab");
  const manager = option(args, "manager", DEFAULT_GROUP_MANAGER);
  const order = option(args, "order", "none") as GroupOrder;
  if (!GROUP_ORDERS.includes(order)) {
    throw new TypeError(
      `Cannot start group-member: order ${JSON.stringify(order)} is not one of ${
        GROUP_ORDERS.join(", ")
      }`,
    );
  }
  return {
    group,
    manager,
    order,
    closed: option(args, "closed", false),
    members: option(args, "members", 1),
    messages: option(args, "messages", 5),
    spacing: option(args, "spacing", 5),
    quiet: option(args, "quiet", 3000),
    joinTimeout: option(args, "joinTimeout", 3000),
    managerTimeout: option(args, "managerTimeout", 2000),
    serviceTimeout: option(args, "serviceTimeout", 5000),
    collector: args.collector === undefined ? undefined : option(args, "collector", ""),
  };
}

/** A delivery as the member's report lists it. */
function deliveryRecord(d: GroupDelivery): GroupMemberDelivery {
  return {
    id: d.id,
    stream: d.stream,
    index: d.index,
    hb: d.hb,
    sender: d.sender,
    ...(d.gseq === undefined ? {} : { gseq: d.gseq }),
    latency: d.deliveredAt - d.sentAt,
  };
}

/** The report of `member`, joined as `g` (undefined when it never joined). */
function memberReport(
  member: string,
  g: Group | undefined,
  done: {
    readonly multicasts: number;
    readonly deliveries: GroupMemberDelivery[];
    readonly ended: string | undefined;
  },
): GroupMemberReport {
  return {
    kind: "report",
    member,
    ...(g === undefined ? {} : { incarnation: g.incarnation }),
    views: g === undefined ? [] : g.views.map((v) => v.id),
    multicasts: done.multicasts,
    deliveries: done.deliveries,
    ...(done.ended === undefined ? {} : { ended: done.ended }),
  };
}

/**
 * The `group-member` program.
 *
 * @example Two members of a total-order group in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import {
 *   groupMemberProgram,
 *   groupPrograms,
 *   type GroupMemberReport,
 * } from "./member_program.ts";
 * const sim = new Simulator({ seed: 2 });
 * sim.machine("g0.lab").spawn("groups", groupPrograms["group-manager"]({}));
 * const reports: GroupMemberReport[] = [];
 * sim.machine("c.lab").spawn("collector", async (ctx) => {
 *   for (let i = 0; i < 2; i++) reports.push((await ctx.receive<GroupMemberReport>()).body);
 * });
 * for (const m of ["m1.lab", "m2.lab"]) {
 *   const args = { order: "total", members: 2, messages: 3, collector: "collector@c.lab" };
 *   sim.machine(m).spawn("p", groupMemberProgram(args));
 * }
 * await sim.run();
 * assert.deepEqual(reports[0].deliveries.map((d) => d.id), reports[1].deliveries.map((d) => d.id));
 * assert.equal(reports[0].deliveries.length, 6);
 * ```
 */
export function groupMemberProgram(args: Readonly<Record<string, unknown>>): ProcessFn {
  const o = memberOptions(args);
  return async (ctx: ProcessContext): Promise<void> => {
    const deliveries: GroupMemberDelivery[] = [];
    let ended: string | undefined;
    let multicasts = 0;
    let g: Group | undefined;
    const take = async (timeout: number): Promise<boolean> => {
      try {
        const d: GroupDelivery = await g!.deliver({ timeout: Math.max(0, timeout) });
        deliveries.push(deliveryRecord(d));
        return true;
      } catch (error) {
        if (error instanceof TimeoutError) return false;
        if (error instanceof GroupError) {
          ended = error.reason;
          return false;
        }
        throw error;
      }
    };
    try {
      const client = new GroupClient(ctx, { manager: o.manager, timeout: o.serviceTimeout });
      g = await client.join(o.group, {
        create: { order: o.order, closed: o.closed },
        managerTimeout: o.managerTimeout,
      });
      const joinBy = ctx.now() + o.joinTimeout;
      while (g.view.members.length < o.members && ended === undefined && ctx.now() < joinBy) {
        await take(joinBy - ctx.now());
      }
      for (let i = 1; i <= o.messages && ended === undefined; i++) {
        await g.multicast({ kind: "chat", n: i });
        multicasts++;
        const pause = ctx.now() + ctx.random() * o.spacing;
        while (ended === undefined && ctx.now() < pause && await take(pause - ctx.now()));
      }
      const expected = o.members * o.messages;
      while (ended === undefined && deliveries.length < expected && await take(o.quiet));
    } catch (error) {
      if (!(error instanceof GroupError || error instanceof TimeoutError)) throw error;
      ended = error instanceof GroupError ? error.reason : "timeout";
    }
    if (o.collector !== undefined) {
      await ctx.send(o.collector, memberReport(ctx.self, g, { multicasts, deliveries, ended }));
    }
    if (g !== undefined && ended === undefined) {
      await g.leave().catch((error) => {
        if (!(error instanceof TimeoutError)) throw error;
      });
    }
  };
}

/** Group programs by name, for the lab's program registry. */
export const groupPrograms: Readonly<Record<string, Program>> = {
  "group-manager": (args) =>
    groupManager({
      suspectAfter: args.suspectAfter as number | undefined,
      flushTimeout: args.flushTimeout as number | undefined,
      recoverFor: args.recoverFor as number | undefined,
    }),
  "group-member": groupMemberProgram,
};
