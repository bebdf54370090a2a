/**
 * A {@link Disk} in one SQLite file (`node:sqlite`, loaded when the disk is opened): a real host's
 * stable storage. The writes since the last `sync` are one open transaction, the disk's volatile
 * cache: an OS process killed before it syncs loses them, and `sync` commits them (WAL journal,
 * `synchronous=FULL`), so a synced write survives `kill -9` and a power loss.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Disk, DiskOp, DiskStats, DiskStore, ScanOptions } from "./disk.ts";
import { batchWrites, diskCheck, diskStoreName, type DiskWrite } from "./_disk_check.ts";
import { openSqlite } from "./sqlite.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS disk (
  store TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (store, key)
) WITHOUT ROWID;`;

interface Statements {
  readonly get: StatementSync;
  readonly put: StatementSync;
  readonly del: StatementSync;
  readonly scan: StatementSync;
  readonly scanDesc: StatementSync;
  readonly stores: StatementSync;
}

/**
 * A disk in a SQLite file (or `:memory:`).
 *
 * @example A synced write is in the file; a write not synced is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteDisk } from "./sqlite_disk.ts";
 * const path = await Deno.makeTempFile({ suffix: ".db" });
 * const disk = new SqliteDisk(path);
 * const kv = disk.open("kv");
 * kv.put("x", { n: 1 });
 * kv.sync();
 * kv.put("y", 2);
 * const other = new SqliteDisk(path); // what a restarted OS process would find
 * assert.deepEqual(other.open("kv").scan(), [["x", { n: 1 }]]);
 * other.close();
 * disk.close();
 * await Deno.remove(path);
 * ```
 */
export class SqliteDisk implements Disk {
  /** The file path, or `:memory:`. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #sql: Statements;
  #writes = 0;
  #syncs = 0;

  /**
   * Opens (creating if needed) the disk at `path`.
   * @throws {TypeError} when `path` is empty or `node:sqlite` is missing; SQLite's error when
   * the file cannot be opened.
   */
  constructor(path: string) {
    this.#db = openSqlite(path, "open the machine's disk");
    this.path = path;
    this.#db.exec(SCHEMA);
    const db = this.#db;
    const range = "FROM disk WHERE store = ? AND key >= ? AND substr(key, 1, length(?)) = ?";
    this.#sql = {
      get: db.prepare("SELECT value FROM disk WHERE store = ? AND key = ?"),
      put: db.prepare(
        "INSERT INTO disk (store, key, value) VALUES (?, ?, ?) " +
          "ON CONFLICT (store, key) DO UPDATE SET value = excluded.value",
      ),
      del: db.prepare("DELETE FROM disk WHERE store = ? AND key = ?"),
      scan: db.prepare(`SELECT key, value ${range} ORDER BY key LIMIT ?`),
      scanDesc: db.prepare(`SELECT key, value ${range} ORDER BY key DESC LIMIT ?`),
      stores: db.prepare("SELECT DISTINCT store FROM disk ORDER BY store"),
    };
  }

  /** See {@link Disk.open}. */
  open(name: string): DiskStore {
    diskStoreName(name);
    return {
      name,
      get: <T>(key: string) => this.#get<T>(name, key),
      put: (key, value) => this.#write([[key, diskCheck(`write "${name}"`, key, value)]], name),
      delete: (key) => {
        diskCheck(`delete from "${name}"`, key);
        this.#write([[key, undefined]], name);
      },
      batch: (ops) => this.#batch(name, ops),
      scan: <T>(options?: ScanOptions) => this.#scan<T>(name, options),
      sync: () => this.sync(),
    };
  }

  /** See {@link Disk.stores}. */
  stores(): string[] {
    return (this.#sql.stores.all() as { store: string }[]).map((row) => row.store);
  }

  /** See {@link Disk.sync}: commits the writes since the last sync. */
  sync(): void {
    if (!this.#db.isTransaction) return;
    this.#db.exec("COMMIT");
    this.#syncs++;
  }

  /** See {@link Disk.stats} (`lost` is always 0: a real disk does not tell). */
  stats(): DiskStats {
    return { writes: this.#writes, syncs: this.#syncs, lost: 0 };
  }

  /** Syncs and closes the file; the disk must not be used afterwards. */
  close(): void {
    if (!this.#db.isOpen) return;
    this.sync();
    this.#db.close();
  }

  /** Syncs and closes the file (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #get<T>(store: string, key: string): T | undefined {
    diskCheck(`read "${store}"`, key);
    const row = this.#sql.get.get(store, key) as { value: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.value) as T;
  }

  #write(writes: readonly DiskWrite[], store: string): void {
    if (!this.#db.isTransaction) this.#db.exec("BEGIN IMMEDIATE");
    this.#db.exec("SAVEPOINT batch");
    try {
      for (const [key, text] of writes) {
        if (text === undefined) this.#sql.del.run(store, key);
        else this.#sql.put.run(store, key, text);
      }
      this.#db.exec("RELEASE batch");
    } catch (error) {
      this.#db.exec("ROLLBACK TO batch");
      this.#db.exec("RELEASE batch");
      throw error;
    }
    this.#writes++;
  }

  #batch(store: string, ops: readonly DiskOp[]): void {
    const writes = batchWrites(store, ops);
    if (writes.length > 0) this.#write(writes, store);
  }

  #scan<T>(store: string, options: ScanOptions = {}): [string, T][] {
    const prefix = options.prefix ?? "";
    const limit = options.limit ?? Infinity;
    const statement = options.reverse === true ? this.#sql.scanDesc : this.#sql.scan;
    const rows = statement.all(store, prefix, prefix, prefix, Number.isFinite(limit) ? limit : -1);
    return (rows as { key: string; value: string }[]).map((r) => [r.key, JSON.parse(r.value) as T]);
  }
}
