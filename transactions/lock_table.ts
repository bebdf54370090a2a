/**
 * A participant's locks: strict two-phase locking with shared (read) and exclusive (write)
 * locks, held until the transaction ends. A request that conflicts with another transaction's
 * lock is refused at once (no-wait): nobody waits for a lock, so no deadlock can form, and the
 * refused transaction aborts and may retry.
 * @module
 */
import type { LockMode } from "./log_records.ts";

interface Lock {
  mode: LockMode;
  readonly holders: Set<string>;
}

/**
 * Shared and exclusive locks per key, no-wait.
 *
 * @example A writer excludes a reader; locks go at the end of the transaction
 * ```ts
 * import assert from "node:assert/strict";
 * import { LockTable } from "./lock_table.ts";
 * const locks = new LockTable();
 * assert.equal(locks.acquire("t1", "x", "X"), undefined);
 * assert.equal(locks.acquire("t2", "x", "S"), "t1");
 * assert.deepEqual(locks.releaseAll("t1"), ["x"]);
 * assert.equal(locks.acquire("t2", "x", "S"), undefined);
 * ```
 */
export class LockTable {
  readonly #locks = new Map<string, Lock>();
  readonly #held = new Map<string, Map<string, LockMode>>();

  /**
   * Takes (or upgrades to) a `mode` lock on `key` for `txid`. Returns `undefined` when granted,
   * or the id of a transaction whose lock conflicts.
   */
  acquire(txid: string, key: string, mode: LockMode): string | undefined {
    const lock = this.#locks.get(key);
    if (lock === undefined) {
      this.#locks.set(key, { mode, holders: new Set([txid]) });
      this.#remember(txid, key, mode);
      return undefined;
    }
    if (lock.holders.has(txid) && (lock.mode === "X" || mode === "S")) return undefined;
    for (const other of lock.holders) {
      if (other !== txid && (mode === "X" || lock.mode === "X")) return other;
    }
    lock.holders.add(txid);
    if (mode === "X") lock.mode = "X";
    this.#remember(txid, key, lock.mode === "X" ? "X" : mode);
    return undefined;
  }

  /** The locks `txid` holds, by key. */
  heldBy(txid: string): [string, LockMode][] {
    return [...(this.#held.get(txid) ?? [])];
  }

  /** Releases every lock of `txid`; returns the keys it held. */
  releaseAll(txid: string): string[] {
    const held = this.#held.get(txid);
    if (held === undefined) return [];
    this.#held.delete(txid);
    for (const key of held.keys()) {
      const lock = this.#locks.get(key)!;
      lock.holders.delete(txid);
      if (lock.holders.size === 0) this.#locks.delete(key);
    }
    return [...held.keys()];
  }

  #remember(txid: string, key: string, mode: LockMode): void {
    let held = this.#held.get(txid);
    if (held === undefined) this.#held.set(txid, held = new Map());
    held.set(key, mode);
  }
}
