/**
 * A machine's links to the other machines: raw frames, or a reliable channel per peer machine
 * (sequence numbers, retransmission timers, duplicate suppression, FIFO, cumulative acks that
 * wait one scheduling turn so that a reply can carry them).
 * @module
 */
import type { Envelope } from "./envelope.ts";
import {
  ReliableReceiver,
  ReliableSender,
  type RetransmitOptions,
  type Unacked,
} from "./reliable_channel.ts";
import type { TimerId } from "./runtime.ts";
import type { AckFrame, WireFrame } from "./wire.ts";

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
}

/** The links of one machine incarnation. */
export class ReliableLinks {
  readonly #host: LinkHost;
  readonly #epoch: number;
  readonly #options: RetransmitOptions | null;
  readonly #senders = new Map<string, ReliableSender>();
  readonly #receivers = new Map<string, ReliableReceiver>();
  readonly #acksDue = new Map<string, { ack: AckFrame; timer: TimerId }>();

  /** Links for incarnation `epoch`; `options` null sends raw frames (no reliability). */
  constructor(host: LinkHost, epoch: number, options: RetransmitOptions | null) {
    this.#host = host;
    this.#epoch = epoch;
    this.#options = options;
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
    const entry = sender.stamp(env, this.#host.now());
    this.#arm(to, sender, entry);
    const due = this.#acksDue.get(to);
    if (due === undefined) {
      this.#host.transmit(to, entry.frame);
      return;
    }
    this.#acksDue.delete(to);
    this.#host.clearTimer(due.timer);
    this.#host.transmit(to, { ...entry.frame, ack: { epoch: due.ack.epoch, seq: due.ack.seq } });
  }

  /** Takes a frame from machine `from`. */
  receive(from: string, frame: WireFrame): void {
    if (frame.kind === "ack") {
      this.#acknowledged(from, frame.epoch, frame.seq);
      return;
    }
    if (frame.seq === undefined) {
      this.#host.deliver(frame.env);
      return;
    }
    if (frame.ack !== undefined) this.#acknowledged(from, frame.ack.epoch, frame.ack.seq);
    let receiver = this.#receivers.get(from);
    if (receiver === undefined) this.#receivers.set(from, receiver = new ReliableReceiver());
    const acceptance = receiver.accept(frame);
    if (acceptance.ack) this.#scheduleAck(from, acceptance.ack);
    if (acceptance.duplicate) this.#host.event("duplicate", frame.env, "suppressed");
    for (const env of acceptance.deliver) this.#host.deliver(env);
  }

  #acknowledged(from: string, epoch: number, seq: number): void {
    const settled = this.#senders.get(from)?.acknowledge(
      { kind: "ack", epoch, seq },
      this.#host.now(),
    );
    if (settled === undefined) return;
    for (const entry of settled) this.#host.clearTimer(entry.timer);
    const stalled = this.#senders.get(from)!.resendStalled();
    if (stalled === undefined) return;
    this.#host.clearTimer(stalled.entry.timer);
    this.#host.event(
      "retransmit",
      stalled.frame.env,
      `attempt ${stalled.entry.attempts}, peer answers again`,
    );
    this.#host.transmit(from, stalled.frame);
    this.#arm(from, this.#senders.get(from)!, stalled.entry);
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

  #arm(to: string, sender: ReliableSender, entry: Unacked): void {
    entry.timer = this.#host.setTimer(entry.rto, () => {
      const result = sender.expire(entry.frame.seq!);
      if (result.frame) {
        this.#host.event("retransmit", entry.frame.env, `attempt ${entry.attempts}`);
        this.#host.transmit(to, result.frame);
        this.#arm(to, sender, entry);
      } else if (result.gaveUp) {
        this.#host.event("drop", entry.frame.env, `gave up after ${entry.attempts} attempts`);
      }
    });
  }
}
