/**
 * Group ordering for exploration: members `g@m1.lab`, `g@m2.lab`, `g@m3.lab` of a fixed group
 * multicast over the raw network and deliver through the group module's own hold-back queues
 * (FIFO, causal) or its sequencer and total-order queue, judged by its order checker. Each order
 * has a workload that needs it, with a member pausing 20 ms (think time) between a message and
 * the next one that must follow it:
 *
 * - fifo: m1 multicasts `a1`, pauses, multicasts `a2`; every member delivers `a1` first.
 * - causal: m1 multicasts `q`; m2 delivers it, pauses, answers `r`; every member delivers `q`
 *   before `r`.
 * - total: m1 multicasts `a`, m2 pauses and multicasts `b`, both numbered by `seq@s.lab`; every
 *   member delivers them in one order.
 *
 * The `broken` variants deliver too early: no hold-back for fifo, FIFO hold-back only for causal,
 * the sequencer's entries as they arrive for total. Each breaks only when a frame is late by
 * more than the pause, which an asynchronous network allows and a bounded latency never shows.
 * @module
 */
import type { ProcessContext } from "../../core/process.ts";
import type { Simulator } from "../../core/simulator/simulator.ts";
import { createHoldBack, type HoldBack, TotalQueue } from "../../groups/order.ts";
import { checkOrder, type DeliveryRecord } from "../../groups/order_checker.ts";
import { Sequencer } from "../../groups/sequencer.ts";
import type { GroupMessage, OrderedEntry } from "../../groups/types.ts";

/** The orders the model explores. */
export type ExploredOrder = "fifo" | "causal" | "total";

/** What the group model leaves for its invariant. */
export interface GroupOrderState {
  /** The order the group promises. */
  readonly order: ExploredOrder;
  /** Each member's deliveries, in delivery order, by address. */
  readonly logs: Map<string, DeliveryRecord[]>;
  /** Messages every member must deliver by the end. */
  readonly expected: number;
}

const MEMBERS = ["g@m1.lab", "g@m2.lab", "g@m3.lab"];
const SEQUENCER = "seq@s.lab";
/** A member's think time between a message and the next one that must follow it, ms. */
const PAUSE = 20;

/** One member: its hold-back queue, its clocks, and what it does on a delivery. */
class Member {
  readonly #state: GroupOrderState;
  readonly #self: string;
  readonly #queue: HoldBack;
  readonly #total = new TotalQueue(1);
  readonly #hb: Record<string, number> = {};
  #seq = 0;

  constructor(state: GroupOrderState, self: string, broken: boolean) {
    this.#state = state;
    this.#self = self;
    const order = state.order;
    this.#queue = createHoldBack(
      broken ? (order === "causal" ? "fifo" : "none") : order === "total" ? "none" : order,
    );
  }

  /** Multicasts `body`: to the sequencer (total order), else to the others and to itself. */
  async multicast(ctx: ProcessContext, body: string): Promise<void> {
    const seq = ++this.#seq;
    this.#hb[this.#self] = seq;
    const vc = { ...this.#queue.delivered(), [this.#self]: seq };
    const message: GroupMessage = {
      id: `${this.#self}/${seq}`,
      sender: this.#self,
      stream: this.#self,
      view: 1,
      seq,
      index: seq,
      hb: { ...this.#hb },
      vc,
      sentAt: ctx.now(),
      body,
    };
    if (this.#state.order === "total") {
      await ctx.send(SEQUENCER, { kind: "submit", message });
      return;
    }
    for (const m of MEMBERS) if (m !== this.#self) await ctx.send(m, { kind: "gmsg", message });
    this.offer(message);
  }

  /** Takes a message or a numbered entry; returns what it delivers, in order. */
  take(body: { message?: GroupMessage; entry?: OrderedEntry }, broken: boolean): string[] {
    if (body.entry !== undefined) {
      const entries = broken ? [body.entry] : this.#total.offer(body.entry);
      return entries.flatMap((e) => this.#deliver(e.message));
    }
    return this.offer(body.message!);
  }

  offer(message: GroupMessage): string[] {
    return this.#queue.offer(message).flatMap((m) => this.#deliver(m));
  }

  #deliver(m: GroupMessage): string[] {
    for (const [stream, n] of Object.entries(m.hb)) {
      this.#hb[stream] = Math.max(this.#hb[stream] ?? 0, n);
    }
    this.#state.logs.get(this.#self)!.push({
      id: m.id,
      stream: m.stream,
      index: m.index,
      hb: m.hb,
    });
    return [String(m.body)];
  }
}

