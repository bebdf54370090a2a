/**
 * The view checker: pure functions that read a group run's history from its trace (each
 * endpoint's `group-view`, `group-deliver` and `group-end` lines, and the machines' crashes) and
 * judge the promises of virtual synchrony that the order checker cannot see:
 *
 * - agreement: every member that installs view v installs the same membership;
 * - virtual synchrony: two members that install v and then the same next view delivered the
 *   same set of messages in v (atomic multicast), and so did two members still running in v at
 *   the end of the run;
 * - no member is stranded: at the end, every member still running (not crashed, not told it
 *   is out) is in the group's latest view;
 * - incarnations: a member that restarted (or left and joined again) comes back as a new
 *   incarnation, in a view later than every view its earlier incarnations installed.
 *
 * Views are named by lineage and number (see `View.lineage`).
 *
 * Each incarnation is judged as its own member, keyed by its stream `<member>#<incarnation>`;
 * {@link checkGroupRun} also runs the order checker over the same histories.
 * @module
 */
import { DELIVERY_LOG, END_LOG, VIEW_LOG } from "./types.ts";
import { type Address, machineOf } from "../core/name.ts";
import { checkOrder, type OrderReport, type TracedDelivery } from "./order_checker.ts";
import type { TraceEvent } from "../core/trace.ts";

/** A view as one member installed it. */
export interface InstalledView {
  /** View number. */
  readonly view: number;
  /** Members' addresses. */
  readonly members: readonly Address[];
  /** Each member's incarnation. */
  readonly incarnations: Readonly<Record<Address, string>>;
  /** The group's lineage (a group that a restarted service created anew has another). */
  readonly lineage: string;
  /** Position of the install in the trace (0 when unknown). */
  readonly at?: number;
}

/** A delivery line of the trace, with the view it was delivered in. */
export interface ViewDelivery extends TracedDelivery {
  /** View the message was delivered in. */
  readonly view: number;
}

/** What one incarnation of a member did in one group. */
export interface MemberHistory {
  /** `<member>#<incarnation>`, the stream of its multicasts. */
  readonly key: string;
  /** The member's address. */
  readonly member: Address;
  /** The incarnation. */
  readonly incarnation: string;
  /** Views it installed, in order. */
  readonly views: InstalledView[];
  /** Its deliveries, in order. */
  readonly deliveries: ViewDelivery[];
  /** How it stopped (`left`, `removed`, `crashed`...), if it did. */
  end?: string;
  /** Views and deliveries it logged after it stopped (a restart that kept its incarnation). */
  revived?: number;
}

/** What {@link checkViews} finds. */
export interface ViewReport {
  /** Distinct views installed. */
  views: number;
  /** The latest view installed (the last install in the trace). */
  last: number;
  /** Views that two members installed with different memberships. */
  disagreements: number;
  /** Installs of a view that does not list the installing incarnation. */
  unlisted: number;
  /** Messages of a view delivered by some but not all of the members moving on together. */
  partial: number;
  /** Members still running at the end in a view other than the latest one. */
  stranded: string[];
  /**
   * Incarnations that joined a view no later than one an earlier incarnation of the member
   * installed, or that went on after they crashed or stopped (not a new incarnation).
   */
  reincarnations: number;
  /**
   * Members stopped while still running, by key: removed (taken for crashed), disconnected from
   * the service, or ended by the group's end; not those that crashed or left.
   */
  excluded: string[];
  /** Each member's last view, by key. */
  final: Record<string, number>;
}

/** Options of {@link checkViews} and {@link checkGroupRun}. */
export interface ViewCheckOptions {
  /**
   * The trace ends after the group settled (a simulated run that went on after its workload):
   * members still running must then agree on the latest view and on what they delivered in it.
   * Give `false` for a trace cut while views may still change (a run on real sockets).
   * @default true
   */
  readonly settled?: boolean;
}

/** What {@link checkGroupRun} finds: the view checks and the order checks. */
export interface GroupRunReport extends ViewReport {
  /**
   * The order checker's findings over the same histories (its `partial` is not judged). FIFO,
   * causal order and duplicates are judged in every incarnation's log; total order between the
   * members that did not fail (neither crashed nor were excluded): agreed order, as in Isis's
   * ABCAST and Spread's AGREED service. A member that fails may have delivered, just before,
   * messages in an order no survivor learned (a crashed sequencer's last numbers); see
   * `uniformTotal`.
   */
  order: OrderReport;
  /** Total-order violations counted between every pair of incarnations, failed ones too. */
  uniformTotal: number;
  /** Incarnations seen. */
  members: number;
}

