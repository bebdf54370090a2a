/**
 * A {@link Disk} in memory: the simulator's disk (one per machine, owned by the simulator so
 * that a crash of the machine leaves it), and a real host's when no file is given. With a
 * volatile write cache it keeps the writes made since the last sync apart, and
 * {@link MemoryDisk.loseUnsynced} drops them, as a power loss does.
 * @module
 */
import type { Disk, DiskOp, DiskStats, DiskStore, ScanOptions } from "./disk.ts";
import { batchWrites, diskCheck, diskStoreName, type DiskWrite } from "./_disk_check.ts";

/** Options of {@link MemoryDisk}. */
export interface MemoryDiskOptions {
  /**
   * Keep the writes since the last sync apart, so that {@link MemoryDisk.loseUnsynced} can drop
   * them (the simulator's disk fault). @default false: every write is on the platter at once
   */
  readonly volatileCache?: boolean;
}

/** An unsynced write: what the key held before it, to undo it. */
interface Pending {
  readonly store: Map<string, string>;
  readonly key: string;
  readonly before: string | undefined;
}

/**
 * A disk in memory; values are kept as JSON text, like bytes on a platter.
 *
 * @example Writes not synced are lost with a volatile cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { MemoryDisk } from "./memory_disk.ts";
 * const disk = new MemoryDisk({ volatileCache: true });
 * const kv = disk.open("kv");
 * kv.put("x", 1);
 * kv.sync();
 * kv.put("x", 2);
 * kv.put("y", 3);
 * assert.equal(kv.get("x"), 2);
 * assert.equal(disk.loseUnsynced(), 2);
 * assert.deepEqual(disk.open("kv").scan(), [["x", 1]]);
 * assert.deepEqual(disk.stats(), { writes: 3, syncs: 1, lost: 2 });
 * ```
 */
export class MemoryDisk implements Disk {
  readonly #stores = new Map<string, Map<string, string>>();
  readonly #pending: Pending[] | undefined;
  #writes = 0;
  #syncs = 0;
  #lost = 0;
  #dirty = false;
  #unsyncedWrites = 0;

  /** An empty disk. */
  constructor(options: MemoryDiskOptions = {}) {
    this.#pending = options.volatileCache === true ? [] : undefined;
  }

  /** See {@link Disk.open}. */
  open(name: string): DiskStore {
    diskStoreName(name);
    let data = this.#stores.get(name);
    if (data === undefined) {
      data = new Map();
      this.#stores.set(name, data);
    }
    return new MemoryStore(name, data, (ops) => this.#write(data!, ops), () => this.sync());
  }

  /** See {@link Disk.stores}. */
  stores(): string[] {
    return [...this.#stores].filter(([, data]) => data.size > 0).map(([name]) => name).sort();
  }

  /** See {@link Disk.sync}. */
  sync(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    this.#syncs++;
    this.#unsyncedWrites = 0;
    if (this.#pending !== undefined) this.#pending.length = 0;
  }

  /** See {@link Disk.stats}. */
  stats(): DiskStats {
    return { writes: this.#writes, syncs: this.#syncs, lost: this.#lost };
  }

  /**
   * Drops every write made since the last sync (a power loss with a volatile cache); returns
   * how many were lost (0 without a volatile cache).
   */
  loseUnsynced(): number {
    const pending = this.#pending;
    if (pending === undefined || pending.length === 0) return 0;
    for (let i = pending.length - 1; i >= 0; i--) {
      const { store, key, before } = pending[i];
      if (before === undefined) store.delete(key);
      else store.set(key, before);
    }
    const lost = this.#unsyncedWrites;
    this.#lost += lost;
    this.#unsyncedWrites = 0;
    pending.length = 0;
    this.#dirty = false;
    return lost;
  }

  /** Applies `ops` to `data` as one write. */
  #write(data: Map<string, string>, ops: readonly DiskWrite[]): void {
    const pending = this.#pending;
    for (const [key, text] of ops) {
      if (pending !== undefined) pending.push({ store: data, key, before: data.get(key) });
      if (text === undefined) data.delete(key);
      else data.set(key, text);
    }
    this.#writes++;
    this.#unsyncedWrites++;
    this.#dirty = true;
  }
}

class MemoryStore implements DiskStore {
  readonly name: string;
  readonly #data: Map<string, string>;
  readonly #write: (ops: readonly DiskWrite[]) => void;
  readonly #sync: () => void;

  constructor(
    name: string,
    data: Map<string, string>,
    write: (ops: readonly DiskWrite[]) => void,
    sync: () => void,
  ) {
    this.name = name;
    this.#data = data;
    this.#write = write;
    this.#sync = sync;
  }

  get<T = unknown>(key: string): T | undefined {
    diskCheck(`read "${this.name}"`, key);
    const text = this.#data.get(key);
    return text === undefined ? undefined : JSON.parse(text) as T;
  }

  put(key: string, value: unknown): void {
    this.#write([[key, diskCheck(`write "${this.name}"`, key, value)]]);
  }

  delete(key: string): void {
    diskCheck(`delete from "${this.name}"`, key);
    this.#write([[key, undefined]]);
  }

  batch(ops: readonly DiskOp[]): void {
    const writes = batchWrites(this.name, ops);
    if (writes.length > 0) this.#write(writes);
  }

  scan<T = unknown>(options: ScanOptions = {}): [string, T][] {
    const prefix = options.prefix ?? "";
    const limit = options.limit ?? Infinity;
    const keys = [...this.#data.keys()].filter((key) => key.startsWith(prefix)).sort();
    if (options.reverse === true) keys.reverse();
    return keys.slice(0, limit).map((key) => [key, JSON.parse(this.#data.get(key)!) as T]);
  }

  sync(): void {
    this.#sync();
  }
}
