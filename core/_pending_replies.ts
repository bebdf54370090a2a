/**
 * The requests of a machine's processes waiting for their answer, by correlation id: a map whose
 * most recent entry sits in a slot of its own, so that the common case (a process with one
 * request out at a time) neither hashes nor stores the correlation string. A reply handed back
 * on the same machine carries the very string its request did: the slot compares it by
 * reference.
 * @module
 */

/**
 * A map from correlation id to what waits for its answer, tuned for few entries.
 *
 * @example One entry in the slot, more in the map
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingReplies } from "./_pending_replies.ts";
 * const pending = new PendingReplies<number>();
 * pending.set("a#1.1", 1);
 * pending.set("a#1.2", 2);
 * assert.equal(pending.get("a#1.1"), 1);
 * assert.equal(pending.get("a#1.2"), 2);
 * pending.delete("a#1.1");
 * assert.equal(pending.get("a#1.1"), undefined);
 * assert.deepEqual([...pending.values()], [2]);
 * ```
 */
export class PendingReplies<V> {
  #key: string | undefined = undefined;
  #value: V | undefined = undefined;
  readonly #more = new Map<string, V>();

  /** What waits for correlation id `key`, if anything. */
  get(key: string): V | undefined {
    if (this.#key === key) return this.#value;
    return this.#more.size === 0 ? undefined : this.#more.get(key);
  }

  /** Registers `value` under `key`, a key not registered yet (correlation ids are unique). */
  set(key: string, value: V): void {
    if (this.#key === undefined) {
      this.#key = key;
      this.#value = value;
    } else {
      this.#more.set(key, value);
    }
  }

  /** Removes what waits under `key`. */
  delete(key: string): void {
    if (this.#key === key) {
      this.#key = undefined;
      this.#value = undefined;
    } else if (this.#more.size > 0) {
      this.#more.delete(key);
    }
  }

  /** Everything that waits. */
  *values(): IterableIterator<V> {
    if (this.#key !== undefined) yield this.#value as V;
    yield* this.#more.values();
  }

  /** Removes everything. */
  clear(): void {
    this.#key = undefined;
    this.#value = undefined;
    this.#more.clear();
  }
}
