/**
 * A reliable channel over a lossy network, as pure state machines: sequence numbers,
 * cumulative acknowledgements, retransmission with exponential backoff, duplicate suppression
 * by (sender, sequence) and FIFO delivery per pair of machines. Timers are the caller's.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { AckFrame, MessageFrame } from "./wire.ts";
import type { TimerId } from "./runtime.ts";

/** Retransmission settings. */
export interface RetransmitOptions {
  /** Retransmission timeout in ms until round trips have been measured. @default 40 */
  readonly rto?: number;
  /** Smallest timeout the measured round trips may give, in ms. @default 10 */
  readonly minRto?: number;
  /** Factor applied to the timeout after each retransmission. @default 2 */
  readonly backoff?: number;
  /** Largest timeout in ms. @default 2000 */
  readonly maxRto?: number;
  /** Transmissions (first one included) before giving up. @default 20 */
  readonly maxAttempts?: number;
}

/** A frame waiting for its acknowledgement. */
export interface Unacked {
  /** The frame to (re)send. */
  readonly frame: MessageFrame;
  /** Transmissions so far. */
  attempts: number;
  /** Timeout to wait after the latest transmission. */
  rto: number;
  /** The caller's timer handle. */
  timer: TimerId;
  /** When it was first sent (for round-trip samples). */
  readonly sentAt: number;
}

/**
 * The sending half of a channel towards one machine. Its retransmission timeout adapts to the
 * measured round trips (RFC 6298: smoothed round trip plus four deviations, samples only from
 * frames sent once, as in Karn's algorithm) and backs off exponentially on each retransmission.
 *
 * @example Sequence numbers and cumulative acks
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReliableSender } from "./reliable_channel.ts";
 * const sender = new ReliableSender(1);
 * const env = { id: "a#1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
 * assert.equal(sender.stamp(env).frame.seq, 1);
 * assert.equal(sender.stamp(env).frame.seq, 2);
 * assert.equal(sender.acknowledge({ kind: "ack", epoch: 1, seq: 2 }).length, 2);
 * assert.equal(sender.inFlight, 0);
 * ```
 */
export class ReliableSender {
  /** This machine's incarnation. */
  readonly epoch: number;
  readonly #options: Required<RetransmitOptions>;
  #nextSeq = 1;
  #unacked = new Map<number, Unacked>();
  #srtt = -1;
  #rttvar = 0;
  #rto: number;

