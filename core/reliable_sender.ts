/**
 * The sending half of a reliable channel, as a pure state machine: sequence numbers, one
 * retransmission timer per channel with RFC 6298's timeout, Karn's rule and a backoff kept until
 * a valid sample, and loss detection from selective acks (RACK, RFC 8985). The caller owns the
 * clock and the one timer: it arms it for {@link ReliableSender.deadline}.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { Rack } from "./_rack.ts";
import { RtoEstimator, type RtoOptions } from "./rto_estimator.ts";
import type { Expiry, Resend, RetransmitOptions, SenderMemo, Unacked } from "./retransmission.ts";
import type { Acknowledgement, MessageFrame } from "./wire.ts";

export * from "./retransmission.ts";

interface Entry extends Unacked {
  /** Its sequence number. */
  seq: number;
  /** A selective ack reported it received (it waits there for an earlier frame). */
  sacked: boolean;
  /** The frame as first sent (written again when a settled entry is taken by the next frame). */
  frame: MessageFrame;
  /** When it was first sent. */
  sentAt: number;
}

/**
 * The sending half of a channel towards one machine.
 *
 * One retransmission timer serves the whole channel, managed as RFC 6298 §5 says: started when a
 * frame is sent and it is not running, restarted by an acknowledgement of new frames, stopped when
 * nothing is outstanding; on expiry the earliest outstanding frame is sent again and the timeout
 * doubles, and that backed-off timeout is kept for the frames that follow until a valid sample
 * arrives. A sample is valid only from a frame transmitted once (Karn): the newest frame a
 * cumulative ack settles when it settles no retransmitted one, or a frame a selective ack reports
 * for the first time.
 *
 * Losses are found sooner from selective acks (RACK, RFC 8985): a frame is lost when a frame
 * sent after it arrived and it has been out for that frame's round trip plus a reordering window
 * (the round-trip variation, so that jitter is not taken for loss; at least a quarter round trip
 * once the network has been seen to reorder; a timer covers the remainder). A retransmission that arrives is such evidence too (the receiver
 * says which copy it took, `rtx`), so after a timeout the frames sent before it follow the
 * earliest one as soon as its ack comes back, but not when the original arrived after all. A
 * lost last frame, or a lost ack, leaves no such evidence: when no ack comes for two smoothed
 * round trips (at least half the minimum RTO), the last frame is sent again once as a
 * probe (TLP, RFC 8985 §7), without backing off or postponing the timeout; its ack reveals
 * what is missing. A receiver that lost frames it had reported received (its machine restarted)
 * is noticed from the next ack, and those frames go again (reneging, RFC 2018 §8). When
 * the channel has backed off at least twice and the peer answers without acknowledging anything
 * new, the earliest frame is sent again at once, once per expiry: the peer is reachable again.
 *
 * @example Sequence numbers, cumulative acks, one timer
 * ```ts
 * import assert from "node:assert/strict";
 * import { ReliableSender } from "./reliable_sender.ts";
 * const sender = new ReliableSender(1);
 * const env = { id: "a#1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
 * assert.equal(sender.stamp(env, 0).seq, 1);
 * assert.equal(sender.stamp(env, 0).seq, 2);
 * assert.equal(sender.deadline, 3000); // one timer for the channel, initial RTO 3 s
 * assert.equal(sender.acknowledge({ epoch: 1, seq: 2 }, 10).settled.length, 2);
 * assert.equal(sender.inFlight, 0);
 * assert.equal(sender.deadline, undefined);
 * ```
 */
export class ReliableSender {
  /** This machine's incarnation. */
  readonly epoch: number;
  readonly #estimator: RtoEstimator;
  readonly #maxAttempts: number;
  readonly #minProbe: number;
  #nextSeq = 1;
  /**
   * The frames not yet acknowledged, in sequence order, from {@link #head} to {@link #tail}: a
   * cumulative ack settles a prefix, so a queue does (a map made per round trip and hashed per
   * frame was a tenth of the sender's time). The array is kept while the sender lives; a link
   * keeps an idle sender only as its {@link ReliableSender.memo}.
   */
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  #tail = 0;
  /** An entry settled and returned to nobody, for the next frame (one a round trip otherwise). */
  #spare: Entry | undefined = undefined;
  #rtoDeadline: number | undefined;
  #probeDeadline: number | undefined;
  /** A probe was sent and no ack has come since. */
  #probing = false;
  readonly #rack = new Rack();
  /** Outstanding frames that were resent or reported received: loss detection has work. */
  #marked = 0;
  #stallResent = false;

