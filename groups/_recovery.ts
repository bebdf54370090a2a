/**
 * How a restarted membership service takes its groups up again. It lost every view, but the
 * members did not: each heartbeat names the member's incarnation, its view and the group's
 * settings. A heartbeat for a group the service does not know starts a recovery: for one
 * suspicion period the service gathers the heartbeats of that group, then it rebuilds the view
 * from the members that reported the latest view number and runs a view change from it, so
 * those members flush that view and install the next one. Members still in an older view (the
 * old service crashed while it installed the latest one) cannot finish it: they are removed.
 * @module
 */
import type { MembershipEffect } from "./membership.ts";
import type { GroupFrontier, GroupOrder, View } from "./types.ts";
import type { GroupWire } from "./messages.ts";
import type { Address } from "../core/name.ts";
import { endAt, type Group, newGroup, startChange } from "./_view_change.ts";

/** What a recovering group heard from one member. */
export interface Heard {
  readonly incarnation: string;
  readonly view: number;
  readonly frontier: GroupFrontier;
  readonly leaving: boolean;
}

/** A group being taken up again after the service restarted. */
export interface Recovery {
  /** When the service stops gathering heartbeats and rebuilds the view. */
  readonly until: number;
  /** The latest heartbeat of each member. */
  readonly heard: Map<Address, Heard>;
}

/**
 * Starts recovering group `name` from a member's heartbeat, as a group of this service's
 * `lineage`; `undefined` without settings.
 */
export function recoverGroup(
  name: string,
  settings: { order: GroupOrder; closed: boolean } | undefined,
  lineage: string,
  now: number,
  wait: number,
): Group | undefined {
  if (settings === undefined) return undefined;
  const g = newGroup(name, settings.order, settings.closed, lineage);
  g.recovery = { until: now + wait, heard: new Map() };
  return g;
}

/** Notes a heartbeat of recovering group `g`. */
export function hear(
  out: MembershipEffect[],
  g: Group,
  from: Address,
  body: Extract<GroupWire, { kind: "g-heartbeat" }>,
): void {
  const recovery = g.recovery!;
  const { member, incarnation } = body;
  const before = recovery.heard.get(member);
  if (before === undefined || before.incarnation === incarnation || body.view > before.view) {
    recovery.heard.set(member, {
      incarnation,
      view: body.view,
      frontier: body.frontier,
      leaving: body.leaving === true,
    });
  }
  // Answer, so that the endpoint knows the service is alive (view 0: nothing is stable yet).
  out.push({
    kind: "send",
    to: from,
    body: {
      kind: "g-stable",
      group: g.name,
      incarnation,
      view: 0,
      stable: { delivered: {}, nextG: 1 },
    },
  });
}

/**
 * Ends the recovery of `g` at `now`: the members heard in the latest view make up that view
 * again, members heard in an older one are removed, and a view change from it starts.
 */
export function finishRecovery(
  out: MembershipEffect[],
  g: Group,
  now: number,
  flushTimeout: number,
): void {
  const heard = g.recovery!.heard;
  g.recovery = null;
  const latest = Math.max(0, ...[...heard.values()].map((h) => h.view));
  const members = [...heard].filter(([, h]) => h.view === latest).map(([m]) => m).sort();
  const incarnations: Record<Address, string> = {};
  for (const m of members) incarnations[m] = heard.get(m)!.incarnation;
  for (const [m, h] of heard) {
    if (h.view === latest) continue;
    g.gone.add(`${m}#${h.incarnation}`);
    endAt(
      out,
      m,
      h.incarnation,
      g.name,
      "removed",
      `Removed from group "${g.name}": its view ${h.view} was not finished when the ` +
        "membership service restarted",
    );
  }
  const view: View = {
    group: g.name,
    id: latest,
    members,
    sequencer: g.order === "total" ? members[0] ?? null : null,
    incarnations,
    lineage: g.view.lineage,
  };
  g.view = view;
  g.start = Math.min(...members.map((m) => heard.get(m)!.frontier.nextG));
  for (const m of members) {
    g.heard.set(m, now);
    if (heard.get(m)!.leaving) g.leaves.set(m, incarnations[m]);
  }
  // The members' view lists members the service did not hear from: change it at once.
  g.stale = true;
  startChange(out, g, now, flushTimeout);
}