  /** Creates the sender for incarnation `epoch`. */
  constructor(epoch: number, options: RetransmitOptions = {}) {
    this.epoch = epoch;
    this.#options = {
      rto: options.rto ?? 40,
      minRto: options.minRto ?? 10,
      backoff: options.backoff ?? 2,
      maxRto: options.maxRto ?? 2000,
      maxAttempts: options.maxAttempts ?? 20,
    };
    this.#rto = this.#options.rto;
  }

  /** The timeout a new frame gets, in ms. */
  get rto(): number {
    return this.#rto;
  }

  /** The smoothed round trip in ms, or `undefined` before the first sample. */
  get srtt(): number | undefined {
    return this.#srtt < 0 ? undefined : this.#srtt;
  }

  /** Frames sent and not yet acknowledged. */
  get inFlight(): number {
    return this.#unacked.size;
  }

  /** Numbers `env`, sent at time `now`, and remembers it until acknowledged. Set `timer` on the result. */
  stamp(env: Envelope, now = 0): Unacked {
    const seq = this.#nextSeq++;
    let base = seq;
    for (const key of this.#unacked.keys()) {
      base = key;
      break;
    }
    const frame: MessageFrame = { kind: "msg", env, epoch: this.epoch, seq, base };
    const entry: Unacked = { frame, attempts: 1, rto: this.#rto, timer: 0, sentAt: now };
    this.#unacked.set(seq, entry);
    return entry;
  }

  /**
   * Applies an acknowledgement received at time `now`; returns the entries it settled (clear
   * their timers). The newest settled frame that was sent only once gives a round-trip sample.
   */
  acknowledge(ack: AckFrame, now?: number): Unacked[] {
    if (ack.epoch !== this.epoch) return [];
    const settled: Unacked[] = [];
    let sample: Unacked | undefined;
    for (const [seq, entry] of this.#unacked) {
      if (seq > ack.seq) break;
      settled.push(entry);
      if (entry.attempts === 1) sample = entry;
      this.#unacked.delete(seq);
    }
    if (sample !== undefined && now !== undefined) this.#measure(now - sample.sentAt);
    return settled;
  }

  #measure(rtt: number): void {
    if (this.#srtt < 0) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const { minRto, maxRto } = this.#options;
    this.#rto = Math.min(maxRto, Math.max(minRto, this.#srtt + 4 * this.#rttvar));
  }

  /**
   * Called when `seq`'s timer fires: returns the frame to send again (with the current base),
   * or `undefined` when it was acknowledged meanwhile or has used all its attempts (then it is
   * forgotten and `gaveUp` is true).
   */
  expire(seq: number): { frame?: MessageFrame; gaveUp: boolean; entry?: Unacked } {
    const entry = this.#unacked.get(seq);
    if (entry === undefined) return { gaveUp: false };
    if (entry.attempts >= this.#options.maxAttempts) {
      this.#unacked.delete(seq);
      return { gaveUp: true, entry };
    }
    entry.attempts++;
    entry.rto = Math.min(entry.rto * this.#options.backoff, this.#options.maxRto);
    let base = seq;
    for (const key of this.#unacked.keys()) {
      base = key;
      break;
    }
    return { frame: { ...entry.frame, base }, gaveUp: false, entry };
  }

  /** Every unacknowledged entry (to cancel their timers on a crash). */
  pending(): IterableIterator<Unacked> {
    return this.#unacked.values();
  }

  /**
   * The oldest unacknowledged frame, when it has been retransmitted (its timeout backed off)
   * and not yet resent since: an acknowledgement proves the peer is reachable again, so it is
   * worth sending now rather than after the backed-off timeout. Returns the frame to send (the
   * entry's timeout is reset to the current one) or `undefined`.
   */
  resendStalled(): { frame: MessageFrame; entry: Unacked } | undefined {
    for (const [seq, entry] of this.#unacked) {
      if (entry.attempts < 2 || entry.rto <= this.#rto) return undefined;
      entry.attempts++;
      entry.rto = this.#rto;
      return { frame: { ...entry.frame, base: seq }, entry };
    }
    return undefined;
  }
}

/** What the receiving half decided about one frame. */
export interface Acceptance {
  /** Envelopes now deliverable, in order. */
  readonly deliver: readonly Envelope[];
  /** The acknowledgement to send back, or `null` for a frame of an older incarnation. */
  readonly ack: AckFrame | null;
  /** The frame had been received before (suppressed). */
  readonly duplicate: boolean;
}

/**
 * The receiving half of a channel from one machine.
 *
 * @example Reordered frames are delivered in order, duplicates once
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReliableReceiver } from "./reliable_channel.ts";
 * const env = (n: number) => ({ id: `a#${n}`, from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: n, lamport: n });
 * const receiver = new ReliableReceiver();
 * assert.equal(receiver.accept({ kind: "msg", env: env(2), epoch: 1, seq: 2, base: 1 }).deliver.length, 0);
 * assert.deepEqual(receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 }).deliver.map((e) => e.body), [1, 2]);
 * assert.ok(receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 }).duplicate);
 * ```
 */
export class ReliableReceiver {
  #epoch = -1;
  #expected = 1;
  #buffer = new Map<number, Envelope>();

  /** Accepts one sequenced frame. */
  accept(frame: MessageFrame): Acceptance {
    const epoch = frame.epoch!, seq = frame.seq!;
    if (epoch < this.#epoch) return { deliver: [], ack: null, duplicate: true };
    if (epoch > this.#epoch) {
      this.#epoch = epoch;
      this.#expected = frame.base ?? 1;
      this.#buffer.clear();
    }
    const deliver: Envelope[] = [];
    if (frame.base !== undefined && frame.base > this.#expected) {
      // The sender gave up on what lies below its base: skip the gap, keep what is buffered.
      for (const key of this.#buffer.keys()) if (key < frame.base) this.#buffer.delete(key);
      this.#expected = frame.base;
      this.#drain(deliver);
    }
    let duplicate = false;
    if (seq < this.#expected || this.#buffer.has(seq)) {
      duplicate = true;
    } else if (seq === this.#expected) {
      deliver.push(frame.env);
      this.#expected++;
      this.#drain(deliver);
    } else {
      this.#buffer.set(seq, frame.env);
    }
    return { deliver, ack: { kind: "ack", epoch, seq: this.#expected - 1 }, duplicate };
  }

  #drain(deliver: Envelope[]): void {
    for (let next = this.#buffer.get(this.#expected); next !== undefined;) {
      this.#buffer.delete(this.#expected);
      deliver.push(next);
      this.#expected++;
      next = this.#buffer.get(this.#expected);
    }
  }
}
