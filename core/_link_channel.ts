/**
 * What a {@link ReliableLink} keeps per peer machine: a channel, with its sender and receiver
 * while something goes on there (a sender or receiver at work, a retransmission deadline, an ack
 * due), and for a peer with nothing going on only its idle halves, kept small (the sender as its
 * memo, the receiver as its acknowledgement), in the same channel object ({@link IdlePartners}):
 * a peer talked to again finds its channel with one lookup, and nothing is made or moved.
 * @module
 */
import type { Timed } from "./_deadline_heap.ts";
import type { ReliableReceiver } from "./reliable_channel.ts";
import type { ReliableSender } from "./reliable_sender.ts";
import type { SenderMemo } from "./retransmission.ts";
import type { Acknowledgement } from "./wire.ts";

/** One channel's retransmission deadline as the link scheduled it. */
export interface Scheduled extends Timed {
  /** When it is due, in ms (an entry out of the heap is reused). */
  at: number;
  /** The channel it is for. */
  channel: Channel;
}

/** The state of the link towards one peer machine while something goes on there. */
export interface Channel {
  /** The peer machine. */
  readonly peer: string;
  /** The sender, once the channel sent (it stays, idle or not, until the channel retires). */
  sender: ReliableSender | undefined;
  /** The sender kept when the channel last retired, while `sender` is undefined. */
  memo: SenderMemo | undefined;
  /** The receiver, once a frame came (it stays until the channel retires). */
  receiver: ReliableReceiver | undefined;
  /** The receiver kept when the channel last retired, while `receiver` is undefined. */
  acked: Acknowledgement | undefined;
  /**
   * The channel's scheduled retransmission deadline. It may be earlier than the sender's (it is
   * not moved later on every ack: the tick finds nothing due and schedules again).
   */
  timer: Scheduled | undefined;
  /** The place of the pure ack due to the peer in the link's queue of acks due, or -1. */
  ackSlot: number;
}

/**
 * Channels of peers with nothing going on: each keeps its idle halves only.
 *
 * @example A channel at rest keeps its idle halves, in place
 * ```ts
 * import assert from "node:assert/strict";
 * import { IdlePartners } from "./_link_channel.ts";
 * import { ReliableSender } from "./reliable_channel.ts";
 * const channel = IdlePartners.open("m2.lab");
 * channel.sender = new ReliableSender(1);
 * assert.ok(IdlePartners.idle(channel));
 * IdlePartners.keep(channel);
 * assert.equal(channel.sender, undefined);
 * assert.equal(ReliableSender.resume(1, {}, channel.memo!).rto, new ReliableSender(1).rto);
 * ```
 */
export class IdlePartners {
  /** A new channel for `peer`, with nothing kept yet. */
  static open(peer: string): Channel {
    return {
      peer,
      sender: undefined,
      memo: undefined,
      receiver: undefined,
      acked: undefined,
      timer: undefined,
      ackSlot: -1,
    };
  }

  /**
   * Whether nothing goes on in `channel` (no timer, no ack due, its sender and receiver at
   * rest): it can be {@link IdlePartners.keep}t.
   */
  static idle(channel: Channel): boolean {
    if (channel.timer !== undefined || channel.ackSlot >= 0) return false;
    const sender = channel.sender, receiver = channel.receiver;
    return (sender === undefined || sender.idle) && (receiver === undefined || receiver.idle);
  }

  /**
   * Keeps only the idle halves of `channel` (see {@link IdlePartners.idle}), small: its sender
   * as its memo, its receiver as its acknowledgement; the sender and receiver go.
   */
  static keep(channel: Channel): void {
    const sender = channel.sender, receiver = channel.receiver;
    if (sender !== undefined) {
      channel.memo = sender.memo();
      channel.sender = undefined;
    }
    if (receiver !== undefined) {
      channel.acked = receiver.acknowledgement;
      channel.receiver = undefined;
    }
  }
}
