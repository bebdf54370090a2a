/**
 * The sandboxes of one node: at most `limit` visits run at once and at most `waiting` more wait
 * for a free one, in arrival order; beyond that the node refuses the agent (`busy`), so a flood
 * of agents (or of clones) costs it a bounded number of children and a bounded queue.
 * @module
 */

/** A place taken in {@link Slots}: running, or waiting to run. */
export interface Slot {
  /** Resolves when the visit may run (or when the place was given up while waiting). */
  readonly ready: Promise<void>;
  /** Whether the visit holds a sandbox now. */
  readonly running: boolean;
  /** Gives the place up (a no-op the second time). */
  release(): void;
}

/**
 * Counts the sandboxes of a node.
 *
 * @example Two run, one waits, the fourth is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Slots } from "./_slots.ts";
 * const slots = new Slots(2, 1);
 * const [a, b, c] = [slots.enter()!, slots.enter()!, slots.enter()!];
 * assert.equal(slots.enter(), undefined);
 * assert.deepEqual([a.running, b.running, c.running], [true, true, false]);
 * a.release();
 * await c.ready;
 * assert.equal(c.running, true);
 * ```
 */
export class Slots {
  readonly #limit: number;
  readonly #waitLimit: number;
  readonly #queue: (() => void)[] = [];
  #running = 0;

  /** At most `limit` running and `waiting` waiting. */
  constructor(limit: number, waiting: number) {
    for (const [name, value, least] of [["limit", limit, 1], ["waiting", waiting, 0]] as const) {
      if (!Number.isInteger(value) || value < least) {
        throw new RangeError(
          `Cannot count sandboxes: ${name} ${value} must be an integer >= ${least}`,
        );
      }
    }
    this.#limit = limit;
    this.#waitLimit = waiting;
  }

  /** Visits holding a sandbox. */
  get running(): number {
    return this.#running;
  }

  /** Visits waiting for one. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** Whether every sandbox is taken and the queue is full. */
  get full(): boolean {
    return this.#running + this.#queue.length >= this.#limit + this.#waitLimit;
  }

  /** Takes a place, or returns `undefined` when every sandbox is taken and the queue is full. */
  enter(): Slot | undefined {
    if (this.full) return undefined;
    const ready = Promise.withResolvers<void>();
    let state: "waiting" | "running" | "done" = "waiting";
    const grant = () => {
      state = "running";
      this.#running++;
      ready.resolve();
    };
    if (this.#running < this.#limit) grant();
    else this.#queue.push(grant);
    return {
      ready: ready.promise,
      get running() {
        return state === "running";
      },
      release: () => {
        if (state === "waiting") this.#queue.splice(this.#queue.indexOf(grant), 1);
        if (state === "running") this.#running--;
        state = "done";
        ready.resolve();
        while (this.#running < this.#limit && this.#queue.length > 0) this.#queue.shift()!();
      },
    };
  }
}
