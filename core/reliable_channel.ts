/**
 * A reliable channel over a lossy network, as pure state machines: sequence numbers,
 * cumulative and selective acknowledgements, one retransmission timer per channel with RFC
 * 6298's timeout and backoff ({@link ReliableSender}), duplicate suppression by (sender,
 * sequence) and FIFO delivery per pair of machines ({@link ReliableReceiver}).
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { AckFrame, Acknowledgement, MessageFrame } from "./wire.ts";

export * from "./reliable_sender.ts";

/** What the receiving half decided about one frame. */
export interface Acceptance {
  /** Envelopes now deliverable, in order. */
  readonly deliver: readonly Envelope[];
  /** The acknowledgement to send back, or `null` for a frame of an older incarnation. */
  readonly ack: AckFrame | null;
  /** The frame had been received before (suppressed). */
  readonly duplicate: boolean;
  /** The frame starts a newer incarnation of a sender heard from before (it restarted). */
  readonly restarted: boolean;
}

/**
 * How long after adopting a newer epoch the channel goes back to the previous one when only the
 * previous one keeps sending (see the module doc), in ms.
 */
export const EPOCH_PROOF_MS = 5_000;

/** What a receiver knew of an incarnation it replaced. */
interface Replaced {
  readonly epoch: number;
  readonly expected: number;
  readonly buffer: Map<number, Envelope>;
  readonly ranges: [number, number][];
  /** When the newer epoch was adopted. */
  readonly at: number;
}

/** How many ranges of out-of-order frames an acknowledgement reports, lowest first. */
export const SACK_RANGES = 8;

/**
 * The receiving half of a channel from one machine. Its acknowledgements are cumulative and,
 * when frames arrived out of order, carry the ranges of them it holds (`sack`, the lowest
 * {@link SACK_RANGES}), so that the sender knows which frames are missing.
 *
 * @example Reordered frames are delivered in order, duplicates once
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReliableReceiver } from "./reliable_channel.ts";
 * const env = (n: number) => ({ id: `a#${n}`, from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: n, lamport: n });
 * const receiver = new ReliableReceiver();
 * const early = receiver.accept({ kind: "msg", env: env(2), epoch: 1, seq: 2, base: 1 });
 * assert.equal(early.deliver.length, 0);
 * assert.deepEqual(early.ack, { kind: "ack", epoch: 1, seq: 0, sack: [[2, 2]] });
 * assert.deepEqual(receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 }).deliver.map((e) => e.body), [1, 2]);
 * assert.ok(receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 }).duplicate);
 * ```
 */
export class ReliableReceiver {
  #epoch = -1;
  #expected = 1;
  /** Frames held for an earlier one, by sequence; the shared empty map while there are none. */
  #buffer: Map<number, Envelope> = NO_FRAMES;
  /** Sorted, disjoint, non-adjacent ranges of the buffered sequence numbers. */
  #ranges: [number, number][] = NO_RANGES;
  /** `[seq, tx]` of the latest frame taken, when it was a retransmission. */
  #rtx: readonly [number, number] | undefined;
  #cached: Acknowledgement | undefined;
  /** The incarnation the current epoch replaced, until the current one sends a second frame. */
  #replaced: Replaced | undefined;

  /**
   * A receiver taken back from the {@link ReliableReceiver.acknowledgement} of an
   * {@link ReliableReceiver.idle} one: that is all an idle receiver must keep (a link keeps it
   * for each partner not sending right now).
   *
   * @example An idle receiver kept as its acknowledgement
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableReceiver } from "./reliable_channel.ts";
   * const env = (n: number) => ({ id: `a#${n}`, from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: n, lamport: n });
   * const receiver = new ReliableReceiver();
   * receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 });
   * assert.ok(receiver.idle);
   * const again = ReliableReceiver.resume(receiver.acknowledgement!);
   * assert.ok(again.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 }).duplicate);
   * assert.equal(again.accept({ kind: "msg", env: env(2), epoch: 1, seq: 2, base: 1 }).deliver.length, 1);
   * ```
   */
  static resume(ack: Acknowledgement): ReliableReceiver {
    const receiver = new ReliableReceiver();
    receiver.#epoch = ack.epoch;
    receiver.#expected = ack.seq + 1;
    receiver.#rtx = ack.rtx;
    receiver.#cached = ack;
    return receiver;
  }

  /**
   * Whether its acknowledgement says all it knows: a frame has come, none is held for an
   * earlier one, and no earlier incarnation of the sender is remembered.
   */
  get idle(): boolean {
    return this.#epoch >= 0 && this.#buffer === NO_FRAMES && this.#replaced === undefined;
  }

