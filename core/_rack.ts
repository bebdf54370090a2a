/**
 * RACK loss detection (RFC 8985) for one channel of the reliable sender: a frame is lost when a
 * frame sent after it has arrived and it has been out for that frame's round trip plus a
 * reordering window. Time-based, so that it finds lost retransmissions too.
 * @module
 */

/** What RACK needs to know of an outstanding frame. */
export interface RackEntry {
  /** Its sequence number. */
  readonly seq: number;
  /** Transmissions so far. */
  readonly attempts: number;
  /** When it was last sent. */
  readonly lastSent: number;
  /** A selective ack reported it received. */
  readonly sacked: boolean;
}

/** RACK's state of an idle channel (no frame outstanding, so no deadline). */
export interface RackMemo {
  /** When the reference frame (the latest sent known to have arrived) was sent. */
  readonly xmit: number;
  /** Its sequence number. */
  readonly rackSeq: number;
  /** Its round trip. */
  readonly rackRtt: number;
  /** Whether there is a reference frame. */
  readonly known: boolean;
  /** Whether the network was seen to reorder. */
  readonly reordering: boolean;
}

/** RACK's state for one channel. */
export class Rack {
  /** The most recently sent frame known to have arrived, and its round trip. */
  #xmit = -Infinity;
  #seq = 0;
  #rtt = 0;
  #known = false;
  #reordering = false;
  /** When frames that are not lost yet would be; `undefined` when none waits. */
  deadline: number | undefined;

  /**
   * A frame arrived (acked or selectively acked) at `now`. A resent frame counts only when
   * `rtx` says its latest copy is the one taken: an earlier copy may have arrived late, or the
   * ack of it may have been lost. A frame sent once that arrives after a later one shows that
   * the network reorders.
   */
  delivered(entry: RackEntry, now: number, rtx: readonly [number, number] | undefined): void {
    if (this.#known && entry.attempts === 1 && this.#before(entry)) this.#reordering = true;
    if (entry.attempts > 1 && (rtx?.[0] !== entry.seq || rtx?.[1] !== entry.attempts)) return;
    if (this.#known && this.#before(entry)) return;
    this.#known = true;
    this.#xmit = entry.lastSent;
    this.#seq = entry.seq;
    this.#rtt = now - entry.lastSent;
  }

  /**
   * The outstanding `entries` lost at `now`; sets {@link deadline} for those that would be lost
   * later. The reordering window is the round-trip variation (4 RTTVAR, as in the RTO), so that
   * jitter, which reorders frames sent together, is not taken for loss; at least a quarter round
   * trip once the network has been seen to reorder; never more than a round trip.
   */
  lost<E extends RackEntry>(
    entries: Iterable<E>,
    now: number,
    srtt: number | undefined,
    rttvar: number,
  ): E[] {
    this.deadline = undefined;
    if (!this.#known) return [];
    const variation = 4 * rttvar;
    const window = srtt === undefined
      ? 0
      : Math.min(srtt, this.#reordering ? Math.max(variation, srtt / 4) : variation);
    const lost: E[] = [];
    for (const entry of entries) {
      if (entry.sacked || !this.#before(entry)) continue;
      const remaining = entry.lastSent + this.#rtt + window - now;
      if (remaining <= 0) lost.push(entry);
      else if (this.deadline === undefined || now + remaining < this.deadline) {
        this.deadline = now + remaining;
      }
    }
    return lost;
  }

  /** What an idle channel keeps of it: see {@link RackMemo}. */
  memo(): RackMemo {
    const { xmit, rackSeq, rackRtt, known, reordering } = this;
    return { xmit, rackSeq, rackRtt, known, reordering };
  }

  /** Takes back a state from {@link Rack.memo}. */
  restore(memo: RackMemo): void {
    this.#xmit = memo.xmit;
    this.#seq = memo.rackSeq;
    this.#rtt = memo.rackRtt;
    this.#known = memo.known;
    this.#reordering = memo.reordering;
  }

  /** See {@link RackMemo.xmit}. */
  get xmit(): number {
    return this.#xmit;
  }

  /** See {@link RackMemo.rackSeq}. */
  get rackSeq(): number {
    return this.#seq;
  }

  /** See {@link RackMemo.rackRtt}. */
  get rackRtt(): number {
    return this.#rtt;
  }

  /** See {@link RackMemo.known}. */
  get known(): boolean {
    return this.#known;
  }

  /** See {@link RackMemo.reordering}. */
  get reordering(): boolean {
    return this.#reordering;
  }

  /** Forgets everything (the sender gave up on its frames). */
  reset(): void {
    this.#known = false;
    this.deadline = undefined;
  }

  /** Whether `entry` was last sent before the reference frame. */
  #before(entry: RackEntry): boolean {
    return entry.lastSent < this.#xmit || (entry.lastSent === this.#xmit && entry.seq < this.#seq);
  }
}
