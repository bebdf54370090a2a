/**
 * Where the key-value server keeps its data: in the process's memory (lost with a crash), or
 * on stable storage that survives one. A durable store belongs to the program instance, not to
 * a run of its process: in the simulator the machine runs the same instance again after a
 * crash and finds the store as it was; on a real host it is a SQLite file (`node:sqlite`,
 * WAL journal, `synchronous=FULL`) that a restarted OS process opens again, so a write the
 * server acknowledged survives `kill -9`.
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { openSqlite } from "../../core/storage/sqlite.ts";

/** The key-value server's data. */
export interface KvStore {
  /** The value of `key`, or `undefined`. */
  get(key: string): string | undefined;
  /** Sets `key` to `value`; on stable storage, durably before it returns. */
  set(key: string, value: string): void;
  /** Removes `key`. */
  delete(key: string): void;
  /** Number of keys. */
  readonly size: number;
}

/**
 * A store on a SQLite database at `path` (`":memory:"` for one that lives as long as the
 * object: in the simulator, the program instance).
 *
 * @example Writes survive reopening the file
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteKvStore } from "./kv_store.ts";
 * const dir = await Deno.makeTempDir();
 * const first = new SqliteKvStore(`${dir}/kv.sqlite`);
 * first.set("x", "1");
 * first.close();
 * const again = new SqliteKvStore(`${dir}/kv.sqlite`);
 * assert.equal(again.get("x"), "1");
 * assert.equal(again.size, 1);
 * again.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class SqliteKvStore implements KvStore {
  /** Where it lives: a file path or `:memory:`. */
  readonly path: string;
  readonly #db: DatabaseSync;

  /**
   * Opens (creating if needed) the store at `path`.
   * @throws {TypeError} when `path` is empty; SQLite's error when the file cannot be opened.
   */
  constructor(path = ":memory:") {
    this.#db = openSqlite(path, "open the key-value store");
    this.path = path;
    this.#db.exec("CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  /** The value of `key`, or `undefined`. */
  get(key: string): string | undefined {
    const row = this.#db.prepare("SELECT value FROM kv WHERE key = ?").get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  /** Sets `key` to `value`, committed before it returns. */
  set(key: string, value: string): void {
    this.#db.prepare(
      "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    ).run(key, value);
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.#db.prepare("DELETE FROM kv WHERE key = ?").run(key);
  }

  /** Number of keys. */
  get size(): number {
    return (this.#db.prepare("SELECT COUNT(*) AS n FROM kv").get() as { n: number }).n;
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }
}