  /** Creates the sender for incarnation `epoch`. */
  constructor(epoch: number, options: RetransmitOptions = {}) {
    this.epoch = epoch;
    let rto = RTO_OPTIONS.get(options);
    if (rto === undefined) {
      rto = {
        initial: options.rto,
        min: options.minRto,
        max: options.maxRto,
        granularity: options.granularity,
        backoff: options.backoff,
      };
      RTO_OPTIONS.set(options, rto);
    }
    this.#estimator = new RtoEstimator(rto);
    this.#maxAttempts = options.maxAttempts ?? 20;
    this.#minProbe = (options.minRto ?? 200) / 2;
    if (!(this.#maxAttempts >= 1)) {
      throw new RangeError(
        `Cannot create reliable sender: maxAttempts ${this.#maxAttempts} must be 1 or more`,
      );
    }
  }

  /**
   * A sender taken back from the {@link ReliableSender.memo} of an idle one with the same
   * `epoch` and `options`: it goes on as that one would have.
   */
  static resume(epoch: number, options: RetransmitOptions, memo: SenderMemo): ReliableSender {
    const sender = new ReliableSender(epoch, options);
    sender.#estimator.restore(memo);
    sender.#rack.restore(memo);
    sender.#nextSeq = memo.nextSeq;
    sender.#probing = memo.probing;
    sender.#stallResent = memo.stallResent;
    return sender;
  }

  /** Whether nothing is outstanding and no deadline is set (see {@link ReliableSender.memo}). */
  get idle(): boolean {
    return this.#head === this.#tail && this.deadline === undefined;
  }

  /**
   * What an {@link ReliableSender.idle} sender must keep, in about a third of its size: a link
   * keeps this for each partner it is not talking to right now, and takes the sender back with
   * {@link ReliableSender.resume} when it next sends there.
   *
   * @example An idle sender kept as a memo and taken back
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableSender } from "./reliable_sender.ts";
   * const env = { id: "a#1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
   * const sender = new ReliableSender(1);
   * sender.stamp(env, 0);
   * sender.acknowledge({ epoch: 1, seq: 1 }, 100);
   * assert.ok(sender.idle);
   * const again = ReliableSender.resume(1, {}, sender.memo());
   * assert.equal(again.rto, sender.rto);
   * assert.equal(again.stamp(env, 200).seq, 2);
   * ```
   */
  memo(): SenderMemo {
    const rto = this.#estimator.snapshot(), rack = this.#rack;
    return {
      nextSeq: this.#nextSeq,
      srtt: rto.srtt,
      rttvar: rto.rttvar,
      base: rto.base,
      backoffs: rto.backoffs,
      xmit: rack.xmit,
      rackSeq: rack.rackSeq,
      rackRtt: rack.rackRtt,
      known: rack.known,
      reordering: rack.reordering,
      probing: this.#probing,
      stallResent: this.#stallResent,
    };
  }

  /** The channel's current timeout in ms (backoff included). */
  get rto(): number {
    return this.#estimator.rto;
  }

  /** The smoothed round trip in ms, or `undefined` before the first valid sample. */
  get srtt(): number | undefined {
    return this.#estimator.srtt;
  }

  /** Expiries since the last valid sample. */
  get backoffs(): number {
    return this.#estimator.backoffs;
  }

  /** Frames sent and not yet acknowledged. */
  get inFlight(): number {
    return this.#tail - this.#head;
  }

  /** When the channel's timer must fire next, or `undefined` when it is stopped. */
  get deadline(): number | undefined {
    let deadline = this.#rtoDeadline;
    const rack = this.#rack.deadline, probe = this.#probeDeadline;
    if (rack !== undefined && (deadline === undefined || rack < deadline)) deadline = rack;
    if (probe !== undefined && (deadline === undefined || probe < deadline)) deadline = probe;
    return deadline;
  }

  /**
   * Numbers `env`, sent at time `now`, and remembers it until acknowledged; the frame carries
   * `ack`, the acknowledgement of the reverse channel, when given (as its last field).
   */
  stamp(env: Envelope, now: number, ack?: Acknowledgement): MessageFrame {
    const seq = this.#nextSeq++, epoch = this.epoch, base = this.#base(seq);
    const frame: MessageFrame = ack === undefined
      ? { kind: "msg", env, epoch, seq, base }
      : { kind: "msg", env, epoch, seq, base, ack };
    const spare = this.#spare;
    if (spare === undefined) {
      this.#queue[this.#tail++] = {
        frame,
        seq,
        attempts: 1,
        sentAt: now,
        lastSent: now,
        sacked: false,
      };
    } else {
      this.#spare = undefined;
      spare.frame = frame;
      spare.seq = seq;
      spare.attempts = 1;
      spare.sentAt = spare.lastSent = now;
      spare.sacked = false;
      this.#queue[this.#tail++] = spare;
    }
    this.#rtoDeadline ??= now + this.#estimator.rto;
    this.#armProbe(now);
    return frame;
  }

