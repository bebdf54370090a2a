/**
 * A group endpoint's part in view changes: flush (stop and report what it holds of the old
 * view), install (finish the old view, start the new one), and the stability notices that let
 * it drop what every member has delivered.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { EndpointEffect } from "./endpoint.ts";
import { createHoldBack, TotalQueue } from "./order.ts";
import { Sequencer } from "./sequencer.ts";
import type { FlushReport, GroupOrder, InstallPlan } from "./types.ts";
import type { GroupWire } from "./messages.ts";
import type { Address } from "../core/name.ts";
import { deliver } from "./_endpoint_delivery.ts";
import type { EndpointState } from "./_endpoint_state.ts";

/** The endpoint's entry points that an install replays messages through. */
export interface Reentry {
  receive(env: Envelope, now: number): EndpointEffect[];
  multicast(body: unknown, now: number, origin?: Address): EndpointEffect[];
}

/** The membership service prepares a view change: stop, and report what this member holds. */
export function onPrepare(
  s: EndpointState,
  prepare: Extract<GroupWire, { kind: "g-prepare" }>,
): EndpointEffect[] {
  if (s.view !== null && prepare.target <= s.view.id) return [];
  if (s.view === null || prepare.from > s.view.id) {
    s.deferredPrepare = prepare;
    return [];
  }
  s.phase = "flushing";
  const report: FlushReport = {
    member: s.member,
    messages: [...s.retained.values()],
    entries: [...s.entries.values()],
    nextG: s.total.next,
    pending: [...s.pending.values()],
  };
  return [{
    kind: "send",
    to: s.manager,
    body: {
      kind: "g-flushed",
      group: s.group,
      incarnation: s.incarnation,
      target: prepare.target,
      attempt: prepare.attempt,
      report,
    },
  }];
}

/**
 * Installs a new view: delivers what the old view's survivors hold and this member lacks, then
 * replays the messages that were early, a deferred prepare, and the multicasts queued meanwhile.
 */
export function onInstall(
  s: EndpointState,
  endpoint: Reentry,
  install: { order: GroupOrder; closed: boolean; plan: InstallPlan },
  now: number,
): EndpointEffect[] {
  const { order, closed, plan } = install;
  if (s.view !== null && plan.view.id <= s.view.id) return [];
  const effects: EndpointEffect[] = [];
  if (s.view !== null) {
    // Finish the old view: deliver what the survivors hold and this member lacks.
    for (const message of plan.missing) {
      if (s.queue.has(message)) continue;
      for (const m of s.queue.offer(message)) effects.push(deliver(s, m, undefined, now));
    }
    const from = s.total.next;
    for (const entry of plan.entries) {
      if (entry.gseq >= from) effects.push(deliver(s, entry.message, entry.gseq, now));
    }
  }
  s.order = order;
  s.closed = closed;
  s.view = plan.view;
  s.seq = 0;
  s.queue = createHoldBack(order === "total" ? "none" : order);
  s.total = new TotalQueue(plan.start);
  s.sequencer = order === "total" && plan.view.sequencer === s.member
    ? new Sequencer(plan.start)
    : null;
  s.retained.clear();
  s.entries.clear();
  s.pending.clear();
  s.phase = "normal";
  effects.push({ kind: "deliver", value: { kind: "view", view: plan.view, order, closed } });
  const future = s.future;
  s.future = [];
  for (const item of future) {
    effects.push(...endpoint.receive({ from: "", body: item.body } as Envelope, now));
  }
  const prepare = s.deferredPrepare;
  s.deferredPrepare = null;
  if (prepare !== null) effects.push(...onPrepare(s, prepare));
  const outbox = s.outbox;
  s.outbox = [];
  for (const item of outbox) effects.push(...endpoint.multicast(item.body, now, item.origin));
  return effects;
}

/** Drops what every member of view `view` has delivered. */
export function onStable(
  s: EndpointState,
  view: number,
  stable: { delivered: Record<Address, number>; nextG: number },
): EndpointEffect[] {
  if (s.view === null || view !== s.view.id) return [];
  for (const [id, message] of s.retained) {
    if (message.seq <= (stable.delivered[message.sender] ?? 0)) s.retained.delete(id);
  }
  for (const gseq of s.entries.keys()) {
    if (gseq < stable.nextG) s.entries.delete(gseq);
  }
  return [];
}
