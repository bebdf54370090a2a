/**
 * What a {@link ReliableLink} keeps per peer machine: a channel while something goes on there
 * (a sender or receiver at work, a retransmission deadline, an ack due), and for a peer with
 * nothing going on only its idle halves, kept small (the sender as its memo, the receiver as its
 * acknowledgement) in the link's {@link IdlePartners}.
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

/** The idle halves of the peers with nothing going on. */
export class IdlePartners {
  /** Shared empty maps until a partner is kept (most machines of a big run keep some). */
  #senders: Map<string, SenderMemo> = NO_SENDERS;
  #receivers: Map<string, Acknowledgement> = NO_RECEIVERS;

  /** A channel for `peer`, with the idle halves kept for it (which leave this place). */
  open(peer: string): Channel {
    let memo: SenderMemo | undefined, acked: Acknowledgement | undefined;
    if (this.#senders.size > 0 && (memo = this.#senders.get(peer)) !== undefined) {
      this.#senders.delete(peer);
    }
    if (this.#receivers.size > 0 && (acked = this.#receivers.get(peer)) !== undefined) {
      this.#receivers.delete(peer);
    }
    return {
      peer,
      sender: undefined,
      memo,
      receiver: undefined,
      acked,
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
   * Keeps the idle halves of `channel` (see {@link IdlePartners.idle}), small: its sender as its
   * memo, its receiver as its acknowledgement.
   */
  keep(channel: Channel): void {
    if (channel.sender !== undefined) channel.memo = channel.sender.memo();
    if (channel.receiver !== undefined) channel.acked = channel.receiver.acknowledgement;
    if (channel.memo !== undefined) {
      if (this.#senders === NO_SENDERS) this.#senders = new Map();
      this.#senders.set(channel.peer, channel.memo);
    }
    if (channel.acked !== undefined) {
      if (this.#receivers === NO_RECEIVERS) this.#receivers = new Map();
      this.#receivers.set(channel.peer, channel.acked);
    }
  }

  /** The idle sender kept for `peer`, if any (it stays here). */
  memoOf(peer: string): SenderMemo | undefined {
    return this.#senders.get(peer);
  }
}

/** The idle senders of every link that has none (never written). */
const NO_SENDERS: Map<string, SenderMemo> = new Map();
/** The idle receivers of every link that has none (never written). */
const NO_RECEIVERS: Map<string, Acknowledgement> = new Map();
