/**
 * The flush of a view change, as a pure function. Before a new view is installed, every member
 * that survives the old view reports what it holds of it; from those reports this plans what
 * each member of the new view must still deliver, so that every survivor delivers the same set
 * of messages in the old view (virtual synchrony). That is what makes multicast atomic: when a
 * sender crashes after its message reached only some members, the ones that have it report it
 * and the others receive it in their install plan; a message no survivor holds is delivered by
 * none. For a total-order group it also recovers from a crashed sequencer: the contiguous
 * prefix of numbers any survivor holds is kept, survivors' own messages that were not ordered
 * yet are numbered after it, and the new sequencer resumes at the next number, with no gap and
 * no duplicate.
 * @module
 */
import type {
  FlushReport,
  GroupMessage,
  GroupOrder,
  InstallPlan,
  OrderedEntry,
  View,
} from "./types.ts";
import type { Address } from "../core/name.ts";

/** Options of {@link planViewChange}. */
export interface ViewChangeOptions {
  /** The group's order. @default "none" */
  readonly order?: GroupOrder;
  /** Total order: first number of the old view, used when no survivor reported. @default 1 */
  readonly start?: number;
}

function bySeq(a: GroupMessage, b: GroupMessage): number {
  return a.seq - b.seq || (a.sender < b.sender ? -1 : a.sender > b.sender ? 1 : 0);
}

function planMessages(view: View, reports: readonly FlushReport[]): Record<Address, InstallPlan> {
  const union = new Map<string, GroupMessage>();
  for (const report of reports) {
    for (const message of report.messages) union.set(message.id, message);
  }
  const all = [...union.values()].sort(bySeq);
  const plans: Record<Address, InstallPlan> = {};
  for (const member of view.members) {
    const report = reports.find((r) => r.member === member);
    let missing: GroupMessage[] = [];
    if (report !== undefined) {
      const held = new Set(report.messages.map((m) => m.id));
      missing = all.filter((m) => !held.has(m.id));
    }
    plans[member] = { view, missing, entries: [], start: 1 };
  }
  return plans;
}

function planTotal(
  view: View,
  reports: readonly FlushReport[],
  fallback: number,
): Record<Address, InstallPlan> {
  const byNumber = new Map<number, OrderedEntry>();
  for (const report of reports) {
    for (const entry of report.entries) {
      if (!byNumber.has(entry.gseq)) byNumber.set(entry.gseq, entry);
    }
  }
  const first = reports.length === 0 ? fallback : Math.min(...reports.map((r) => r.nextG));
  const order: OrderedEntry[] = [];
  const ordered = new Set<string>();
  let next = first;
  for (let e = byNumber.get(next); e !== undefined; e = byNumber.get(next)) {
    order.push(e);
    ordered.add(e.message.id);
    next++;
  }
  // Survivors' own messages that no survivor saw numbered: numbered now, each sender's in order.
  const pending = new Map<string, GroupMessage>();
  for (const report of reports) {
    for (const message of report.pending) {
      if (!ordered.has(message.id)) pending.set(message.id, message);
    }
  }
  for (const message of [...pending.values()].sort(bySeq)) {
    order.push({ gseq: next++, message });
  }
  const start = Math.max(next, fallback);
  const plans: Record<Address, InstallPlan> = {};
  for (const member of view.members) {
    const report = reports.find((r) => r.member === member);
    const entries = report === undefined ? [] : order.filter((e) => e.gseq >= report.nextG);
    plans[member] = { view, missing: [], entries, start };
  }
  return plans;
}

/**
 * Plans the install of `view` from the flush reports of the old view's survivors: for each
 * member of the new view, what of the old view it still has to deliver.
 *
 * @example A crashed sender's message reached one member only: the other gets it too
 * ```ts
 * import assert from "node:assert/strict";
 * import { planViewChange } from "./flush.ts";
 * const m = {
 *   id: "s@m1.lab#1/1", sender: "s@m1.lab", stream: "s@m1.lab#1", view: 1, seq: 1, index: 1,
 *   hb: { "s@m1.lab#1": 1 }, sentAt: 0, body: "hi",
 * };
 * const report = (member: string, messages: typeof m[]) =>
 *   ({ member, messages, entries: [], nextG: 1, pending: [] });
 * const members = ["a@m2.lab", "b@m3.lab"];
 * const view = { group: "g", id: 2, members, sequencer: null, incarnations: { "a@m2.lab": "1", "b@m3.lab": "1" }, lineage: "1.1" };
 * const plans = planViewChange(view, [report("a@m2.lab", [m]), report("b@m3.lab", [])], { order: "fifo" });
 * assert.deepEqual(plans["b@m3.lab"].missing.map((x) => x.id), ["s@m1.lab#1/1"]);
 * assert.deepEqual(plans["a@m2.lab"].missing, []);
 * ```
 */
export function planViewChange(
  view: View,
  reports: readonly FlushReport[],
  options: ViewChangeOptions = {},
): Record<Address, InstallPlan> {
  if (options.order === "total") return planTotal(view, reports, options.start ?? 1);
  return planMessages(view, reports);
}
