/**
 * A machine's links to the other machines as one pure state machine, in the style of
 * `core/protocol`: it takes an input (an envelope to send, a frame that arrived, a tick, each
 * with the time) and answers with effects (frames to transmit, envelopes to deliver, events to
 * trace) and its next deadline. It reads no clock and starts no timer: its machine keeps one
 * runtime timer at {@link ReliableLink.deadline} and ticks it then.
 *
 * Without reliability it passes frames through. With it, each peer machine gets a channel
 * (created on first use): sequence numbers, one retransmission deadline per channel
 * ({@link ReliableSender}: RFC 6298's timeout, Karn's rule, backoff), duplicate suppression and
 * FIFO ({@link ReliableReceiver}), cumulative acks carried by the next frame to that peer or
 * sent on their own one scheduling turn later (a deadline at the current time), epochs across
 * restarts.
 *
 * An ack waits at most one scheduling turn (0 ms of virtual time; one host macrotask on a real
 * host), so a piggybacked ack inflates a round-trip sample by that turn only, and the samples
 * include it, as they should: the timeout must cover it.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { AckQueue } from "./_ack_queue.ts";
import { DeadlineHeap } from "./_deadline_heap.ts";
import { type Channel, IdlePartners, type Scheduled } from "./_link_channel.ts";
import {
  ReliableReceiver,
  ReliableSender,
  type Resend,
  type RetransmitOptions,
} from "./reliable_channel.ts";
import type { Acknowledgement, MessageFrame, WireFrame } from "./wire.ts";

/** What a {@link ReliableLink} is given, with the time `now` (ms). */
export type LinkInput =
  /** An envelope of this machine for machine `to`. */
  | { readonly kind: "send"; readonly to: string; readonly env: Envelope; readonly now: number }
  /** A frame that came from machine `from` (already checked to be well formed). */
  | {
    readonly kind: "frame";
    readonly from: string;
    readonly frame: WireFrame;
    readonly now: number;
  }
  /** The link's deadline has come. */
  | { readonly kind: "tick"; readonly now: number };

/** What a {@link ReliableLink} asks its machine to do, in order. */
export type LinkEffect =
  /** Put `frame` on the network to machine `to`. */
  | { readonly kind: "transmit"; readonly to: string; readonly frame: WireFrame }
  /** Hand `env`, which arrived from machine `from` (in order, once), to the machine. */
  | { readonly kind: "deliver"; readonly from: string; readonly env: Envelope }
  /** Trace a link event about `env`. */
  | {
    readonly kind: "event";
    readonly ev: "retransmit" | "drop" | "duplicate";
    readonly env: Envelope;
    readonly note: string;
  }
  /** Machine `machine` restarted (its frames carry a newer incarnation). */
  | { readonly kind: "restarted"; readonly machine: string }
  /** The channel to `machine` gave up on its frames. */
  | { readonly kind: "unreachable"; readonly machine: string };

/** No effect (never written). */
const NONE: readonly LinkEffect[] = Object.freeze([]);

/** Whether what {@link ReliableLink.take} answered is an envelope (not a list of effects). */
function isEnvelope(got: Envelope | readonly LinkEffect[]): got is Envelope {
  return !Array.isArray(got);
}

/**
 * The links of one machine incarnation.
 *
 * @example A frame, its ack one turn later, and no retransmission
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReliableLink } from "./reliable_link.ts";
 * const env = { id: "a#1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
 * const m1 = new ReliableLink(1), m2 = new ReliableLink(1);
 * const [out] = m1.step({ kind: "send", to: "m2.lab", env, now: 0 });
 * assert.equal(m1.deadline, 3000); // the initial RTO
 * assert.ok(out.kind === "transmit");
 * const got = m2.step({ kind: "frame", from: "m1.lab", frame: out.frame, now: 10 });
 * assert.deepEqual(got, [{ kind: "deliver", from: "m1.lab", env }]);
 * assert.equal(m2.deadline, 10); // the ack waits one turn for a frame to carry it
 * const [ack] = m2.step({ kind: "tick", now: 10 });
 * assert.ok(ack.kind === "transmit" && ack.frame.kind === "ack");
 * assert.deepEqual(m1.step({ kind: "frame", from: "m2.lab", frame: ack.frame, now: 20 }), []);
 * assert.equal(m1.deadline, Infinity);
 * ```
 */