/** The member at `self`: its script (what it multicasts, and when), then its receive loop. */
function memberProcess(state: GroupOrderState, self: string, broken: boolean) {
  return async (ctx: ProcessContext): Promise<void> => {
    const member = new Member(state, self, broken);
    const first = self === MEMBERS[0], second = self === MEMBERS[1];
    if (first) {
      await member.multicast(
        ctx,
        state.order === "fifo" ? "a1" : state.order === "causal" ? "q" : "a",
      );
    }
    if (first && state.order === "fifo") {
      await ctx.sleep(PAUSE);
      await member.multicast(ctx, "a2");
    }
    if (second && state.order === "total") {
      await ctx.sleep(PAUSE);
      await member.multicast(ctx, "b");
    }
    for (;;) {
      const m = await ctx.receive<{ message?: GroupMessage; entry?: OrderedEntry }>();
      for (const body of member.take(m.body, broken)) {
        ctx.log(`delivered ${body}`);
        if (second && state.order === "causal" && body === "q") {
          await ctx.sleep(PAUSE);
          await member.multicast(ctx, "r");
        }
      }
    }
  };
}

/** The sequencer of the total-order group: numbers submissions, sends each entry to all. */
async function sequencerProcess(ctx: ProcessContext): Promise<void> {
  const sequencer = new Sequencer(1);
  for (;;) {
    const m = await ctx.receive<{ message: GroupMessage }>({ kind: "submit" });
    for (const entry of sequencer.submit(m.body.message)) {
      for (const member of MEMBERS) await ctx.send(member, { kind: "entry", entry });
    }
  }
}

/**
 * Builds the model of `order` on `sim` (the broken variant when asked).
 *
 * @example In the seeded order every member delivers both messages of m1, in order
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { groupOrder, groupOrderInvariant } from "./group_order_model.ts";
 * const sim = new Simulator({ seed: 1, reliable: false });
 * const state = groupOrder(sim, { order: "fifo" });
 * await sim.run();
 * assert.deepEqual([...state.logs.values()].map((log) => log.length), [2, 2, 2]);
 * assert.equal(groupOrderInvariant(state, true), undefined);
 * ```
 */
export function groupOrder(
  sim: Simulator,
  options: { order: ExploredOrder; broken?: boolean },
): GroupOrderState {
  const { order } = options;
  if (!["fifo", "causal", "total"].includes(order)) {
    throw new TypeError(
      `Cannot build the group model: order "${order}" is not fifo, causal or total`,
    );
  }
  const state: GroupOrderState = { order, logs: new Map(MEMBERS.map((m) => [m, []])), expected: 2 };
  for (const address of MEMBERS) {
    const [name, machine] = address.split("@");
    sim.machine(machine).spawn(name, memberProcess(state, address, options.broken ?? false));
  }
  if (order === "total") sim.machine("s.lab").spawn("seq", sequencerProcess);
  return state;
}

/** What each member delivered, by message id, for a violation's message. */
function delivered(state: GroupOrderState): string {
  return [...state.logs].map(([m, log]) => `${m}: ${log.map((r) => r.id).join(" ") || "-"}`)
    .join("; ");
}

/**
 * The group's promise: no two deliveries against its order, nothing delivered twice, and once
 * the run is over (`quiescent`) every member delivered every message.
 *
 * @example A member that delivers m1's second message first breaks FIFO order
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupOrderInvariant } from "./group_order_model.ts";
 * const a = (index: number) => ({ id: `g@m1.lab/${index}`, stream: "g@m1.lab", index, hb: { "g@m1.lab": index } });
 * const logs = new Map([["g@m1.lab", [a(1), a(2)]], ["g@m2.lab", [a(2), a(1)]], ["g@m3.lab", []]]);
 * assert.match(groupOrderInvariant({ order: "fifo", logs, expected: 2 }, false)!, /^fifo order: 1 pair/);
 * ```
 */
export function groupOrderInvariant(
  state: GroupOrderState,
  quiescent: boolean,
): string | undefined {
  const report = checkOrder(Object.fromEntries(state.logs));
  const broken = report[state.order];
  if (broken > 0) {
    return `${state.order} order: ${broken} pair(s) delivered out of order (${delivered(state)})`;
  }
  if (report.duplicates > 0) return `a member delivered a message twice (${delivered(state)})`;
  if (quiescent && [...state.logs.values()].some((log) => log.length < state.expected)) {
    return `the run is over but a member missed a message (${delivered(state)})`;
  }
  return undefined;
}
