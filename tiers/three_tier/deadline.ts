/**
 * Deadline budgets that shrink at each hop: a tier receives a budget in ms, measures its own
 * elapsed time on its own clock and passes the rest on. Clocks are never compared across
 * machines; time in transit is covered by the caller, which waits at most its remaining budget.
 * @module
 */

/**
 * A request's budget ran out: the caller answers with a timeout error (HTTP 504).
 *
 * @example Catching a spent budget
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeadlineExceededError } from "./deadline.ts";
 * const error = new DeadlineExceededError("logic", 50, "waiting for a data connection");
 * assert.equal(error.tier, "logic");
 * assert.match(error.message, /budget of 50 ms is spent/);
 * ```
 */
export class DeadlineExceededError extends Error {
  /** The tier where the budget ran out. */
  readonly tier: string;
  /** The budget the tier received, in ms. */
  readonly budget: number;
  /** Creates the error for `tier`, which received `budget` ms, while doing `doing`. */
  constructor(tier: string, budget: number, doing: string) {
    super(
      `Cannot finish the request in the ${tier} tier: its budget of ${budget} ms is spent ` +
        `(${doing}); send a larger budget (X-Budget-Ms) or lower the load`,
    );
    this.name = "DeadlineExceededError";
    this.tier = tier;
    this.budget = budget;
  }
}

/** Options of {@link Deadline}. */
export interface DeadlineOptions {
  /** When the budget starts, on the local clock (ms). @default 0 */
  readonly start?: number;
}

/**
 * A budget started at `start` on one tier's clock.
 *
 * @example A budget shrinks with elapsed time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Deadline } from "./deadline.ts";
 * const deadline = new Deadline(100, { start: 10 });
 * assert.equal(deadline.remaining(40), 70);
 * assert.equal(deadline.expired(110), true);
 * assert.throws(() => deadline.check(120, "logic", "calling data"), /budget of 100 ms/);
 * ```
 */
export class Deadline {
  /** The budget received, in ms. */
  readonly budget: number;
  /** When the budget started, on the local clock (ms). */
  readonly start: number;

  /**
   * Creates a budget of `budget` ms.
   * @throws {RangeError} when `budget` is not a finite number.
   */
  constructor(budget: number, options: DeadlineOptions = {}) {
    if (typeof budget !== "number" || !Number.isFinite(budget)) {
      throw new RangeError(
        `Cannot start a deadline: budget ${budget} must be a finite number of ms`,
      );
    }
    this.budget = budget;
    this.start = options.start ?? 0;
  }

  /** Ms left at local time `now` (negative once spent). */
  remaining(now: number): number {
    return this.budget - (now - this.start);
  }

  /** Whether the budget is spent at local time `now`. */
  expired(now: number): boolean {
    return this.remaining(now) <= 0;
  }

  /**
   * Returns the remaining ms, or throws when the budget is spent.
   * @throws {DeadlineExceededError} naming `tier` and what it was `doing`.
   */
  check(now: number, tier: string, doing: string): number {
    const left = this.remaining(now);
    if (left <= 0) throw new DeadlineExceededError(tier, this.budget, doing);
    return left;
  }
}
