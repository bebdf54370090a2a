/**
 * Convergence detection: peers report their state hash every round; the system has converged
 * when every live peer holds the same hash. Also counts what it cost: rounds, messages, bytes.
 * @module
 */
import type { PeerReport } from "./gossip_messages.ts";

/** Options of {@link ConvergenceTracker}. */
export interface ConvergenceOptions {
  /** Round length in ms (the peers' `period`). @default 100 */
  readonly period?: number;
  /**
   * A peer that has not reported for this many ms is presumed dead, unless
   * {@link ConvergenceTracker.status} is told which peers are live. @default 4 * period
   */
  readonly liveWithin?: number;
}

/** Options of {@link ConvergenceTracker.status}. */
export interface StatusOptions {
  /** Rounds and delays count from this time (ms). @default 0 */
  readonly since?: number;
  /**
   * The peers that are live now, as whoever starts and stops them knows: exactly these count,
   * however long ago they last reported (a loaded host may delay reports), and one that never
   * reported keeps the system unconverged. @default peers that reported within `liveWithin`
   */
  readonly expected?: Iterable<string>;
}

/** What {@link ConvergenceTracker.status} finds. */
export interface ConvergenceStatus {
  /** Every live peer holds the same state hash (and has reported since the last change). */
  readonly converged: boolean;
  /** Peers presumed live. */
  readonly live: number;
  /** Live peers that have not reported yet (with `expected`: the system has not converged). */
  readonly silent: number;
  /** Distinct hashes among the live peers. */
  readonly distinct: number;
  /** Live peers that do not hold the most common hash. */
  readonly residue: number;
  /** Live peers that have seen as many updates as the most advanced one. */
  readonly upToDate: number;
  /** Rounds from `since` to the last change of any live peer. */
  readonly rounds: number;
  /** Time of the last change of any live peer. */
  readonly lastChange: number;
  /** Gossip messages sent by every peer (see {@link ConvergenceTracker.countFrom}). */
  readonly messages: number;
  /** Bytes of those messages' bodies. */
  readonly bytes: number;
  /** Rumours still spread by live peers (rumour mode). */
  readonly hot: number;
  /** For each live peer, ms from `since` to its last change. */
  readonly delays: readonly number[];
}

/** A peer's latest report, and its first one counted from (see `countFrom`). */
interface PeerSlot {
  latest: PeerReport;
  baseline: PeerReport | undefined;
}

/**
 * Keeps the latest report of each peer and tells whether the live ones agree.
 *
 * @example Two peers agree, a third is silent (presumed crashed)
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConvergenceTracker } from "./convergence.ts";
 * const tracker = new ConvergenceTracker({ period: 100 });
 * const report = (peer: string, t: number, hash: string) => tracker.record({
 *   kind: "g-report", peer, status: "live", round: t / 100, t, hash, changedRound: 1,
 *   changedAt: 105, messages: 3, bytes: 90, seen: 1, hot: 0, suspects: 0,
 * });
 * report("a", 600, "h1");
 * report("b", 600, "h1");
 * report("c", 100, "h0");
 * const status = tracker.status(600);
 * assert.ok(status.converged);
 * assert.equal(status.live, 2);
 * assert.equal(status.rounds, 1);
 * assert.equal(status.messages, 0); // counted from each peer's first report
 * ```
 */
export class ConvergenceTracker {
  readonly #period: number;
  readonly #liveWithin: number;
  /** Each peer's latest report and its baseline, in one entry: one lookup per report. */
  readonly #peers = new Map<string, PeerSlot>();
  #countFrom = -Infinity;