  /**
   * Applies an acknowledgement received at time `now`: returns the entries it settled and the
   * frames to send again at once.
   */
  acknowledge(ack: Acknowledgement, now: number): { settled: Unacked[]; resend: Resend[] } {
    const settled: Unacked[] = [];
    const resend = this.#acknowledge(ack, now, settled);
    return { settled, resend: resend === NO_RESEND ? [] : resend };
  }

  /**
   * {@link ReliableSender.acknowledge} for a link, which needs only the frames to send again:
   * none is a shared empty list.
   *
   * @example An ack that settles the one frame out
   * ```ts
   * import assert from "node:assert/strict";
   * import { ReliableSender } from "./reliable_sender.ts";
   * const sender = new ReliableSender(1);
   * const env = { id: "a#1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
   * sender.stamp(env, 0);
   * assert.deepEqual(sender.acknowledged({ epoch: 1, seq: 1 }, 10), []);
   * assert.equal(sender.inFlight, 0);
   * ```
   */
  acknowledged(ack: Acknowledgement, now: number): readonly Resend[] {
    return this.#acknowledge(ack, now, undefined);
  }

  #acknowledge(ack: Acknowledgement, now: number, settled: Unacked[] | undefined): Resend[] {
    if (ack.epoch !== this.epoch) return NO_RESEND;
    // Loss detection has work only where frames were resent or reported received.
    const detect = this.#marked > 0 || ack.sack !== undefined;
    const queue = this.#queue, rack = this.#rack, rtx = ack.rtx;
    let retransmitted = false, settling = 0, delivered = 0;
    let sample: Entry | undefined;
    for (let entry = queue[this.#head]; entry !== undefined && entry.seq <= ack.seq;) {
      settled?.push(entry);
      settling++;
      if (entry.attempts > 1) retransmitted = true;
      if (entry.sacked || entry.attempts > 1) this.#marked--;
      if (!entry.sacked) {
        // RACK learns of the frames in the order they are settled, then selectively acked.
        rack.delivered(entry, now, rtx);
        delivered++;
        sample = entry;
      }
      queue[this.#head++] = undefined;
      // Nobody holds a settled entry when it is not returned: the next frame takes it.
      if (settled === undefined) this.#spare = entry;
      entry = this.#head < this.#tail ? queue[this.#head] : undefined;
    }
    if (this.#head === this.#tail) this.#empty();
    if (retransmitted) sample = undefined;
    const reneged = this.#reneged(ack);
    if (ack.sack !== undefined) {
      sample = this.#selective(ack.sack, now, rtx, sample);
      delivered += this.#sacked;
    }
    if (sample !== undefined) this.#estimator.sample(now - sample.sentAt);
    if (delivered > 0) this.#probing = false;
    if (settling > 0) {
      // RFC 6298 (5.2), (5.3).
      this.#rtoDeadline = this.#head === this.#tail ? undefined : now + this.#estimator.rto;
      this.#probeDeadline = undefined;
      this.#armProbe(now);
    }
    const resend = detect || reneged ? this.#detectLost(now) : NO_RESEND;
    const earliest = this.#earliest();
    if (
      resend.length === 0 && settling === 0 && earliest !== undefined &&
      this.#estimator.backoffs >= 2 && !this.#stallResent
    ) {
      this.#stallResent = true;
      return [this.#again(earliest, now, "peer answers")];
    }
    return resend;
  }

  /**
   * The channel's timer fired at time `now`. Before the deadline it does nothing (the caller
   * arms its timer again for {@link deadline}). At RACK's deadline it resends the frames now lost;
   * at the retransmission deadline it resends the earliest frame and backs off, or after
   * `maxAttempts` transmissions of it gives up every outstanding frame (the next frame's `base`
   * tells the receiver to skip them) and forgets its round-trip estimates.
   */
  expire(now: number): Expiry {
    const resend: Resend[] = [];
    if (this.#rack.deadline !== undefined && now >= this.#rack.deadline) {
      resend.push(...this.#detectLost(now));
    }
    if (this.#probeDeadline !== undefined && now >= this.#probeDeadline) {
      this.#probeDeadline = undefined;
      const last = this.#last();
      if (last !== undefined && this.#rtoDeadline !== undefined && now < this.#rtoDeadline) {
        // The retransmission timeout stays where it was (as Linux arms it from the earliest
        // frame): a probe after every new frame must not postpone it forever, or an earliest
        // frame that probes cannot repair would never be sent again.
        this.#probing = true;
        resend.push(this.#again(last, now, "probe"));
      }
    }
    if (this.#rtoDeadline === undefined || now < this.#rtoDeadline) return { resend, gaveUp: [] };
    const earliest = this.#earliest();
    if (earliest === undefined) {
      this.#rtoDeadline = undefined;
      return { resend, gaveUp: [] };
    }
    if (earliest.attempts >= this.#maxAttempts) {
      const gaveUp: Unacked[] = this.#entries();
      this.#empty();
      this.#rtoDeadline = this.#probeDeadline = undefined;
      this.#rack.reset();
      this.#probing = false;
      this.#marked = 0;
      this.#estimator.reset();
      return { resend: [], gaveUp };
    }
    // RFC 6298 (5.4) to (5.6).
    this.#estimator.backOff();
    this.#stallResent = false;
    this.#rtoDeadline = now + this.#estimator.rto;
    if (earliest.lastSent < now) resend.unshift(this.#again(earliest, now, "timeout"));
    return { resend, gaveUp: [] };
  }

  /**
   * Whether the receiver lost frames it had reported received (reneging, RFC 2018 §8: here, its
   * machine restarted and the new incarnation holds nothing of the old one's buffer): the
   * earliest outstanding frame was reported received, yet the cumulative ack stops right below
   * it and the selective ack leaves it out. Then the reports that this ack does not repeat are
   * forgotten, so that loss detection sends those frames again. (An ack that the network
   * delayed past a later one looks the same; it costs a spurious retransmission at most.)
   */
  #reneged(ack: Acknowledgement): boolean {
    const head = this.#earliest();
    if (head === undefined || !head.sacked || head.seq !== ack.seq + 1) return false;
    const sack = ack.sack ?? NO_RANGES;
    if (covers(sack, head.seq)) return false;
    // The ack reports its lowest ranges only: above the last one it says nothing.
    const limit = sack.length === 0 ? Infinity : sack[sack.length - 1][1];
    const queue = this.#queue;
    for (let i = this.#head; i < this.#tail; i++) {
      const entry = queue[i]!;
      if (entry.seq > limit) break;
      if (!entry.sacked || covers(sack, entry.seq)) continue;
      entry.sacked = false;
      if (entry.attempts === 1) this.#marked--;
    }
    return true;
  }

  /**
   * Marks the frames in the `sack` ranges received (RACK learns of each); returns the sample to
   * take, if any, and leaves in {@link #sacked} how many it marked.
   */
  #selective(
    sack: readonly (readonly [number, number])[],
    now: number,
    rtx: readonly [number, number] | undefined,
    sample: Entry | undefined,
  ): Entry | undefined {
    let r = 0;
    this.#sacked = 0;
    const queue = this.#queue;
    for (let i = this.#head; i < this.#tail; i++) {
      const entry = queue[i]!, seq = entry.seq;
      while (r < sack.length && sack[r][1] < seq) r++;
      if (r === sack.length) break;
      if (seq < sack[r][0] || entry.sacked) continue;
      entry.sacked = true;
      if (entry.attempts === 1) this.#marked++;
      this.#rack.delivered(entry, now, rtx);
      this.#sacked++;
      if (entry.attempts === 1 && (sample === undefined || entry.lastSent >= sample.lastSent)) {
        sample = entry;
      }
    }
    return sample;
  }

  /** How many frames the last selective ack reported for the first time. */
  #sacked = 0;

  /** Nothing is outstanding: the queue starts over (and lets go of a burst's room). */
  #empty(): void {
    if (this.#queue.length > 64) this.#queue = [];
    else this.#queue.fill(undefined, this.#head, this.#tail);
    this.#head = this.#tail = 0;
  }

  /** The outstanding frames, in sequence order (a copy). */
  #entries(): Entry[] {
    return this.#queue.slice(this.#head, this.#tail) as Entry[];
  }

  /** RACK's detection: the frames lost now, resent. */
  #detectLost(now: number): Resend[] {
    const { srtt, rttvar } = this.#estimator;
    const lost = this.#rack.lost(this.#entries(), now, srtt, rttvar);
    return lost.map((entry) => this.#again(entry, now, "lost"));
  }

  #again(entry: Entry, now: number, reason: Resend["reason"]): Resend {
    if (entry.attempts === 1) this.#marked++;
    entry.attempts++;
    entry.lastSent = now;
    // The frame as first sent without the acknowledgement it carried (a resend carries the
    // current one): the fields in the order they always had.
    const { env, epoch, seq } = entry.frame;
    const frame = {
      kind: "msg" as const,
      env,
      epoch,
      seq,
      base: this.#base(entry.seq),
      tx: entry.attempts,
    };
    return { frame, attempts: entry.attempts, reason };
  }

  /** Arms the probe timeout when a round trip is known, nothing probes yet and it beats the RTO. */
  #armProbe(now: number): void {
    const srtt = this.#estimator.srtt;
    if (srtt === undefined || this.#probing || this.#probeDeadline !== undefined) return;
    const at = now + Math.max(2 * srtt, this.#minProbe);
    if (this.#rtoDeadline !== undefined && at < this.#rtoDeadline) this.#probeDeadline = at;
  }

  /** The highest outstanding frame not reported received. */
  #last(): Entry | undefined {
    const queue = this.#queue;
    for (let i = this.#tail - 1; i >= this.#head; i--) if (!queue[i]!.sacked) return queue[i];
    return undefined;
  }

  #earliest(): Entry | undefined {
    return this.#head < this.#tail ? this.#queue[this.#head] : undefined;
  }

  #base(fallback: number): number {
    return this.#head < this.#tail ? this.#queue[this.#head]!.seq : fallback;
  }
}

/** The estimator settings made from each retransmission settings object (made once per link). */
const RTO_OPTIONS = new WeakMap<RetransmitOptions, RtoOptions>();

/** No frame to send again (never written). */
const NO_RESEND = Object.freeze([]) as unknown as Resend[];

/** Whether the sorted `ranges` include `seq`. */
function covers(ranges: readonly (readonly [number, number])[], seq: number): boolean {
  for (const [first, last] of ranges) {
    if (seq < first) return false;
    if (seq <= last) return true;
  }
  return false;
}

/** The ranges of an acknowledgement that has none (never written). */
const NO_RANGES: readonly (readonly [number, number])[] = Object.freeze([]);
