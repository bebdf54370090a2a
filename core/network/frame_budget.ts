/**
 * A budget of buffered bytes shared by the connections of a frame listener: each connection
 * takes from it before it grows the buffer of a frame that spans reads and gives it back when
 * the frame completes or the connection closes, so all the unfinished frames of a listener
 * together never hold more than the budget, however many connections there are.
 *
 * @example Two connections share 100 bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameBudget } from "./frame_budget.ts";
 *
 * const budget = new FrameBudget(100);
 * assert.equal(budget.take(60), true);
 * assert.equal(budget.take(60), false);
 * budget.release(60);
 * assert.equal(budget.take(60), true);
 * assert.equal(budget.used, 60);
 * ```
 *
 * @module
 */

/** The default budget of a listener, in bytes: 64 MiB (four frames of the default maximum). */
export const DEFAULT_MAX_BUFFERED: number = 64 * 1024 * 1024;

/**
 * A count of bytes in use against a fixed maximum, shared by several connections.
 *
 * @example Refuse what would exceed the maximum
 * ```ts
 * import assert from "node:assert/strict";
 * import { FrameBudget } from "./frame_budget.ts";
 *
 * const budget = new FrameBudget(10);
 * assert.equal(budget.take(11), false);
 * assert.equal(budget.used, 0);
 * ```
 */
export class FrameBudget {
  /** The most bytes that may be in use at once. */
  readonly max: number;
  #used = 0;

  /**
   * Creates a budget.
   *
   * @param max The most bytes in use at once.
   * @throws {RangeError} When `max` is not a non-negative integer.
   */
  constructor(max: number) {
    if (!Number.isSafeInteger(max) || max < 0) {
      throw new RangeError(
        `Cannot create frame budget: max ${max} is not a non-negative integer of bytes`,
      );
    }
    this.max = max;
  }

  /** Bytes in use now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Takes `bytes` from the budget when that keeps it within `max`.
   *
   * @param bytes How many bytes to take.
   * @returns `true` when taken, `false` (and nothing taken) when it would exceed `max`.
   */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.max) return false;
    this.#used += bytes;
    return true;
  }

  /**
   * Gives `bytes` back.
   *
   * @param bytes How many bytes to give back; at most what is in use.
   * @throws {RangeError} When more bytes are released than are in use (a bookkeeping bug).
   */
  release(bytes: number): void {
    if (bytes > this.#used) {
      throw new RangeError(
        `Cannot release ${bytes} bytes from the frame budget: only ${this.#used} are in use`,
      );
    }
    this.#used -= bytes;
  }
}