/**
 * Reads the history of every incarnation in `group` (every group when omitted) from trace
 * events, in trace order. A machine's crash ends the incarnations running on it.
 *
 * @example One member's view, delivery and end
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupHistories } from "./view_checker.ts";
 * const log = (note: string) => ({ t: 0, ev: "log" as const, at: "a--g@m1.lab", note });
 * const who = { group: "g", member: "a@m1.lab", incarnation: "x" };
 * const histories = groupHistories([
 *   log("group-view " + JSON.stringify({ ...who, view: 1, members: ["a@m1.lab"], incarnations: { "a@m1.lab": "x" }, lineage: "1.1" })),
 *   log("group-deliver " + JSON.stringify({ ...who, id: "a@m1.lab#x/1", stream: "a@m1.lab#x", index: 1, hb: {}, view: 1 })),
 *   { t: 5, ev: "crash" as const, at: "m1.lab" },
 * ]);
 * assert.equal(histories["a@m1.lab#x"].deliveries.length, 1);
 * assert.equal(histories["a@m1.lab#x"].end, "crashed");
 * ```
 */
export function groupHistories(
  events: readonly TraceEvent[],
  group?: string,
): Record<string, MemberHistory> {
  const histories: Record<string, MemberHistory> = {};
  for (const [at, event] of events.entries()) {
    if (event.ev === "crash") {
      for (const h of Object.values(histories)) {
        if (h.end === undefined && machineOf(h.member) === event.at) h.end = "crashed";
      }
      continue;
    }
    if (event.ev !== "log" || event.note === undefined) continue;
    const prefix = [DELIVERY_LOG, VIEW_LOG, END_LOG].find((p) => event.note!.startsWith(p));
    if (prefix === undefined) continue;
    const line = JSON.parse(event.note.slice(prefix.length));
    if (group !== undefined && line.group !== group) continue;
    if (line.incarnation === undefined) continue;
    const key = `${line.member}#${line.incarnation}`;
    const h = histories[key] ??= {
      key,
      member: line.member,
      incarnation: line.incarnation,
      views: [],
      deliveries: [],
    };
    if (prefix !== END_LOG && h.end !== undefined) h.revived = (h.revived ?? 0) + 1;
    if (prefix === VIEW_LOG) {
      h.views.push({
        view: line.view,
        members: line.members,
        incarnations: line.incarnations,
        lineage: line.lineage,
        at,
      });
    } else if (prefix === DELIVERY_LOG) {
      h.deliveries.push(line as ViewDelivery);
    } else {
      h.end ??= line.reason;
    }
  }
  return histories;
}

function sameMembership(a: InstalledView, b: InstalledView): boolean {
  return a.members.length === b.members.length &&
    a.members.every((m, i) => m === b.members[i] && a.incarnations[m] === b.incarnations[m]);
}

/** A view's identity across lineages. */
function idOf(v: InstalledView): string {
  return `${v.lineage}:${v.view}`;
}

/** Ids `h` delivered in the view `id` (see idOf). */
function deliveredIn(h: MemberHistory, id: string): Set<string> {
  const view = h.views.find((v) => idOf(v) === id)!.view;
  return new Set(h.deliveries.filter((d) => d.view === view).map((d) => d.id));
}

/**
 * Judges agreement on views, virtual synchrony, stranded members and incarnations.
 *
 * @example Two members move from view 1 to view 2 having delivered different messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkViews } from "./view_checker.ts";
 * const v = (view: number) => ({ view, members: ["a", "b"], incarnations: { a: "1", b: "1" }, lineage: "x" });
 * const d = (id: string) => ({ group: "g", member: "", id, stream: "s", index: 1, hb: {}, view: 1 });
 * const report = checkViews({
 *   "a#1": { key: "a#1", member: "a", incarnation: "1", views: [v(1), v(2)], deliveries: [d("m1"), d("m2")] },
 *   "b#1": { key: "b#1", member: "b", incarnation: "1", views: [v(1), v(2)], deliveries: [d("m1")] },
 * });
 * assert.equal(report.partial, 1);
 * assert.deepEqual(report.stranded, []);
 * ```
 */
export function checkViews(
  histories: Readonly<Record<string, MemberHistory>>,
  options: ViewCheckOptions = {},
): ViewReport {
  const settled = options.settled ?? true;
  const all = Object.values(histories);
  const first = new Map<string, InstalledView>();
  const report: ViewReport = {
    views: 0,
    last: 0,
    disagreements: 0,
    unlisted: 0,
    partial: 0,
    stranded: [],
    reincarnations: 0,
    excluded: [],
    final: {},
  };
  const disagreeing = new Set<string>();
  for (const h of all) {
    for (const v of h.views) {
      const seen = first.get(idOf(v));
      if (seen === undefined) first.set(idOf(v), v);
      else if (!sameMembership(seen, v)) disagreeing.add(idOf(v));
      if (v.incarnations[h.member] !== h.incarnation) report.unlisted++;
    }
    report.final[h.key] = h.views.at(-1)?.view ?? 0;
    if (h.end !== undefined && h.end !== "left" && h.end !== "crashed") report.excluded.push(h.key);
  }
  const { lineage, view } = latestView(all);
  report.last = view;
  const latest = `${lineage}:${report.last}`;
  report.views = first.size;
  report.disagreements = disagreeing.size;
  report.partial = partialDeliveries(all, settled);
  for (const h of all) {
    const v = h.views.at(-1);
    if (!settled || h.end !== undefined) continue;
    if (v === undefined || idOf(v) !== latest) report.stranded.push(h.key);
  }
  report.reincarnations = reincarnations(all);
  return report;
}

