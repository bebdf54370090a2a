/**
 * The membership service's groups and their view changes: prepare (the survivors stop and
 * report what they hold of the old view), then install (each member of the new view gets what
 * it lacks and the new view), restarted when a survivor fails on the way.
 * @module
 */
import { planViewChange } from "./group_flush.ts";
import type { MembershipEffect } from "./group_membership.ts";
import { endpointOf } from "./group_name.ts";
import type {
  FlushReport,
  GroupEndReason,
  GroupFrontier,
  GroupOrder,
  View,
} from "./group_types.ts";
import type { Address } from "./name.ts";

/** A view change under way. */
export interface Change {
  target: number;
  attempt: number;
  survivors: Set<Address>;
  members: Address[];
  leavers: Set<Address>;
  removed: Set<Address>;
  joiners: Set<Address>;
  reports: Map<Address, FlushReport>;
  deadline: number;
}

/** What the membership service keeps of one group. */
export interface Group {
  readonly name: string;
  readonly order: GroupOrder;
  readonly closed: boolean;
  view: View;
  start: number;
  heard: Map<Address, number>;
  frontiers: Map<Address, GroupFrontier>;
  joins: Set<Address>;
  leaves: Set<Address>;
  removals: Set<Address>;
  change: Change | null;
}

/** A group without members. */
export function newGroup(name: string, order: GroupOrder, closed: boolean): Group {
  return {
    name,
    order,
    closed,
    view: { group: name, id: 0, members: [], sequencer: null },
    start: 1,
    heard: new Map(),
    frontiers: new Map(),
    joins: new Set(),
    leaves: new Set(),
    removals: new Set(),
    change: null,
  };
}

/** Tells `member`'s endpoint that it is out of `g`. */
export function endMember(
  out: MembershipEffect[],
  g: Group,
  member: Address,
  reason: GroupEndReason,
  message: string,
): void {
  endAt(out, endpointOf(member, g.name), g.name, reason, message);
}

/** Tells endpoint `to` that it is out of `group`. */
export function endAt(
  out: MembershipEffect[],
  to: Address,
  group: string,
  reason: GroupEndReason,
  message: string,
): void {
  out.push({ kind: "send", to, body: { kind: "g-end", group, reason, message } });
}

/** What every member of `g`'s view has delivered. */
export function stableFrontier(g: Group): GroupFrontier {
  const delivered: Record<Address, number> = {};
  let nextG = Infinity;
  const frontiers = g.view.members.map((m) => g.frontiers.get(m));
  if (frontiers.some((f) => f === undefined)) return { delivered, nextG: g.start };
  const senders = new Set(frontiers.flatMap((f) => Object.keys(f!.delivered)));
  for (const s of senders) {
    delivered[s] = Math.min(...frontiers.map((f) => f!.delivered[s] ?? 0));
  }
  for (const f of frontiers) nextG = Math.min(nextG, f!.nextG);
  return { delivered, nextG };
}

/** Starts a view change of `g` when joins, leaves or removals wait and none is under way. */
export function startChange(
  out: MembershipEffect[],
  g: Group,
  now: number,
  flushTimeout: number,
): void {
  if (g.change !== null) return;
  if (g.joins.size === 0 && g.leaves.size === 0 && g.removals.size === 0) return;
  g.change = {
    target: g.view.id + 1,
    attempt: 0,
    survivors: new Set(),
    members: [],
    leavers: new Set(),
    removed: new Set(),
    joiners: new Set(),
    reports: new Map(),
    deadline: 0,
  };
  restartChange(out, g, now, flushTimeout);
}

/** (Re)starts the pending change, folding in every queued join, leave and removal. */
export function restartChange(
  out: MembershipEffect[],
  g: Group,
  now: number,
  flushTimeout: number,
): void {
  const change = g.change!;
  const old = g.view.members;
  for (const m of g.removals) if (old.includes(m)) change.removed.add(m);
  for (const m of g.leaves) if (old.includes(m)) change.leavers.add(m);
  for (const m of g.removals) if (!g.joins.has(m)) change.joiners.delete(m);
  for (const m of g.joins) change.joiners.add(m);
  g.removals.clear();
  g.leaves.clear();
  g.joins.clear();
  change.attempt++;
  change.survivors = new Set(old.filter((m) => !change.removed.has(m)));
  const stay = old.filter((m) => !change.removed.has(m) && !change.leavers.has(m));
  change.members = [...new Set([...stay, ...change.joiners])].sort();
  change.reports = new Map();
  change.deadline = now + flushTimeout;
  if (change.survivors.size === 0) {
    finishChange(out, g, now, flushTimeout);
    return;
  }
  for (const m of change.survivors) {
    out.push({
      kind: "send",
      to: endpointOf(m, g.name),
      body: {
        kind: "g-prepare",
        group: g.name,
        from: g.view.id,
        target: change.target,
        attempt: change.attempt,
      },
    });
  }
}

/** Installs the pending change's view (every survivor reported, or none is left). */
export function finishChange(
  out: MembershipEffect[],
  g: Group,
  now: number,
  flushTimeout: number,
): void {
  const change = g.change!;
  const members = change.members;
  const sequencer = g.order === "total" ? members[0] ?? null : null;
  const view: View = { group: g.name, id: change.target, members, sequencer };
  const plans = planViewChange(view, [...change.reports.values()], {
    order: g.order,
    start: g.start,
  });
  for (const m of members) {
    out.push({
      kind: "send",
      to: endpointOf(m, g.name),
      body: {
        kind: "g-install",
        group: g.name,
        order: g.order,
        closed: g.closed,
        plan: plans[m],
      },
    });
    if (!g.heard.has(m)) g.heard.set(m, now);
  }
  for (const m of change.leavers) endMember(out, g, m, "left", `Left group "${g.name}"`);
  for (const m of change.removed) {
    if (members.includes(m)) continue;
    endMember(out, g, m, "removed", `Removed from group "${g.name}": suspected to have crashed`);
  }
  for (const m of g.heard.keys()) if (!members.includes(m)) g.heard.delete(m);
  if (members.length > 0) g.start = plans[members[0]].start;
  g.view = view;
  g.frontiers.clear();
  g.change = null;
  startChange(out, g, now, flushTimeout);
}
