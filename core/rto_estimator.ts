/**
 * The retransmission timeout of one channel, computed as RFC 6298 says: a smoothed round trip
 * and its variation from valid samples, `RTO = SRTT + max(G, 4 * RTTVAR)` bounded below and
 * above, and a backoff that doubles the RTO on each expiry and is kept for the frames that
 * follow until a valid sample arrives (Karn's algorithm). Pure arithmetic: the caller supplies
 * the samples and decides which are valid (only frames transmitted once).
 *
 * The defaults and why:
 * - initial 3 s: RFC 6298 (2.1) recommends 1 s and allows "3 seconds (or any other value > 1
 *   second)". The lab's latencies reach 1000 ms one way (`--delay 1000`), a 2 s round trip, so
 *   1 s would retransmit the first frame of every channel before any sample exists.
 * - minimum 200 ms (Linux's `TCP_RTO_MIN`) rather than RFC 6298's 1 s: acks here leave within one
 *   scheduling turn (no 200 ms delayed acks to cover), but a loaded host stalls its event loop
 *   for tens of ms, and the minimum must cover stalls the samples have not seen yet.
 * - granularity G 1 ms: real timers fire at millisecond granularity, and in the simulator a
 *   constant latency drives RTTVAR to zero, so without G the timer would tie with the ack.
 * - maximum 60 s: RFC 6298 (2.5) allows a maximum of at least 60 s.
 * @module
 */

/** Settings of an {@link RtoEstimator}. */
export interface RtoOptions {
  /** RTO in ms until the first valid sample. @default 3000 */
  readonly initial?: number;
  /** Smallest RTO in ms the samples may give. @default 200 */
  readonly min?: number;
  /** Largest RTO in ms, backoff included. @default 60000 */
  readonly max?: number;
  /** Clock granularity G in ms. @default 1 */
  readonly granularity?: number;
  /** Factor applied on each expiry. @default 2 */
  readonly backoff?: number;
}

/** The state of an {@link RtoEstimator} (see {@link RtoEstimator.snapshot}). */
export interface RtoSnapshot {
  /** SRTT in ms, or -1 before the first valid sample. */
  readonly srtt: number;
  /** RTTVAR in ms. */
  readonly rttvar: number;
  /** The RTO before backoff, in ms. */
  readonly base: number;
  /** Expiries since the last valid sample. */
  readonly backoffs: number;
}

/**
 * RFC 6298's estimator for one channel.
 *
 * @example Samples set the RTO; a backoff is kept until the next valid sample
 * ```ts
 * import assert from "node:assert/strict";
 * import { RtoEstimator } from "./rto_estimator.ts";
 * const rto = new RtoEstimator({ min: 1 });
 * assert.equal(rto.rto, 3000);
 * rto.sample(100); // SRTT 100, RTTVAR 50
 * assert.equal(rto.rto, 300);
 * rto.backOff();
 * rto.backOff();
 * assert.equal(rto.rto, 1200); // kept for the frames that follow
 * rto.sample(100);
 * assert.ok(rto.rto < 300 && rto.backoffs === 0);
 * ```
 */
export class RtoEstimator {
  readonly #initial: number;
  readonly #min: number;
  readonly #max: number;
  readonly #granularity: number;
  readonly #factor: number;
  #srtt = -1;
  #rttvar = 0;
  #base: number;
  #backoffs = 0;

  /** Creates an estimator that has no sample yet. */
  constructor(options: RtoOptions = {}) {
    this.#initial = options.initial ?? 3000;
    this.#min = options.min ?? 200;
    this.#max = options.max ?? 60_000;
    this.#granularity = options.granularity ?? 1;
    this.#factor = options.backoff ?? 2;
    if (!(this.#initial > 0)) positive("initial", this.#initial);
    if (!(this.#min > 0)) positive("min", this.#min);
    if (!(this.#max >= this.#min)) {
      throw new RangeError(
        `Cannot create RTO estimator: max ${this.#max} ms is below min ${this.#min} ms`,
      );
    }
    if (!(this.#factor >= 1)) {
      throw new RangeError(
        `Cannot create RTO estimator: backoff ${this.#factor} must be 1 or more`,
      );
    }
    this.#base = this.#initial;
  }

  /** The current RTO in ms, backoff included. */
  get rto(): number {
    let rto = this.#base;
    for (let i = 0; i < this.#backoffs && rto < this.#max; i++) rto *= this.#factor;
    return Math.min(rto, this.#max);
  }

  /** The smoothed round trip in ms, or `undefined` before the first valid sample. */
  get srtt(): number | undefined {
    return this.#srtt < 0 ? undefined : this.#srtt;
  }

  /** The round-trip variation in ms (0 before the first valid sample). */
  get rttvar(): number {
    return this.#rttvar;
  }

  /** Expiries since the last valid sample. */
  get backoffs(): number {
    return this.#backoffs;
  }

  /**
   * Takes a valid round-trip sample in ms (RFC 6298 (2.2), (2.3)): updates SRTT and RTTVAR,
   * recomputes the RTO and ends any backoff.
   */
  sample(rtt: number): void {
    if (!(rtt >= 0)) throw new RangeError(`Cannot take RTT sample: ${rtt} ms is not a duration`);
    if (this.#srtt < 0) {
      this.#srtt = rtt;
      this.#rttvar = rtt / 2;
    } else {
      this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - rtt);
      this.#srtt = 0.875 * this.#srtt + 0.125 * rtt;
    }
    const rto = this.#srtt + Math.max(this.#granularity, 4 * this.#rttvar);
    this.#base = Math.min(this.#max, Math.max(this.#min, rto));
    this.#backoffs = 0;
  }

  /** The timer expired (RFC 6298 (5.5)): doubles the RTO, up to the maximum. */
  backOff(): void {
    if (this.rto < this.#max) this.#backoffs++;
  }

  /**
   * The estimator's state (SRTT, or -1 before the first sample, RTTVAR, the RTO before backoff
   * and the backoffs), to keep while its channel is idle and take back with
   * {@link RtoEstimator.restore}.
   *
   * @example An estimator taken back from its snapshot
   * ```ts
   * import assert from "node:assert/strict";
   * import { RtoEstimator } from "./rto_estimator.ts";
   * const a = new RtoEstimator({ min: 1 });
   * a.sample(100);
   * const b = new RtoEstimator({ min: 1 });
   * b.restore(a.snapshot());
   * assert.equal(b.rto, a.rto);
   * ```
   */
  snapshot(): RtoSnapshot {
    return { srtt: this.#srtt, rttvar: this.#rttvar, base: this.#base, backoffs: this.#backoffs };
  }

  /** Takes back a state from {@link RtoEstimator.snapshot} (of an estimator with these settings). */
  restore(state: RtoSnapshot): void {
    this.#srtt = state.srtt;
    this.#rttvar = state.rttvar;
    this.#base = state.base;
    this.#backoffs = state.backoffs;
  }

  /**
   * Forgets SRTT, RTTVAR and the backoff (RFC 6298 §5 allows it after repeated backoffs, when
   * the estimates are likely bogus): the RTO is the initial one again.
   */
  reset(): void {
    this.#srtt = -1;
    this.#rttvar = 0;
    this.#base = this.#initial;
    this.#backoffs = 0;
  }
}

function positive(name: string, value: number): never {
  throw new RangeError(`Cannot create RTO estimator: ${name} ${value} must be above 0 ms`);
}
