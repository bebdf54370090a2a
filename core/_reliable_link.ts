/**
 * A machine's links to the other machines: raw frames, or a reliable channel per peer machine
 * (sequence numbers, one retransmission timer per channel, duplicate suppression, FIFO,
 * cumulative acks that wait one scheduling turn so that a reply can carry them).
 *
 * An ack waits at most one scheduling turn (0 ms of virtual time; one host macrotask on a real
 * host), so a piggybacked ack inflates a round-trip sample by that turn only, and the samples
 * include it, as they should: the timeout must cover it.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import {
  ReliableReceiver,
  ReliableSender,
  type Resend,
  type RetransmitOptions,
} from "./reliable_channel.ts";
import type { TimerId } from "./runtime.ts";
import type { AckFrame, Acknowledgement, MessageFrame, WireFrame } from "./wire.ts";

/** What a link needs from its machine. */
export interface LinkHost {
  /** The machine's name. */
  readonly name: string;
  /** Puts a frame on the network. */
  transmit(to: string, frame: WireFrame): void;
  /** Starts a timer owned by the machine (cancelled when it crashes). */
  setTimer(delay: number, callback: () => void): TimerId;
  /** Cancels a timer. */
  clearTimer(id: TimerId): void;
  /** The machine's clock, for round-trip samples. */
  now(): number;
  /** Hands an envelope that arrived (in order, once) to the machine. */
  deliver(env: Envelope): void;
  /** Records a link event about `env`. */
  event(ev: "retransmit" | "drop" | "duplicate", env: Envelope, note: string): void;
  /** Machine `machine` restarted (its frames carry a newer incarnation). */
  peerRestarted(machine: string): void;
  /** The channel to `machine` gave up on its frames. */
  unreachable(machine: string): void;
}

/** The links of one machine incarnation. */
export class ReliableLinks {
  readonly #host: LinkHost;
  readonly #epoch: number;
  readonly #options: RetransmitOptions | null;
  readonly #senders = new Map<string, ReliableSender>();
  readonly #receivers = new Map<string, ReliableReceiver>();
  readonly #acksDue = new Map<string, { ack: AckFrame; timer: TimerId }>();
  /** The one retransmission timer per peer, and when it fires (it may fire early: see #sync). */
  readonly #timers = new Map<string, { id: TimerId; at: number }>();

  /** Links for incarnation `epoch`; `options` null sends raw frames (no reliability). */
  constructor(host: LinkHost, epoch: number, options: RetransmitOptions | null) {
    this.#host = host;
    this.#epoch = epoch;
    this.#options = options;
  }

  /** The current retransmission timeout of the channel to `to` (its first one if none yet). */
  rto(to: string): number {
    if (this.#options === null) return 0;
    let sender = this.#senders.get(to);
    if (sender === undefined) {
      this.#senders.set(to, sender = new ReliableSender(this.#epoch, this.#options));
    }
    return sender.rto;
  }

  /** Sends `env` to its machine `to`. */
  send(to: string, env: Envelope): void {
    if (this.#options === null) {
      this.#host.transmit(to, { kind: "msg", env });
      return;
    }
    let sender = this.#senders.get(to);
    if (sender === undefined) {
      this.#senders.set(to, sender = new ReliableSender(this.#epoch, this.#options));
    }
    const frame = sender.stamp(env, this.#host.now());
    this.#sync(to, sender);
    this.#host.transmit(to, this.#withAck(to, frame));
  }

  /** Takes a frame from machine `from`. */
  receive(from: string, frame: WireFrame): void {
    if (frame.kind === "ack") {
      this.#acknowledged(from, frame);
      return;
    }
    if (frame.seq === undefined) {
      this.#host.deliver(frame.env);
      return;
    }
    if (frame.ack !== undefined) this.#acknowledged(from, frame.ack);
    let receiver = this.#receivers.get(from);
    if (receiver === undefined) this.#receivers.set(from, receiver = new ReliableReceiver());
    const acceptance = receiver.accept(frame, this.#host.now());
    if (acceptance.restarted) this.#host.peerRestarted(from);
    if (acceptance.ack) this.#scheduleAck(from, acceptance.ack);
    if (acceptance.duplicate) this.#host.event("duplicate", frame.env, "suppressed");
    for (const env of acceptance.deliver) this.#host.deliver(env);
  }

  /**
   * Every message frame carries the current acknowledgement of the reverse channel, as TCP's
   * segments do: an ack lost with the frame that carried it is repeated by the next frame (or
   * by a retransmission), and a pending pure ack becomes unnecessary.
   */
  #withAck(to: string, frame: MessageFrame): MessageFrame {
    const due = this.#acksDue.get(to);
    if (due !== undefined) {
      this.#acksDue.delete(to);
      this.#host.clearTimer(due.timer);
    }
    const ack = this.#receivers.get(to)?.acknowledgement;
    return ack === undefined ? frame : { ...frame, ack };
  }

  #acknowledged(from: string, ack: Acknowledgement): void {
    const sender = this.#senders.get(from);
    if (sender === undefined) return;
    const { resend } = sender.acknowledge(ack, this.#host.now());
    for (const again of resend) this.#resend(from, again);
    this.#sync(from, sender);
  }

  #scheduleAck(to: string, ack: AckFrame): void {
    const due = this.#acksDue.get(to);
    if (due !== undefined) {
      due.ack = ack;
      return;
    }
    const entry = { ack, timer: 0 as TimerId };
    this.#acksDue.set(to, entry);
    entry.timer = this.#host.setTimer(0, () => {
      if (this.#acksDue.get(to) !== entry) return;
      this.#acksDue.delete(to);
      this.#host.transmit(to, entry.ack);
    });
  }

  /**
   * Keeps the peer's one host timer in step with its sender's deadline. A timer that would fire
   * before the deadline is left alone (it re-arms itself when it fires), so that restarting the
   * timeout on every ack costs no timer churn.
   */
  #sync(to: string, sender: ReliableSender): void {
    const deadline = sender.deadline;
    const armed = this.#timers.get(to);
    if (deadline === undefined) {
      if (armed !== undefined) {
        this.#host.clearTimer(armed.id);
        this.#timers.delete(to);
      }
      return;
    }
    if (armed !== undefined) {
      if (armed.at <= deadline) return;
      this.#host.clearTimer(armed.id);
    }
    const entry = { id: 0 as TimerId, at: deadline };
    this.#timers.set(to, entry);
    entry.id = this.#host.setTimer(deadline - this.#host.now(), () => {
      if (this.#timers.get(to) !== entry) return;
      this.#timers.delete(to);
      this.#expire(to, sender);
    });
  }

  #expire(to: string, sender: ReliableSender): void {
    const { resend, gaveUp } = sender.expire(this.#host.now());
    for (const again of resend) this.#resend(to, again);
    for (const entry of gaveUp) {
      this.#host.event("drop", entry.frame.env, `gave up after ${entry.attempts} attempts`);
    }
    if (gaveUp.length > 0) this.#host.unreachable(to);
    this.#sync(to, sender);
  }

  #resend(to: string, again: Resend): void {
    const note = again.reason === "timeout"
      ? `attempt ${again.attempts}`
      : `attempt ${again.attempts}, ${again.reason}`;
    this.#host.event("retransmit", again.frame.env, note);
    this.#host.transmit(to, this.#withAck(to, again.frame));
  }
}
