/**
 * Stable storage: what a machine keeps across a crash (a disk). The extermination policy logs each
 * call here before sending it, and reincarnation keeps its epoch number here. In the simulator a
 * store is an in-memory map owned by the harness, outside the machine, so a crash leaves it intact;
 * writes are counted, because the seed names their I/O as the cost of extermination.
 * @module
 */

/** Key/value storage that survives a crash of the machine that writes it. */
export interface StableStore {
  /** The value stored under `key` (a JSON copy), or `undefined`. */
  get(key: string): unknown;
  /** Stores a JSON copy of `value` under `key` (one write). */
  set(key: string, value: unknown): void;
  /** Removes `key` (one write when it existed). */
  delete(key: string): void;
  /** The keys that start with `prefix`, in the order they were first written. */
  keys(prefix?: string): string[];
  /** Writes so far. */
  readonly writes: number;
}

/**
 * A {@link StableStore} in memory: it survives a simulated crash because the machine does not own
 * it; values are stored as JSON copies, like bytes on a disk.
 *
 * @example A value survives, a copy is stored
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryStableStore } from "./stable_store.ts";
 * const store = new MemoryStableStore();
 * const entry = { server: "rpc@s1.lab" };
 * store.set("log/1", entry);
 * entry.server = "changed";
 * assert.deepEqual(store.get("log/1"), { server: "rpc@s1.lab" });
 * assert.deepEqual(store.keys("log/"), ["log/1"]);
 * store.delete("log/1");
 * assert.equal(store.writes, 2);
 * ```
 */
export class MemoryStableStore implements StableStore {
  readonly #data = new Map<string, string>();
  #writes = 0;

  /** See {@link StableStore.get}. */
  get(key: string): unknown {
    const text = this.#data.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }

  /** See {@link StableStore.set}. */
  set(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError(
        `Cannot store "${key}": ${String(value)} is not JSON; store a JSON value or delete the key`,
      );
    }
    this.#data.set(key, text);
    this.#writes++;
  }

  /** See {@link StableStore.delete}. */
  delete(key: string): void {
    if (this.#data.delete(key)) this.#writes++;
  }

  /** See {@link StableStore.keys}. */
  keys(prefix = ""): string[] {
    return [...this.#data.keys()].filter((key) => key.startsWith(prefix));
  }

  /** See {@link StableStore.writes}. */
  get writes(): number {
    return this.#writes;
  }
}

/**
 * One {@link MemoryStableStore} per machine, owned by a harness outside the machines.
 *
 * @example Each machine has its own disk
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStorage } from "./stable_store.ts";
 * const disks = new StableStorage();
 * disks.for("c1.lab").set("epoch", 2);
 * assert.equal(disks.for("c1.lab").get("epoch"), 2);
 * assert.equal(disks.for("c2.lab").get("epoch"), undefined);
 * assert.equal(disks.writes, 1);
 * ```
 */
export class StableStorage {
  readonly #stores = new Map<string, MemoryStableStore>();

  /** The store of machine `machine`, created on first use. */
  for(machine: string): MemoryStableStore {
    let store = this.#stores.get(machine);
    if (store === undefined) {
      store = new MemoryStableStore();
      this.#stores.set(machine, store);
    }
    return store;
  }

  /** Writes to every store so far. */
  get writes(): number {
    let n = 0;
    for (const store of this.#stores.values()) n += store.writes;
    return n;
  }
}
