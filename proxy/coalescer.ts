/**
 * Request coalescing for async work: concurrent calls for one key share a single run, so N
 * concurrent cache misses cause one origin fetch.
 * @module
 */

/** What {@link Coalescer.run} resolves to. */
export interface Coalesced<T> {
  /** The result of the shared run. */
  readonly value: T;
  /** `true` for callers that joined a run another caller started. */
  readonly shared: boolean;
}

/**
 * Shares in-flight work by key. The first caller for a key runs `work`; callers that arrive
 * before it settles get the same result (or the same rejection). Once settled, the next call
 * runs `work` again.
 *
 * @example Three concurrent calls, one run
 * ```ts
 * import assert from "node:assert/strict";
 * import { Coalescer } from "./coalescer.ts";
 * const coalescer = new Coalescer<number>();
 * let runs = 0;
 * const work = () => Promise.resolve(++runs);
 * const results = await Promise.all([1, 2, 3].map(() => coalescer.run("k", work)));
 * assert.equal(runs, 1);
 * assert.deepEqual(results.map((r) => r.shared), [false, true, true]);
 * assert.deepEqual(results.map((r) => r.value), [1, 1, 1]);
 * ```
 */
export class Coalescer<T> {
  readonly #flights = new Map<string, Promise<T>>();

  /** Keys with a run in flight. */
  get inFlight(): number {
    return this.#flights.size;
  }

  /** Runs `work` for `key`, or joins the run already in flight. */
  async run(key: string, work: () => Promise<T>): Promise<Coalesced<T>> {
    const flying = this.#flights.get(key);
    if (flying !== undefined) return { value: await flying, shared: true };
    const flight = work();
    this.#flights.set(key, flight);
    try {
      return { value: await flight, shared: false };
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }

  /** Whether a run for `key` is in flight. */
  has(key: string): boolean {
    return this.#flights.has(key);
  }
}
