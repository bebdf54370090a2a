/**
 * The pure state machine of a bounded connection pool: at most `size` sessions exist; a caller
 * that finds none free waits in a bounded FIFO queue until a release serves it or its wait ends.
 * `connection_pool.ts` runs it as a process.
 * @module
 */

/** Counters of a pool. */
export interface PoolStats {
  /** Always `pool-stats`. */
  readonly kind: "pool-stats";
  /** Most sessions at once. */
  readonly size: number;
  /** Sessions open or being opened (idle + leased). */
  readonly open: number;
  /** Open sessions nobody holds. */
  readonly idle: number;
  /** Sessions held by a caller now. */
  readonly leased: number;
  /** Callers waiting now. */
  readonly queued: number;
  /** Leases granted. */
  readonly acquired: number;
  /** Leases granted after a wait in the queue. */
  readonly waited: number;
  /** Waits that timed out. */
  readonly timeouts: number;
  /** Acquires refused because the queue was full. */
  readonly rejected: number;
  /** Longest queue seen. */
  readonly maxQueued: number;
}

/** Options of {@link PoolState} and of `connectionPool` (`connection_pool.ts`). */
export interface PoolOptions {
  /** Most sessions at once. @default 4 */
  readonly size?: number;
  /** Most callers waiting at once; more are refused at once. @default 64 */
  readonly maxQueue?: number;
}

/** What {@link PoolState.acquire} decided. */
export type AcquireOutcome<W> =
  | { readonly kind: "granted"; readonly session: string | null }
  | { readonly kind: "queued"; readonly waiter: W }
  | { readonly kind: "full"; readonly queued: number };

/** When and how long a caller of {@link PoolState.acquire} waits. */
export interface AcquireAt {
  /** The time of the request on the pool's clock (ms). @default 0 */
  readonly now?: number;
  /** Most ms to wait in the queue; 0 or less means do not wait. @default 0 */
  readonly waitMs?: number;
}

/** How a lease ends, for {@link PoolState.release}. */
export interface ReleaseAt {
  /** The session must not be reused: free its slot. @default false */
  readonly broken?: boolean;
  /** The time of the release on the pool's clock, to measure waits (ms). @default undefined */
  readonly now?: number;
}

interface Waiter<W> {
  readonly waiter: W;
  readonly since: number;
  readonly expiresAt: number;
}

/**
 * The pool's state machine: acquire, release and expire in, grants and refusals out.
 *
 * @example Two sessions, a third caller waits, then times out
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolState } from "./pool_state.ts";
 * const pool = new PoolState<string>({ size: 2 });
 * assert.deepEqual(pool.acquire("a", { waitMs: 100 }), { kind: "granted", session: null });
 * assert.deepEqual(pool.acquire("b", { waitMs: 100 }), { kind: "granted", session: null });
 * assert.equal(pool.acquire("c", { waitMs: 100 }).kind, "queued");
 * assert.deepEqual(pool.release("s1", { now: 5 }), [{ waiter: "c", session: "s1", waitedMs: 5 }]);
 * assert.equal(pool.acquire("d", { now: 10, waitMs: 50 }).kind, "queued");
 * assert.deepEqual(pool.expire(60), [{ waiter: "d", waitedMs: 50 }]);
 * ```
 */
export class PoolState<W> {
  /** Most sessions at once. */
  readonly size: number;
  /** Most waiting callers. */
  readonly maxQueue: number;
  #idle: string[] = [];
  #leased = 0;
  #queue: Waiter<W>[] = [];
  #acquired = 0;
  #waited = 0;
  #timeouts = 0;
  #rejected = 0;
  #maxQueued = 0;

  /**
   * Creates an empty pool.
   * @throws {RangeError} when `size` is not a whole number >= 1 or `maxQueue` is negative.
   */
  constructor(options: PoolOptions = {}) {
    const size = options.size ?? 4;
    const maxQueue = options.maxQueue ?? 64;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(
        `Cannot create the connection pool: size ${size} must be a whole number >= 1`,
      );
    }
    if (!(maxQueue >= 0)) {
      throw new RangeError(`Cannot create the connection pool: maxQueue ${maxQueue} must be >= 0`);
    }
    this.size = size;
    this.maxQueue = maxQueue;
  }

  /** A caller `waiter` asks at time `now` and waits at most `waitMs`. */
  acquire(waiter: W, at: AcquireAt = {}): AcquireOutcome<W> {
    const now = at.now ?? 0;
    const waitMs = at.waitMs ?? 0;
    const idle = this.#idle.shift();
    if (idle !== undefined) return this.#grant(idle);
    if (this.#leased + this.#idle.length < this.size) return this.#grant(null);
    if (this.#queue.length >= this.maxQueue || !(waitMs > 0)) {
      if (waitMs > 0) this.#rejected++;
      else this.#timeouts++;
      return { kind: "full", queued: this.#queue.length };
    }
    this.#queue.push({ waiter, since: now, expiresAt: now + waitMs });
    this.#maxQueued = Math.max(this.#maxQueued, this.#queue.length);
    return { kind: "queued", waiter };
  }

  /**
   * A lease ends: `session` goes back (or, when `broken` or `null`, its slot is freed). Returns
   * the waiters served by it, with their session (`null`: open one) and, at `now`, their wait.
   */
  release(
    session: string | null,
    at: ReleaseAt = {},
  ): { waiter: W; session: string | null; waitedMs: number | undefined }[] {
    if (this.#leased > 0) this.#leased--;
    const usable = at.broken ? null : session;
    const now = at.now;
    const next = this.#queue.shift();
    if (next === undefined) {
      if (usable !== null) this.#idle.push(usable);
      return [];
    }
    this.#grant(usable);
    this.#waited++;
    const waitedMs = now === undefined ? undefined : now - next.since;
    return [{ waiter: next.waiter, session: usable, waitedMs }];
  }

  /** Removes and returns the waiters whose wait ended by `now`. */
  expire(now: number): { waiter: W; waitedMs: number }[] {
    const expired: { waiter: W; waitedMs: number }[] = [];
    this.#queue = this.#queue.filter((w) => {
      if (w.expiresAt > now) return true;
      expired.push({ waiter: w.waiter, waitedMs: now - w.since });
      return false;
    });
    this.#timeouts += expired.length;
    return expired;
  }

  /** When the next wait ends, or `undefined` when nobody waits. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const w of this.#queue) if (next === undefined || w.expiresAt < next) next = w.expiresAt;
    return next;
  }

  /** The counters. */
  stats(): PoolStats {
    return {
      kind: "pool-stats",
      size: this.size,
      open: this.#leased + this.#idle.length,
      idle: this.#idle.length,
      leased: this.#leased,
      queued: this.#queue.length,
      acquired: this.#acquired,
      waited: this.#waited,
      timeouts: this.#timeouts,
      rejected: this.#rejected,
      maxQueued: this.#maxQueued,
    };
  }

  #grant(session: string | null): { kind: "granted"; session: string | null } {
    this.#leased++;
    this.#acquired++;
    return { kind: "granted", session };
  }
}
