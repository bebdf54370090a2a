/**
 * The membership service's groups and their view changes: prepare (the survivors stop and
 * report what they hold of the old view), then install (each member of the new view gets what
 * it lacks and the new view), restarted when a survivor fails on the way.
 *
 * A member is one incarnation of an address: a member that restarts (or leaves and joins again)
 * comes back with a new incarnation, which joins a later view than the one that removes the old.
 * @module
 */
import { planViewChange } from "./flush.ts";
import type { MembershipEffect } from "./membership.ts";
import { endpointOf } from "./name.ts";
import type { FlushReport, GroupEndReason, GroupFrontier, GroupOrder, View } from "./types.ts";
import type { Address } from "../core/name.ts";
import type { Recovery } from "./_recovery.ts";

/** A view change under way. */
export interface Change {
  target: number;
  attempt: number;
  survivors: Set<Address>;
  members: Address[];
  leavers: Set<Address>;
  removed: Set<Address>;
  /** Members joining with this change, by address: their incarnation. */
  joiners: Map<Address, string>;
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
  /** Incarnations asking to join, by address (the latest ask of an address wins). */
  joins: Map<Address, string>;
  /**
   * Leaves and removals waiting for the next (re)start of a change, by address: the
   * incarnation they are about. One about an incarnation no longer in the view is dropped, so
   * that it never hits the incarnation that replaced it.
   */
  leaves: Map<Address, string>;
  removals: Map<Address, string>;
  /** Incarnations that left or were removed (`<member>#<incarnation>`): they never come back. */
  gone: Set<string>;
  change: Change | null;
  /** Being taken up again after the service restarted (see `_group_recovery.ts`). */
  recovery: Recovery | null;
  /** The members' view is not the service's (after a recovery): change it even if no one asks. */
  stale: boolean;
}

/** A group without members, of lineage `lineage`. */
export function newGroup(
  name: string,
  order: GroupOrder,
  closed: boolean,
  lineage: string,
): Group {
  return {
    name,
    order,
    closed,
    view: { group: name, id: 0, members: [], sequencer: null, incarnations: {}, lineage },
    start: 1,
    heard: new Map(),
    frontiers: new Map(),
    joins: new Map(),
    leaves: new Map(),
    removals: new Map(),
    gone: new Set(),
    change: null,
    recovery: null,
    stale: false,
  };
}

/** Whether incarnation `incarnation` of `member` is in `g`'s view. */
export function inView(g: Group, member: Address, incarnation: string): boolean {
  return g.view.incarnations[member] === incarnation;
}

/** Queues the removal of `member`'s incarnation in `g`'s view. */
export function suspect(g: Group, member: Address): void {
  g.removals.set(member, g.view.incarnations[member]);
}

/** Whether incarnation `incarnation` of `member` waits to join `g`. */
export function joining(g: Group, member: Address, incarnation: string): boolean {
  return g.joins.get(member) === incarnation || g.change?.joiners.get(member) === incarnation;
}

/** Tells incarnation `incarnation` of `member`'s endpoint that it is out of `group`. */
export function endAt(
  out: MembershipEffect[],
  member: Address,
  incarnation: string,
  group: string,
  reason: GroupEndReason,
  message: string,
): void {
  out.push({
    kind: "send",
    to: endpointOf(member, group),
    body: { kind: "g-end", group, incarnation, reason, message },
  });
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
  if (g.change !== null || g.recovery !== null) return;
  // Leaves and removals about incarnations no longer in the view are stale.
  for (const [m, incarnation] of g.removals) if (!inView(g, m, incarnation)) g.removals.delete(m);
  for (const [m, incarnation] of g.leaves) if (!inView(g, m, incarnation)) g.leaves.delete(m);
  if (g.joins.size === 0 && g.leaves.size === 0 && g.removals.size === 0 && !g.stale) return;
  g.change = {
    target: g.view.id + 1,
    attempt: 0,
    survivors: new Set(),
    members: [],
    leavers: new Set(),
    removed: new Set(),
    joiners: new Map(),
    reports: new Map(),
    deadline: 0,
  };
  restartChange(out, g, now, flushTimeout);
}

/**
 * (Re)starts the pending change, folding in every queued join, leave and removal. A join of an
 * address that is in the old view under another incarnation removes that old incarnation in the
 * same change: the new one never shares a view with it.
 */
export function restartChange(
  out: MembershipEffect[],
  g: Group,
  now: number,
  flushTimeout: number,
): void {
  const change = g.change!;
  const old = g.view.members;
  for (const [m, incarnation] of g.removals) {
    if (inView(g, m, incarnation)) change.removed.add(m);
  }
  for (const [m, incarnation] of g.leaves) {
    if (inView(g, m, incarnation)) change.leavers.add(m);
  }
  for (const [m, incarnation] of g.joins) {
    if (old.includes(m) && !inView(g, m, incarnation)) change.removed.add(m);
    change.joiners.set(m, incarnation);
  }
  g.removals.clear();
  g.leaves.clear();
  g.joins.clear();
  g.stale = false;
  change.attempt++;
  change.survivors = new Set(old.filter((m) => !change.removed.has(m)));
  const stay = old.filter((m) => !change.removed.has(m) && !change.leavers.has(m));
  change.members = [...new Set([...stay, ...change.joiners.keys()])].sort();
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
        incarnation: g.view.incarnations[m],
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
  const old = g.view.incarnations;
  const incarnations: Record<Address, string> = {};
  for (const m of members) incarnations[m] = change.joiners.get(m) ?? old[m];
  const sequencer = g.order === "total" ? members[0] ?? null : null;
  const view: View = {
    group: g.name,
    id: change.target,
    members,
    sequencer,
    incarnations,
    lineage: g.view.lineage,
  };
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
        incarnation: incarnations[m],
        order: g.order,
        closed: g.closed,
        plan: plans[m],
      },
    });
    if (change.joiners.has(m) || !g.heard.has(m)) g.heard.set(m, now);
  }
  for (const m of change.leavers) {
    g.gone.add(`${m}#${old[m]}`);
    endAt(out, m, old[m], g.name, "left", `Left group "${g.name}"`);
  }
  for (const m of change.removed) {
    if (change.leavers.has(m)) continue;
    g.gone.add(`${m}#${old[m]}`);
    // Also when the address joined again: the old incarnation, if it still runs, must stop.
    endAt(
      out,
      m,
      old[m],
      g.name,
      "removed",
      `Removed from group "${g.name}": suspected to have crashed`,
    );
  }
  for (const m of g.heard.keys()) if (!members.includes(m)) g.heard.delete(m);
  if (members.length > 0) g.start = plans[members[0]].start;
  g.view = view;
  g.frontiers.clear();
  g.change = null;
  startChange(out, g, now, flushTimeout);
}
