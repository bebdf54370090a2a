/**
 * A group endpoint's messages inside one view: multicast as n unicasts (or through the
 * sequencer for a total order), hold-back until the group's order allows delivery, and the
 * sequencer's numbering when this member is the view's sequencer.
 * @module
 */
import type { EndpointEffect } from "./endpoint.ts";
import { endpointOf } from "./name.ts";
import type { GroupMessage, OrderedEntry } from "./types.ts";
import type { GroupWire } from "./messages.ts";
import type { Address } from "../core/name.ts";
import { VectorClock } from "../core/vector_clock.ts";
import type { EndpointState } from "./_endpoint_state.ts";

/** The endpoints of the view's other members. */
export function others(s: EndpointState): Address[] {
  return s.view!.members.filter((m) => m !== s.member).map((m) => endpointOf(m, s.group));
}

/** Multicasts `body` in the installed view: n unicasts, or a submission to the sequencer. */
export function emit(
  s: EndpointState,
  body: unknown,
  origin: Address | undefined,
  now: number,
): EndpointEffect[] {
  const view = s.view!;
  const seq = ++s.seq;
  const index = ++s.index;
  s.hb = VectorClock.tick(s.hb, s.stream);
  const message: GroupMessage = {
    id: `${s.stream}/${index}`,
    sender: s.member,
    stream: s.stream,
    ...(origin === undefined ? {} : { origin }),
    view: view.id,
    seq,
    index,
    hb: s.hb,
    ...(s.order === "causal" ? { vc: { ...s.queue.delivered(), [s.member]: seq } } : {}),
    sentAt: now,
    body,
  };
  if (s.order === "total") {
    s.pending.set(message.id, message);
    if (view.sequencer === s.member) return sequence(s, message, now);
    const to = endpointOf(view.sequencer!, s.group);
    return [{ kind: "send", to, body: { kind: "g-submit", group: s.group, message } }];
  }
  const effects: EndpointEffect[] = others(s).map((to) => ({
    kind: "send",
    to,
    body: { kind: "g-data", group: s.group, message },
  }));
  s.retained.set(message.id, message);
  for (const m of s.queue.offer(message)) effects.push(deliver(s, m, undefined, now));
  return effects;
}

/** Delivers `message` (with its global number `gseq` in a total order). */
export function deliver(
  s: EndpointState,
  message: GroupMessage,
  gseq: number | undefined,
  now: number,
): EndpointEffect {
  s.hb = VectorClock.merge(s.hb, message.hb);
  return {
    kind: "deliver",
    value: {
      kind: "delivery",
      delivery: {
        group: s.group,
        id: message.id,
        sender: message.sender,
        stream: message.stream,
        from: message.origin ?? message.sender,
        index: message.index,
        hb: message.hb,
        ...(gseq === undefined ? {} : { gseq }),
        view: s.view!.id,
        sentAt: message.sentAt,
        deliveredAt: now,
        body: message.body,
      },
    },
  };
}

/** Sorts a message tagged with view `view`: `"now"`, `"later"` (kept) or `"drop"`. */
export function when(s: EndpointState, view: number, body: GroupWire): "now" | "drop" | "later" {
  if (s.view === null || view > s.view.id) {
    s.future.push({ view, body });
    return "later";
  }
  if (view < s.view.id || s.phase !== "normal") return "drop";
  return "now";
}

/** A member's message in a FIFO, causal or unordered group. */
export function onData(
  s: EndpointState,
  message: GroupMessage,
  body: GroupWire,
  now: number,
): EndpointEffect[] {
  if (when(s, message.view, body) !== "now" || s.order === "total") return [];
  if (s.queue.has(message)) return [];
  s.retained.set(message.id, message);
  return s.queue.offer(message).map((m) => deliver(s, m, undefined, now));
}

/** At the sequencer: a member's message to number. */
export function onSubmit(
  s: EndpointState,
  message: GroupMessage,
  body: GroupWire,
  now: number,
): EndpointEffect[] {
  if (when(s, message.view, body) !== "now" || s.sequencer === null) return [];
  return sequence(s, message, now);
}

/** At the sequencer: numbers `message` and sends the entries it releases to the others. */
export function sequence(s: EndpointState, message: GroupMessage, now: number): EndpointEffect[] {
  const effects: EndpointEffect[] = [];
  const view = s.view!.id;
  const peers = others(s);
  for (const entry of s.sequencer!.submit(message)) {
    for (const to of peers) {
      effects.push({
        kind: "send",
        to,
        body: { kind: "g-order", group: s.group, view, entry },
      });
    }
    effects.push(...accept(s, entry, now));
  }
  return effects;
}

/** A numbered entry from the sequencer. */
export function onOrder(
  s: EndpointState,
  view: number,
  entry: OrderedEntry,
  body: GroupWire,
  now: number,
): EndpointEffect[] {
  if (when(s, view, body) !== "now") return [];
  return accept(s, entry, now);
}

/** Keeps `entry` and delivers the entries that are next in the total order. */
export function accept(s: EndpointState, entry: OrderedEntry, now: number): EndpointEffect[] {
  if (entry.gseq >= s.total.next) s.entries.set(entry.gseq, entry);
  return s.total.offer(entry).map((e) => {
    s.pending.delete(e.message.id);
    return deliver(s, e.message, e.gseq, now);
  });
}