/** The latest view: the highest number of the lineage installed last (0 when none). */
function latestView(all: readonly MemberHistory[]): { lineage?: string; view: number } {
  const installs = all.flatMap((h) => h.views);
  const lineage = installs.reduce<InstalledView | undefined>(
    (a, v) => a === undefined || (v.at ?? 0) > (a.at ?? 0) ? v : a,
    undefined,
  )?.lineage;
  let view = 0;
  for (const v of installs) {
    if (v.lineage === lineage && v.view > view) view = v.view;
  }
  return { lineage, view };
}

/**
 * Messages delivered in a view by some of the members that moved together from it to the same
 * next view (or stayed in it to the end, running) and not by others: virtual synchrony broken.
 */
function partialDeliveries(all: readonly MemberHistory[], settled: boolean): number {
  const moves = new Map<string, MemberHistory[]>();
  for (const h of all) {
    h.views.forEach((v, i) => {
      const next = h.views[i + 1];
      const to = next !== undefined
        ? idOf(next)
        : h.end === undefined && settled
        ? "end"
        : undefined;
      if (to === undefined) return;
      const key = `${idOf(v)}>${to}`;
      const together = moves.get(key);
      if (together === undefined) moves.set(key, [h]);
      else together.push(h);
    });
  }
  let partial = 0;
  for (const [move, together] of moves) {
    if (together.length < 2) continue;
    const from = move.split(">")[0];
    const sets = together.map((h) => deliveredIn(h, from));
    const union = new Set(sets.flatMap((s) => [...s]));
    for (const id of union) if (!sets.every((s) => s.has(id))) partial++;
  }
  return partial;
}

/**
 * Incarnations of one member, in the order they first appear: each joins a later view, or was
 * revived; counts those that do.
 */
function reincarnations(all: readonly MemberHistory[]): number {
  const byMember = new Map<Address, MemberHistory[]>();
  for (const h of all) {
    const list = byMember.get(h.member);
    if (list === undefined) byMember.set(h.member, [h]);
    else list.push(h);
  }
  let count = 0;
  for (const list of byMember.values()) {
    const seen = new Map<string, number>();
    for (const h of list) {
      if ((h.revived ?? 0) > 0) count++;
      const joined = h.views[0];
      if (joined !== undefined && joined.view <= (seen.get(joined.lineage) ?? 0)) count++;
      for (const v of h.views) seen.set(v.lineage, Math.max(seen.get(v.lineage) ?? 0, v.view));
    }
  }
  return count;
}

/**
 * Reads `group`'s histories from trace events and runs the view checks and the order checks.
 *
 * @example A run without faults keeps every promise
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { groupPrograms } from "./member_program.ts";
 * import { checkGroupRun } from "./view_checker.ts";
 * const sim = new Simulator({ seed: 5 });
 * sim.machine("g0.lab").spawn("groups", groupPrograms["group-manager"]({}));
 * for (const m of ["m1.lab", "m2.lab"]) {
 *   sim.machine(m).spawn("p", groupPrograms["group-member"]({ order: "total", members: 2, messages: 2 }));
 * }
 * await sim.run();
 * const report = checkGroupRun(sim.trace.events, "lab");
 * assert.equal(report.members, 2);
 * assert.equal(report.partial + report.order.total + report.order.duplicates, 0);
 * assert.deepEqual(report.stranded, []);
 * ```
 */
export function checkGroupRun(
  events: readonly TraceEvent[],
  group?: string,
  options: ViewCheckOptions = {},
): GroupRunReport {
  const histories = groupHistories(events, group);
  const all = Object.values(histories);
  const logs = (list: MemberHistory[]) =>
    Object.fromEntries(list.map((h) => [h.key, h.deliveries]));
  const order = checkOrder(logs(all));
  const correct = all.filter((h) => h.end === undefined || h.end === "left");
  return {
    ...checkViews(histories, options),
    order: { ...order, total: checkOrder(logs(correct)).total },
    uniformTotal: order.total,
    members: all.length,
  };
}