  /** Creates an empty tracker. */
  constructor(options: ConvergenceOptions = {}) {
    this.#period = options.period ?? 100;
    if (!(this.#period > 0)) {
      throw new RangeError(`Cannot track convergence: period ${this.#period} must be above 0`);
    }
    this.#liveWithin = options.liveWithin ?? 4 * this.#period;
  }

  /** Records a peer's report (the latest one per peer counts). */
  record(report: PeerReport): void {
    const slot = this.#peers.get(report.peer);
    const counts = report.t >= this.#countFrom;
    if (slot === undefined) {
      this.#peers.set(report.peer, { latest: report, baseline: counts ? report : undefined });
      return;
    }
    slot.latest = report;
    if (counts && slot.baseline === undefined) slot.baseline = report;
  }

  /**
   * Counts messages and bytes only from each peer's first report at or after `t` (a round
   * starts with a report, so what a peer sent in earlier rounds is left out).
   */
  countFrom(t: number): void {
    this.#countFrom = t;
    for (const slot of this.#peers.values()) slot.baseline = undefined;
  }

  /** The latest report of every peer that ever reported. */
  reports(): PeerReport[] {
    return Array.from(this.#peers.values(), (slot) => slot.latest);
  }

  /**
   * The state of the system at `now`, with rounds and delays counted from `since` ms.
   *
   * @example Told which peers are live, a silent one is waited for and an old report counts
   * ```ts
   * import assert from "node:assert/strict";
   * import { ConvergenceTracker } from "./convergence.ts";
   * const tracker = new ConvergenceTracker({ period: 50 });
   * const report = (peer: string, t: number) => tracker.record({
   *   kind: "g-report", peer, status: "live", round: 1, t, hash: "h1", changedRound: 1,
   *   changedAt: 40, messages: 3, bytes: 90, seen: 1, hot: 0, suspects: 0,
   * });
   * report("a", 100);
   * report("b", 2000); // "a" has not reported for 1.9 s: its host is slow, not dead
   * const peers = ["a", "b", "c"];
   * assert.deepEqual([tracker.status(2000, { expected: peers }).converged, tracker.status(2000, { expected: peers }).silent], [false, 1]);
   * report("c", 2010);
   * const status = tracker.status(2010, { expected: peers });
   * assert.deepEqual([status.converged, status.live], [true, 3]);
   * ```
   */
  status(now: number, options: StatusOptions = {}): ConvergenceStatus {
    const since = options.since ?? 0;
    let messages = 0, bytes = 0, hot = 0, live = 0, silent = 0, lastChange = since;
    const counts = new Map<string, number>();
    const delays: number[] = [];
    const cutoff = options.expected === undefined ? now - this.#liveWithin : -Infinity;
    let oldestReport = Infinity, maxSeen = -1, upToDate = 0;
    for (const { latest: r, baseline: base } of this.#peers.values()) {
      if (base !== undefined) {
        messages += r.messages - base.messages;
        bytes += r.bytes - base.bytes;
      }
    }
    const considered: Iterable<PeerSlot | string> = options.expected ?? this.#peers.values();
    for (const entry of considered) {
      const r = typeof entry === "string" ? this.#peers.get(entry)?.latest : entry.latest;
      if (r === undefined) {
        live++;
        silent++;
        continue;
      }
      if (r.status !== "live" || r.t < cutoff) continue;
      live++;
      hot += r.hot;
      counts.set(r.hash, (counts.get(r.hash) ?? 0) + 1);
      if (r.changedAt > lastChange) lastChange = r.changedAt;
      if (r.t < oldestReport) oldestReport = r.t;
      delays.push(Math.max(0, r.changedAt - since));
      if (r.seen > maxSeen) {
        maxSeen = r.seen;
        upToDate = 1;
      } else if (r.seen === maxSeen) upToDate++;
    }
    let top = 0;
    for (const n of counts.values()) top = Math.max(top, n);
    const converged = live > 0 && silent === 0 && counts.size === 1 &&
      oldestReport >= lastChange;
    return {
      converged,
      live,
      silent,
      distinct: counts.size,
      residue: live - top,
      upToDate,
      rounds: Math.max(0, Math.round((lastChange - since) / this.#period)),
      lastChange,
      messages,
      bytes,
      hot,
      delays,
    };
  }
}
