/**
 * Stable storage on a disk: a transaction process's committed key-value data, its write-ahead
 * log and a few counters, in one store on its machine's disk (`ctx.disk`). Every change is one
 * batch, synced before it returns: on stable storage when the next message leaves, and never
 * half there after a crash (in the simulator, even with its `loseUnsynced` fault).
 *
 * The disk outlives the process: in the simulator it belongs to the simulator, so a crash and
 * restart of the machine finds the data and the log while mailboxes, locks, workspaces and
 * timers are lost; on a real host it is the host's disk file, or a SQLite file of the process's
 * own (`path`). Disk calls are synchronous: a simulated process never awaits real I/O.
 * @module
 */
import type { DiskOp, DiskStore } from "../core/storage/disk.ts";
import { MemoryDisk } from "../core/storage/memory_disk.ts";
import { SqliteDisk } from "../core/storage/sqlite_disk.ts";
import type { LogRecord } from "./log_records.ts";
import type { StableStorage } from "./stable_storage.ts";

const DATA = "data/", LOG = "log/", META = "meta/", LOG_SEQ = "log-seq";

/** Log keys sort in append order: fixed width. */
function logKey(seq: number): string {
  return LOG + String(seq).padStart(12, "0");
}

/**
 * A process's stable storage: data, log and counters in one store on a disk.
 *
 * @example Writes and a log record land together
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStore } from "./stable_store.ts";
 * const store = new StableStore(); // on a disk of its own, in memory
 * store.initialize({ alice: 100 });
 * store.apply([["alice", 70], ["bob", 30]], { type: "outcome", txid: "t1", decision: "commit", blockedMs: 0 });
 * assert.deepEqual(store.entries(), { alice: 70, bob: 30 });
 * assert.equal(store.log().length, 1);
 * assert.equal(store.nextIncarnation(), 1);
 * assert.equal(store.nextIncarnation(), 2);
 * ```
 */
export class StableStore implements StableStorage {
  readonly #store: DiskStore;
  readonly #close: () => void;

  /**
   * Stable storage in `store`, a store on a disk (`ctx.disk.open(name)`).
   * @default a store on a fresh disk in memory, which lives as long as this object
   */
  constructor(store: DiskStore = new MemoryDisk().open("transactions"), close = () => {}) {
    this.#store = store;
    this.#close = close;
  }

  /**
   * Stable storage in a SQLite file of its own at `path` (a disk that {@link StableStore.close}
   * closes).
   * @throws {TypeError} when `path` is empty; SQLite's error when the file cannot be opened.
   */
  static file(path: string): StableStore {
    const disk = new SqliteDisk(path);
    return new StableStore(disk.open("transactions"), () => disk.close());
  }

  /** The committed value of `key`, or `undefined`. */
  get(key: string): unknown {
    return this.#store.get(DATA + key);
  }

  /** Every committed value, by key (sorted). */
  entries(): Record<string, unknown> {
    const rows = this.#store.scan({ prefix: DATA });
    return Object.fromEntries(rows.map(([key, value]) => [key.slice(DATA.length), value]));
  }

  /** Writes `values` when the store holds no data yet (first boot); returns whether it did. */
  initialize(values: Readonly<Record<string, unknown>>): boolean {
    if (this.#store.scan({ prefix: DATA, limit: 1 }).length > 0) return false;
    this.#write(Object.entries(values).map(([key, value]) => put(DATA + key, value)));
    return true;
  }

  /** Appends `record` to the log (forced: it is on stable storage when this returns). */
  append(record: LogRecord): void {
    this.#write(this.#appendOps(record));
  }

  /** Installs `writes` and appends `record`, all or nothing. */
  apply(writes: readonly (readonly [string, unknown])[], record: LogRecord): void {
    const ops = writes.map(([key, value]) => put(DATA + key, value));
    this.#write([...ops, ...this.#appendOps(record)]);
  }

  /** The log, oldest record first. */
  log(): LogRecord[] {
    return this.#store.scan<LogRecord>({ prefix: LOG }).map(([, record]) => record);
  }

  /** A named counter or flag, or `undefined`. */
  meta(name: string): string | undefined {
    return this.#store.get<string>(META + name);
  }

  /** Sets a named counter or flag. */
  setMeta(name: string, value: string): void {
    this.#write([put(META + name, value)]);
  }

  /** Counts one more start of the owner and returns the count (1 on the first boot). */
  nextIncarnation(): number {
    const next = Number(this.meta("incarnation") ?? "0") + 1;
    this.setMeta("incarnation", String(next));
    return next;
  }

  /** Closes the disk file the store opened itself ({@link StableStore.file}); else nothing. */
  close(): void {
    this.#close();
  }

  #appendOps(record: LogRecord): DiskOp[] {
    const seq = (this.#store.get<number>(LOG_SEQ) ?? 0) + 1;
    return [put(LOG_SEQ, seq), put(logKey(seq), record)];
  }

  #write(ops: DiskOp[]): void {
    this.#store.batch(ops);
    this.#store.sync();
  }
}

function put(key: string, value: unknown): DiskOp {
  return { type: "put", key, value: value ?? null };
}