  /** The acknowledgement of what arrived so far (to carry on a frame), or `undefined` before any. */
  get acknowledgement(): Acknowledgement | undefined {
    if (this.#epoch < 0) return undefined;
    if (this.#cached !== undefined) return this.#cached;
    const { epoch, seq, sack, rtx } = this.#ack();
    this.#cached = sack === undefined && rtx === undefined
      ? { epoch, seq }
      : rtx === undefined
      ? { epoch, seq, sack }
      : { epoch, seq, sack, rtx };
    return this.#cached;
  }

  /**
   * Accepts one sequenced frame received at time `now` (the clock decides when a newer epoch
   * that went silent is judged forged; see the module doc).
   */
  accept(frame: MessageFrame, now = 0): Acceptance {
    const epoch = frame.epoch!, seq = frame.seq!;
    let restarted = false;
    if (epoch < this.#epoch) {
      const replaced = this.#replaced;
      if (
        replaced === undefined || epoch !== replaced.epoch || now - replaced.at < EPOCH_PROOF_MS
      ) {
        return { deliver: [], ack: null, duplicate: true, restarted: false };
      }
      // The newer epoch said one thing and fell silent while this one kept on: forged.
      this.#restore(replaced);
      restarted = true;
    } else if (epoch === this.#epoch) {
      this.#replaced = undefined;
    }
    this.#cached = undefined;
    if (epoch > this.#epoch) {
      restarted = this.#epoch >= 0;
      this.#replaced = restarted
        ? {
          epoch: this.#epoch,
          expected: this.#expected,
          buffer: this.#buffer,
          ranges: this.#ranges,
          at: now,
        }
        : undefined;
      this.#epoch = epoch;
      this.#expected = frame.base ?? 1;
      this.#buffer = NO_FRAMES;
      this.#ranges = NO_RANGES;
      this.#rtx = undefined;
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
    } else {
      this.#rtx = frame.tx === undefined ? undefined : [seq, frame.tx];
    }
    if (duplicate) {
      // Nothing changes.
    } else if (seq === this.#expected) {
      deliver.push(frame.env);
      this.#expected++;
      this.#drain(deliver);
    } else {
      if (this.#buffer === NO_FRAMES) {
        this.#buffer = new Map();
        this.#ranges = [];
      }
      this.#buffer.set(seq, frame.env);
      this.#insert(seq);
    }
    return { deliver, ack: this.#ack(), duplicate, restarted };
  }

  /**
   * Takes `frame` when it is simply the next of the current incarnation, with nothing held
   * (what {@link ReliableReceiver.accept} would decide: deliver its envelope, nothing else, an
   * acknowledgement due): `true`. Otherwise `false`, and nothing changed: call `accept`.
   *
   * @example The next frame in order, then one that needs `accept`
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableReceiver } from "./reliable_channel.ts";
   * const env = (n: number) => ({ id: `a#${n}`, from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: n, lamport: n });
   * const receiver = new ReliableReceiver();
   * receiver.accept({ kind: "msg", env: env(1), epoch: 1, seq: 1, base: 1 });
   * assert.ok(receiver.next({ kind: "msg", env: env(2), epoch: 1, seq: 2, base: 2 }));
   * assert.deepEqual(receiver.ackFrame(), { kind: "ack", epoch: 1, seq: 2 });
   * assert.ok(!receiver.next({ kind: "msg", env: env(4), epoch: 1, seq: 4, base: 4 }));
   * ```
   */
  next(frame: MessageFrame): boolean {
    const seq = frame.seq, base = frame.base;
    if (
      frame.epoch !== this.#epoch || seq !== this.#expected || this.#epoch < 0 ||
      this.#buffer !== NO_FRAMES || (base !== undefined && base > seq)
    ) return false;
    this.#replaced = undefined;
    this.#cached = undefined;
    this.#rtx = frame.tx === undefined ? undefined : [seq, frame.tx];
    this.#expected++;
    return true;
  }

  /** The acknowledgement frame of what arrived so far (what the last `accept` answered). */
  ackFrame(): AckFrame {
    return this.#ack();
  }

  #restore(replaced: Replaced): void {
    this.#epoch = replaced.epoch;
    this.#expected = replaced.expected;
    this.#buffer = replaced.buffer;
    this.#ranges = replaced.ranges;
    this.#rtx = undefined;
    this.#replaced = undefined;
  }

  #ack(): AckFrame {
    const seq = this.#expected - 1, epoch = this.#epoch, rtx = this.#rtx;
    if (this.#ranges.length === 0) {
      return rtx === undefined ? { kind: "ack", epoch, seq } : { kind: "ack", epoch, seq, rtx };
    }
    const sack = this.#ranges.slice(0, SACK_RANGES).map(([a, b]) => [a, b] as const);
    return rtx === undefined
      ? { kind: "ack", epoch, seq, sack }
      : { kind: "ack", epoch, seq, sack, rtx };
  }

  #insert(seq: number): void {
    const ranges = this.#ranges;
    let lo = 0, hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ranges[mid][0] < seq) lo = mid + 1;
      else hi = mid;
    }
    // ranges[lo - 1] starts before seq; ranges[lo] starts after it.
    const before = ranges[lo - 1], after = ranges[lo];
    const joinsBefore = before !== undefined && before[1] + 1 === seq;
    const joinsAfter = after !== undefined && after[0] - 1 === seq;
    if (joinsBefore && joinsAfter) {
      before[1] = after[1];
      ranges.splice(lo, 1);
    } else if (joinsBefore) {
      before[1] = seq;
    } else if (joinsAfter) {
      after[0] = seq;
    } else {
      ranges.splice(lo, 0, [seq, seq]);
    }
  }

  #drain(deliver: Envelope[]): void {
    for (let next = this.#buffer.get(this.#expected); next !== undefined;) {
      this.#buffer.delete(this.#expected);
      deliver.push(next);
      this.#expected++;
      next = this.#buffer.get(this.#expected);
    }
    const ranges = this.#ranges;
    let drop = 0;
    while (drop < ranges.length && ranges[drop][1] < this.#expected) drop++;
    if (drop > 0) ranges.splice(0, drop);
    if (ranges.length > 0 && ranges[0][0] < this.#expected) ranges[0][0] = this.#expected;
    // A receiver that holds nothing keeps no map: most channels are in order most of the time.
    if (this.#buffer.size === 0 && ranges.length === 0) {
      this.#buffer = NO_FRAMES;
      this.#ranges = NO_RANGES;
    }
  }
}

/** The held frames of every receiver that holds none (never written). */
const NO_FRAMES: Map<number, Envelope> = new Map();
/** The ranges of every receiver that holds no frame (never written). */
const NO_RANGES: [number, number][] = [];