export class ReliableLink {
  /** This machine's incarnation. */
  readonly epoch: number;
  readonly #options: RetransmitOptions | null;
  /** The timeout of a channel before its first frame. */
  readonly #initialRto: number;
  /**
   * The channel of every peer talked to: with something going on (a sender or receiver at work,
   * a timer, an ack due), or at rest with its idle halves only (see {@link IdlePartners}).
   */
  readonly #channels = new Map<string, Channel>();
  readonly #timers = new DeadlineHeap<Scheduled>();
  readonly #acks = new AckQueue();
  /** A timer entry out of the heap that nothing refers to, for the next deadline scheduled. */
  #spare: Scheduled | undefined = undefined;

  /** Links for incarnation `epoch`; `options` null passes raw frames (no reliability). */
  constructor(epoch: number, options: RetransmitOptions | null = {}) {
    this.epoch = epoch;
    this.#options = options;
    // Bad options fail here, not on the first send.
    this.#initialRto = options === null ? 0 : new ReliableSender(epoch, options).rto;
  }

  /** Whether frames are sequenced, acknowledged and retransmitted. */
  get reliable(): boolean {
    return this.#options !== null;
  }

  /** When the link must be ticked next, in ms; `Infinity` when nothing is due. */
  get deadline(): number {
    const timer = this.timersDue, acks = this.#acks.at;
    return acks < timer ? acks : timer;
  }

  /** When pure acks are due (the current turn), or `Infinity`: part of {@link deadline}. */
  get acksDue(): number {
    return this.#acks.at;
  }

  /** The earliest retransmission deadline, or `Infinity`: the rest of {@link deadline}. */
  get timersDue(): number {
    // The entries at the top that their channel no longer refers to go (the last one is kept).
    const timers = this.#timers;
    let top = timers.peek();
    for (; top !== undefined && top.channel.timer !== top; top = timers.peek()) {
      timers.pop();
      this.#spare = top;
    }
    return top === undefined ? Infinity : top.at;
  }

