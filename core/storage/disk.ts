/**
 * Stable storage as a disk: what a machine keeps across a crash. A process reaches its machine's
 * disk through its context (`ctx.disk`), opens named stores on it and reads and writes keys, in
 * the manner of LevelDB: `get`, `put`, `delete`, an atomic `batch`, an ordered `scan`, and an
 * explicit `sync` that makes the writes so far durable (fsync). Every call is synchronous, so a
 * process in the simulator never awaits real I/O.
 *
 * In the simulator the disk belongs to the simulator, not to the machine: a crash and restart
 * finds it as it was, except that with the simulator's `disk` fault a crash loses every write
 * made since the last `sync` (a volatile write cache), which the trace shows. On a real host the
 * disk is a SQLite file ({@link SqliteDisk}): writes since the last `sync` are one open
 * transaction, lost with the OS process; `sync` commits them (WAL, `synchronous=FULL`).
 * @module
 */

/** One write of a {@link DiskStore.batch}: LevelDB's batch operation shape. */
export type DiskOp =
  /** Store a JSON copy of `value` under `key`. */
  | { readonly type: "put"; readonly key: string; readonly value: unknown }
  /** Remove `key`. */
  | { readonly type: "del"; readonly key: string };

/** Options of {@link DiskStore.scan}. */
export interface ScanOptions {
  /** Only keys that start with this. @default "" (every key) */
  readonly prefix?: string;
  /** At most this many entries. @default Infinity */
  readonly limit?: number;
  /** Greatest key first. @default false */
  readonly reverse?: boolean;
}

/** A named key-value store on a {@link Disk}. Values are JSON, stored as copies. */
export interface DiskStore {
  /** The store's name on its disk. */
  readonly name: string;
  /** The value of `key` (a fresh copy), or `undefined`. */
  get<T = unknown>(key: string): T | undefined;
  /** Stores a JSON copy of `value` under `key`; durable at the next {@link DiskStore.sync}. */
  put(key: string, value: unknown): void;
  /** Removes `key`; durable at the next {@link DiskStore.sync}. */
  delete(key: string): void;
  /** Applies `ops` in order, all or nothing: a crash never leaves part of a batch. */
  batch(ops: readonly DiskOp[]): void;
  /** Entries `[key, value]` in key order (string order), filtered by `options`. */
  scan<T = unknown>(options?: ScanOptions): [string, T][];
  /** Makes every write to the disk so far durable (all its stores: one journal, one fsync). */
  sync(): void;
}

/** Counters of a {@link Disk}. */
export interface DiskStats {
  /** Writes (puts, deletes, batches) so far. */
  readonly writes: number;
  /** Syncs that had writes to make durable. */
  readonly syncs: number;
  /** Writes lost by crashes before they were synced (the simulator's disk fault). */
  readonly lost: number;
}

/**
 * A machine's disk: named stores that survive its crash.
 *
 * @example A process counts its boots on its machine's disk
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../simulator/simulator.ts";
 * const sim = new Simulator({ seed: 1 });
 * const boots: number[] = [];
 * sim.machine("m1.lab").spawn("p", (ctx) => {
 *   const meta = ctx.disk.open("meta");
 *   const boot = (meta.get<number>("boots") ?? 0) + 1;
 *   meta.put("boots", boot);
 *   meta.sync();
 *   boots.push(boot);
 * });
 * sim.crash("m1.lab", { at: 10, restartAt: 20 });
 * await sim.run();
 * assert.deepEqual(boots, [1, 2]);
 * ```
 */
export interface Disk {
  /** Opens store `name`, creating it when missing; the same name opens the same data. */
  open(name: string): DiskStore;
  /** Names of the stores that hold at least one key, sorted. */
  stores(): string[];
  /** Makes every write so far durable. */
  sync(): void;
  /** Counters since the disk was created (or opened on a real host). */
  stats(): DiskStats;
}
