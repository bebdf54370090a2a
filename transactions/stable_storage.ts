/**
 * What the transaction processes need from stable storage: reads answered at once from what
 * the owner holds, and writes that are on stable storage when they return (a disk, synchronous)
 * or when their promise resolves (PostgreSQL). The drive loop awaits each write before the next
 * effect, so "log, then send" holds with either.
 * @module
 */
import type { LogRecord } from "./log_records.ts";
import type { StoreView } from "./resource_manager.ts";

/**
 * A process's stable storage: committed data, the write-ahead log and named counters.
 * {@link StableStore} (on a disk: the machine's, or a SQLite file) and
 * {@link PostgresStableStore} implement it.
 *
 * @example The disk store is one
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStore } from "./stable_store.ts";
 * import type { StableStorage } from "./stable_storage.ts";
 * const storage: StableStorage = new StableStore();
 * await storage.append({ type: "end", txid: "t1" });
 * assert.deepEqual(storage.log(), [{ type: "end", txid: "t1" }]);
 * await storage.close();
 * ```
 */
export interface StableStorage extends StoreView {
  /** A named counter or flag, or `undefined`. */
  meta(name: string): string | undefined;
  /** Writes `values` when the store holds no data yet (first boot); returns whether it did. */
  initialize(values: Readonly<Record<string, unknown>>): boolean | Promise<boolean>;
  /** Appends `record` to the log (forced). */
  append(record: LogRecord): void | Promise<void>;
  /** Installs `writes` and appends `record`, all or nothing. */
  apply(
    writes: readonly (readonly [string, unknown])[],
    record: LogRecord,
  ): void | Promise<void>;
  /** Sets a named counter or flag. */
  setMeta(name: string, value: string): void | Promise<void>;
  /** Counts one more start of the owner and returns the count (1 on the first boot). */
  nextIncarnation(): number | Promise<number>;
  /** Closes the database (or the connection to it). */
  close(): void | Promise<void>;
}

/** Where a transaction process keeps its stable storage. */
export interface StorageOptions {
  /**
   * Stable storage owned by the caller (a test harness).
   * @default opened from `path` or `url`, else a store on the machine's disk (`ctx.disk`)
   */
  readonly store?: StableStorage;
  /**
   * A SQLite file of the process's own (a disk in memory for `":memory:"`) when neither `store`
   * nor `url` is given. @default none: the machine's disk
   */
  readonly path?: string;
  /**
   * A PostgreSQL URL (`postgres://user@host:port/database`): keep data and log there, in rows
   * keyed by the process's address (real sockets only; not with `path`). @default none
   */
  readonly url?: string;
  /** With `url`: most ms to wait for the server to accept a connection. @default 5000 */
  readonly connectTimeoutMs?: number;
}
