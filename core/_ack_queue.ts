/**
 * The pure acknowledgements a link owes, each due one scheduling turn after the frame that
 * called for it unless a frame to that peer carries it first: a queue of channels in the order
 * their ack became due, reused from turn to turn (a carried ack leaves a hole).
 * @module
 */
import type { Channel } from "./_link_channel.ts";

/** The acks due of one link. */
export class AckQueue {
  /** The channels with an ack due, from 0 to {@link #end} (a carried ack leaves `undefined`). */
  readonly #channels: (Channel | undefined)[] = [];
  #end = 0;
  #due = 0;
  #at = Infinity;

  /** When the acks are due (the time the first of them became due), or `Infinity`. */
  get at(): number {
    return this.#at;
  }

  /**
   * An ack is due to the peer of `channel` (one due already stays in its place): the link makes
   * it when it goes, from what its receiver knows then.
   */
  add(channel: Channel, now: number): void {
    if (channel.ackSlot >= 0) return;
    if (this.#due++ === 0) this.#at = now;
    channel.ackSlot = this.#end;
    this.#channels[this.#end++] = channel;
  }

  /** A frame to the peer of `channel` carries its ack: none is due any more. */
  withdraw(channel: Channel): void {
    if (channel.ackSlot < 0) return;
    this.#channels[channel.ackSlot] = undefined;
    channel.ackSlot = -1;
    if (--this.#due === 0) this.#clear();
  }

  /** Takes every ack due, in order: `send` gets each channel. */
  flush(send: (channel: Channel) => void): void {
    const channels = this.#channels;
    for (let i = 0; i < this.#end; i++) {
      const channel = channels[i];
      if (channel === undefined) continue;
      channels[i] = undefined;
      channel.ackSlot = -1;
      send(channel);
    }
    this.#clear();
  }

  /** Nothing is due: every slot up to {@link #end} is `undefined`, and is reused. */
  #clear(): void {
    this.#end = 0;
    this.#due = 0;
    this.#at = Infinity;
  }
}