  /** The current retransmission timeout towards `to` (the initial one before any frame). */
  rto(to: string): number {
    if (this.#options === null) return 0;
    const channel = this.#channels.get(to);
    if (channel?.sender !== undefined) return channel.sender.rto;
    const memo = channel?.memo;
    if (memo === undefined) return this.#initialRto;
    return ReliableSender.resume(this.epoch, this.#options, memo).rto;
  }

  /** Takes one input; answers with the effects to carry out, in order. */
  step(input: LinkInput): readonly LinkEffect[] {
    switch (input.kind) {
      case "send":
        return this.send(input.to, input.env, input.now);
      case "frame":
        return this.receive(input.from, input.frame, input.now);
      case "tick":
        return this.tick(input.now);
    }
  }

  /** {@link ReliableLink.step} for a `send` input. */
  send(to: string, env: Envelope, now: number): readonly LinkEffect[] {
    return [{ kind: "transmit", to, frame: this.sendFrame(to, env, now) }];
  }

  /**
   * A `send`'s one effect, the frame to transmit to `to`, without the list around it (the
   * driver's common case).
   *
   * @example The frame of a send
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableLink } from "./reliable_link.ts";
   * const link = new ReliableLink(1);
   * const env = { id: "a@m1.lab#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
   * assert.deepEqual(link.sendFrame("m2.lab", env, 0), { kind: "msg", env, epoch: 1, seq: 1, base: 1 });
   * ```
   */
  sendFrame(to: string, env: Envelope, now: number): MessageFrame {
    if (this.#options === null) return { kind: "msg", env };
    const channel = this.#channel(to);
    const sender = channel.sender ??= this.#resumeSender(channel, this.#options);
    // The frame carries the reverse channel's acknowledgement (see #withAck) from the start.
    this.#acks.withdraw(channel);
    const frame = sender.stamp(env, now, channel.receiver?.acknowledgement ?? channel.acked);
    this.#schedule(channel);
    return frame;
  }

  /** {@link ReliableLink.step} for a `frame` input. */
  receive(from: string, frame: WireFrame, now: number): readonly LinkEffect[] {
    const got = this.take(from, frame, now);
    return isEnvelope(got) ? [{ kind: "deliver", from, env: got }] : got;
  }

  /**
   * {@link ReliableLink.receive} for a driver: when the frame's one effect is to deliver its
   * envelope (the next frame of a channel, with nothing else to do), the envelope itself, without
   * a list of effects around it; else the effects. Either way the link's state is settled first.
   *
   * @example The next frame in order is its envelope
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableLink } from "./reliable_link.ts";
   * const env = (n: number) => ({ id: `a#${n}`, from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: n, lamport: n });
   * const m1 = new ReliableLink(1), m2 = new ReliableLink(1);
   * const first = m1.sendFrame("m2.lab", env(1), 0), second = m1.sendFrame("m2.lab", env(2), 1);
   * // The first frame from a machine starts its incarnation: a list.
   * assert.deepEqual(m2.take("m1.lab", first, 10), [{ kind: "deliver", from: "m1.lab", env: env(1) }]);
   * assert.equal(m2.take("m1.lab", second, 11), second.env);
   * assert.deepEqual(m2.take("m1.lab", second, 12), [
   *   { kind: "event", ev: "duplicate", env: env(2), note: "suppressed" },
   * ]);
   * ```
   */
  take(from: string, frame: WireFrame, now: number): Envelope | readonly LinkEffect[] {
    if (frame.kind === "ack") {
      // No channel at work (none, or one at rest: no sender): an ack changes nothing for an
      // idle sender.
      const channel = this.#channels.get(from);
      if (channel === undefined) return NONE;
      const effects = this.#acknowledged(channel, frame, now, NONE);
      this.#settle(channel);
      return effects;
    }
    if (frame.seq === undefined) return frame.env;
    const channel = this.#channel(from);
    const effects = frame.ack === undefined
      ? NONE
      : this.#acknowledged(channel, frame.ack, now, NONE);
    const receiver = channel.receiver ??= this.#resumeReceiver(channel);
    if (effects === NONE && receiver.next(frame)) {
      this.#acks.add(channel, now);
      this.#settle(channel);
      return frame.env;
    }
    return this.#accept(
      channel,
      receiver,
      frame,
      now,
      effects === NONE ? [] : effects as LinkEffect[],
    );
  }

  /** The general case of {@link take}: whatever the receiver decides of `frame`. */
  #accept(
    channel: Channel,
    receiver: ReliableReceiver,
    frame: MessageFrame,
    now: number,
    effects: LinkEffect[],
  ): readonly LinkEffect[] {
    const from = channel.peer;
    const acceptance = receiver.accept(frame, now);
    if (acceptance.restarted) effects.push({ kind: "restarted", machine: from });
    if (acceptance.ack) this.#acks.add(channel, now);
    if (acceptance.duplicate) {
      effects.push({ kind: "event", ev: "duplicate", env: frame.env, note: "suppressed" });
    }
    for (const env of acceptance.deliver) effects.push({ kind: "deliver", from, env });
    this.#settle(channel);
    return effects;
  }

  /**
   * {@link ReliableLink.step} for a `tick`: the channels whose deadline came expire (in the
   * order they were scheduled), then the pure acks still due go out.
   */
  tick(now: number): readonly LinkEffect[] {
    const effects: LinkEffect[] = [];
    for (
      let top = this.#timers.peek();
      top !== undefined && top.at <= now;
      top = this.#timers.peek()
    ) {
      this.#timers.pop();
      this.#spare = top;
      const channel = top.channel;
      if (channel.timer !== top) continue;
      channel.timer = undefined;
      this.#expire(channel, now, effects);
      this.#settle(channel);
    }
    if (this.#acks.at <= now) {
      this.#acks.flush((channel) => {
        effects.push({ kind: "transmit", to: channel.peer, frame: channel.receiver!.ackFrame() });
        this.#settle(channel);
      });
    }
    return effects;
  }

  #resumeSender(channel: Channel, options: RetransmitOptions): ReliableSender {
    const memo = channel.memo;
    if (memo === undefined) return new ReliableSender(this.epoch, options);
    channel.memo = undefined;
    return ReliableSender.resume(this.epoch, options, memo);
  }

  #resumeReceiver(channel: Channel): ReliableReceiver {
    const acked = channel.acked;
    if (acked === undefined) return new ReliableReceiver();
    channel.acked = undefined;
    return ReliableReceiver.resume(acked);
  }

  #channel(peer: string): Channel {
    let channel = this.#channels.get(peer);
    if (channel === undefined) {
      channel = IdlePartners.open(peer);
      this.#channels.set(peer, channel);
    }
    return channel;
  }

  /**
   * Puts `channel` at rest when nothing goes on there any more: it keeps its idle halves only (a
   * memo and an ack), in place. A channel at rest is in no timer entry that is live and in no
   * ack queue. A channel at work keeps its sender and receiver while they rest (a partner talked
   * to in turns has both at rest once per round trip).
   */
  #settle(channel: Channel): void {
    if (IdlePartners.idle(channel)) IdlePartners.keep(channel);
  }

  /**
   * Every message frame carries the current acknowledgement of the reverse channel, as TCP's
   * segments do: an ack lost with the frame that carried it is repeated by the next frame (or
   * by a retransmission), and a pending pure ack becomes unnecessary.
   */
  #withAck(channel: Channel, frame: MessageFrame): MessageFrame {
    this.#acks.withdraw(channel);
    const ack = channel.receiver?.acknowledgement ?? channel.acked;
    return ack === undefined ? frame : { ...frame, ack };
  }

  /**
   * Applies `ack` to the channel's sender; the effects of the frames it sends again go to
   * `effects`, or to a new list when it is {@link NONE} (which is returned when there are none).
   */
  #acknowledged(
    channel: Channel,
    ack: Acknowledgement,
    now: number,
    effects: readonly LinkEffect[],
  ): readonly LinkEffect[] {
    const sender = channel.sender;
    if (sender === undefined) return effects;
    const resend = sender.acknowledged(ack, now);
    if (resend.length > 0) {
      const out = effects === NONE ? [] : effects as LinkEffect[];
      for (const again of resend) this.#resend(channel, again, out);
      effects = out;
    }
    this.#schedule(channel);
    return effects;
  }

  /**
   * Keeps the channel's scheduled deadline in step with its sender's. A scheduled deadline
   * before the sender's is left alone (the tick schedules again), so that restarting the
   * timeout on every ack costs nothing.
   */
  #schedule(channel: Channel): void {
    const deadline = channel.sender!.deadline;
    const armed = channel.timer;
    if (deadline === undefined) {
      channel.timer = undefined;
      return;
    }
    if (armed !== undefined && armed.at <= deadline) return;
    let entry = this.#spare;
    if (entry === undefined) entry = { at: deadline, order: 0, channel };
    else {
      this.#spare = undefined;
      entry.at = deadline;
      entry.channel = channel;
    }
    channel.timer = entry;
    this.#timers.push(entry);
  }

  #expire(channel: Channel, now: number, effects: LinkEffect[]): void {
    const sender = channel.sender!;
    const { resend, gaveUp } = sender.expire(now);
    for (const again of resend) this.#resend(channel, again, effects);
    for (const entry of gaveUp) {
      const note = `gave up after ${entry.attempts} attempts`;
      effects.push({ kind: "event", ev: "drop", env: entry.frame.env, note });
    }
    if (gaveUp.length > 0) effects.push({ kind: "unreachable", machine: channel.peer });
    this.#schedule(channel);
  }

  #resend(channel: Channel, again: Resend, effects: LinkEffect[]): void {
    const note = again.reason === "timeout"
      ? `attempt ${again.attempts}`
      : `attempt ${again.attempts}, ${again.reason}`;
    effects.push({ kind: "event", ev: "retransmit", env: again.frame.env, note });
    effects.push({
      kind: "transmit",
      to: channel.peer,
      frame: this.#withAck(channel, again.frame),
    });
  }
}
