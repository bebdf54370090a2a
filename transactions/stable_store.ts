/**
 * Stable storage: what survives a crash. One SQLite database (`node:sqlite`) per machine holds
 * the committed key-value data, the write-ahead log and a few counters; every change is one
 * SQLite transaction, so a crash never leaves half of it.
 *
 * Real OS processes use a file (WAL journal, `synchronous=FULL`): it survives `SIGKILL`. In the
 * simulator a `:memory:` database does the same job: the store object belongs to the program
 * instance (or to the test harness), which the machine runs again after a crash, so the store
 * survives the crash while mailboxes, locks, workspaces and timers are lost. SQLite calls are
 * synchronous: a simulated process never awaits real I/O.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { openSqlite } from "../core/storage/sqlite.ts";
import type { LogRecord } from "./log_records.ts";
import type { StableStorage } from "./stable_storage.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS data (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);`;

/**
 * A machine's stable storage: data, log and counters in one SQLite database.
 *
 * @example Writes and a log record land together
 * ```ts
 * import assert from "node:assert/strict";
 * import { StableStore } from "./stable_store.ts";
 * const store = new StableStore();
 * store.initialize({ alice: 100 });
 * store.apply([["alice", 70], ["bob", 30]], { type: "outcome", txid: "t1", decision: "commit", blockedMs: 0 });
 * assert.deepEqual(store.entries(), { alice: 70, bob: 30 });
 * assert.equal(store.log().length, 1);
 * assert.equal(store.nextIncarnation(), 1);
 * assert.equal(store.nextIncarnation(), 2);
 * store.close();
 * ```
 */
export class StableStore implements StableStorage {
  /** Where it lives: a file path or `:memory:`. */
  readonly path: string;
  readonly #db: DatabaseSync;

  /**
   * Opens (creating if needed) the store at `path`.
   * @throws {TypeError} when `path` is empty; SQLite's error when the file cannot be opened.
   */
  constructor(path = ":memory:") {
    this.#db = openSqlite(path, "open stable storage");
    this.path = path;
    this.#db.exec(SCHEMA);
  }

  /** The committed value of `key`, or `undefined`. */
  get(key: string): unknown {
    const row = this.#db.prepare("SELECT value FROM data WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row === undefined ? undefined : JSON.parse(row.value);
  }

  /** Every committed value, by key (sorted). */
  entries(): Record<string, unknown> {
    const rows = this.#db.prepare("SELECT key, value FROM data ORDER BY key").all() as {
      key: string;
      value: string;
    }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)]));
  }

  /** Writes `values` when the store holds no data yet (first boot); returns whether it did. */
  initialize(values: Readonly<Record<string, unknown>>): boolean {
    const count = this.#db.prepare("SELECT COUNT(*) AS n FROM data").get() as { n: number };
    if (Number(count.n) > 0) return false;
    this.#atomically(() => {
      for (const [key, value] of Object.entries(values)) this.#put(key, value);
    });
    return true;
  }

  /** Appends `record` to the log (forced: it is on stable storage when this returns). */
  append(record: LogRecord): void {
    this.#db.prepare("INSERT INTO log (record) VALUES (?)").run(JSON.stringify(record));
  }

  /** Installs `writes` and appends `record`, all or nothing. */
  apply(writes: readonly (readonly [string, unknown])[], record: LogRecord): void {
    this.#atomically(() => {
      for (const [key, value] of writes) this.#put(key, value);
      this.append(record);
    });
  }

  /** The log, oldest record first. */
  log(): LogRecord[] {
    const rows = this.#db.prepare("SELECT record FROM log ORDER BY seq").all() as {
      record: string;
    }[];
    return rows.map((r) => JSON.parse(r.record) as LogRecord);
  }

  /** A named counter or flag, or `undefined`. */
  meta(name: string): string | undefined {
    const row = this.#db.prepare("SELECT value FROM meta WHERE name = ?").get(name) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Sets a named counter or flag. */
  setMeta(name: string, value: string): void {
    this.#db.prepare(
      "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
    ).run(name, value);
  }

  /** Counts one more start of the owner and returns the count (1 on the first boot). */
  nextIncarnation(): number {
    const next = Number(this.meta("incarnation") ?? "0") + 1;
    this.setMeta("incarnation", String(next));
    return next;
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #put(key: string, value: unknown): void {
    this.#db.prepare(
      "INSERT INTO data (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(key, JSON.stringify(value ?? null));
  }

  #atomically(fn: () => void): void {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      fn();
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
