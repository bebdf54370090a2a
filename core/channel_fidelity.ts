/**
 * What a channel did to the messages of a trace, read from its `send` and `deliver` events:
 * messages never delivered (lost), delivered more than once (duplicated), and delivered after a
 * message their sender sent later to the same process (reordered). Over the reliable channel all
 * three are zero; without it (`--unreliable`) they show what the network did: UDP and injected
 * faults lose, duplicate and reorder; TCP and HTTP never duplicate or reorder.
 * @module
 */
import type { TraceEvent } from "./trace.ts";

/** Counts from {@link channelFidelity}. */
export interface ChannelFidelity {
  /** Distinct messages sent. */
  readonly sent: number;
  /** Deliveries, duplicates included. */
  readonly delivered: number;
  /** Messages sent and never delivered. */
  readonly lost: number;
  /** Deliveries of a message already delivered. */
  readonly duplicated: number;
  /** Deliveries of a message sent before one already delivered on the same sender-receiver pair. */
  readonly reordered: number;
}

/** Options of {@link channelFidelity}. */
export interface ChannelFidelityOptions {
  /** Counts only messages for which this holds. @default every message */
  readonly include?: (event: TraceEvent) => boolean;
}

/**
 * Counts what the channel did to the messages of `events` (a trace's events, in time order).
 *
 * @example One message lost, one duplicated, one overtaken
 * ```ts
 * import assert from "node:assert/strict";
 * import { channelFidelity } from "./channel_fidelity.ts";
 * const e = (t: number, ev: "send" | "deliver", id: string) =>
 *   ({ t, ev, at: "b@m2.lab", id, from: "a@m1.lab", to: "b@m2.lab" });
 * const events = [
 *   e(0, "send", "a#1"), e(1, "send", "a#2"), e(2, "send", "a#3"), e(3, "send", "a#4"),
 *   e(4, "deliver", "a#2"), e(5, "deliver", "a#1"), e(6, "deliver", "a#2"), e(7, "deliver", "a#4"),
 * ];
 * assert.deepEqual(channelFidelity(events), {
 *   sent: 4, delivered: 4, lost: 1, duplicated: 1, reordered: 1,
 * });
 * ```
 */
export function channelFidelity(
  events: Iterable<TraceEvent>,
  options: ChannelFidelityOptions = {},
): ChannelFidelity {
  const include = options.include ?? (() => true);
  /** Each message's place among the sends of its pair. */
  const order = new Map<string, number>();
  const pairSends = new Map<string, number>();
  const seen = new Set<string>();
  /** The latest place delivered so far on each pair. */
  const latest = new Map<string, number>();
  let delivered = 0, duplicated = 0, reordered = 0;
  for (const event of events) {
    if (event.id === undefined || !include(event)) continue;
    const pair = `${event.from}>${event.to}`;
    if (event.ev === "send") {
      if (order.has(event.id)) continue;
      const n = pairSends.get(pair) ?? 0;
      pairSends.set(pair, n + 1);
      order.set(event.id, n);
    } else if (event.ev === "deliver") {
      const place = order.get(event.id);
      if (place === undefined) continue;
      delivered++;
      if (seen.has(event.id)) {
        duplicated++;
        continue;
      }
      seen.add(event.id);
      if (place < (latest.get(pair) ?? -1)) reordered++;
      else latest.set(pair, place);
    }
  }
  return { sent: order.size, delivered, lost: order.size - seen.size, duplicated, reordered };
}
