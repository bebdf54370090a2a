/**
 * A {@link MessageStore} in SQLite through `node:sqlite` (Deno, Node >= 22.5): a file for a real
 * post office, `:memory:` for one in the simulator (owned by the harness, so it outlives a crash
 * of the office's machine). `node:sqlite` is loaded when a store is opened, not when the core is
 * imported, so the rest of the core still runs where it is missing.
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { Mail, MessageStore } from "./message_store.ts";
import type { Address } from "../name.ts";
import { openSqlite } from "./sqlite.ts";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS mail (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient TEXT NOT NULL,
  sender TEXT NOT NULL,
  body TEXT NOT NULL,
  at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS mail_recipient ON mail(recipient, id);`;

function toMail(row: Record<string, unknown>): Mail {
  return {
    id: Number(row.id),
    from: String(row.sender),
    to: String(row.recipient),
    body: JSON.parse(String(row.body)),
    at: Number(row.at),
  };
}

/**
 * Mailboxes in one SQLite table: a file (WAL, `synchronous=FULL`: a stored message survives a
 * crash of the host) or `:memory:`.
 *
 * @example Mail survives closing and reopening the file
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteMessageStore } from "./sqlite_message_store.ts";
 * const path = await Deno.makeTempFile({ suffix: ".db" });
 * const first = new SqliteMessageStore(path);
 * first.put({ from: "a@m1.lab", to: "b@m2.lab", body: { n: 1 }, at: 5 });
 * first.close();
 * const again = new SqliteMessageStore(path);
 * assert.deepEqual(again.peek("b@m2.lab", 1)[0].body, { n: 1 });
 * again.close();
 * await Deno.remove(path);
 * ```
 */
export class SqliteMessageStore implements MessageStore {
  /** The file path, or `:memory:`. */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #put: StatementSync;
  readonly #peek: StatementSync;
  readonly #remove: StatementSync;
  readonly #count: StatementSync;
  readonly #countAll: StatementSync;

  /**
   * Opens (and creates if needed) the store at `path`.
   * @throws {TypeError} when `path` is empty or `node:sqlite` is missing; SQLite's error when
   * the file cannot be opened.
   */
  constructor(path: string = ":memory:") {
    this.#db = openSqlite(path, "open message store");
    this.path = path;
    this.#db.exec(SCHEMA);
    this.#put = this.#db.prepare(
      "INSERT INTO mail (recipient, sender, body, at) VALUES (?, ?, ?, ?) RETURNING id",
    );
    this.#peek = this.#db.prepare(
      "SELECT id, recipient, sender, body, at FROM mail WHERE recipient = ? ORDER BY id LIMIT ?",
    );
    this.#remove = this.#db.prepare("DELETE FROM mail WHERE id = ? AND recipient = ?");
    this.#count = this.#db.prepare("SELECT COUNT(*) AS n FROM mail WHERE recipient = ?");
    this.#countAll = this.#db.prepare("SELECT COUNT(*) AS n FROM mail");
  }

  /** See {@link MessageStore.put}. */
  put(mail: Omit<Mail, "id">): number {
    const body = JSON.stringify(mail.body) ?? "null";
    const row = this.#put.get(mail.to, mail.from, body, mail.at) as { id: number | bigint };
    return Number(row.id);
  }

  /** See {@link MessageStore.peek}. */
  peek(to: Address, max: number): Mail[] {
    if (!(max >= 1)) return [];
    const rows = this.#peek.all(to, Math.min(max, 1_000_000)) as Record<string, unknown>[];
    return rows.map(toMail);
  }

  /** See {@link MessageStore.remove}. */
  remove(to: Address, ids: readonly number[]): number {
    if (ids.length === 0) return 0;
    let removed = 0;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      for (const id of ids) removed += Number(this.#remove.run(id, to).changes);
      this.#db.exec("COMMIT");
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw error;
    }
    return removed;
  }

  /** See {@link MessageStore.count}. */
  count(to?: Address): number {
    const row = (to === undefined ? this.#countAll.get() : this.#count.get(to)) as { n: number };
    return Number(row.n);
  }

  /** Closes the database; the store must not be used afterwards. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /** Closes the database (for `using`). */
  [Symbol.dispose](): void {
    this.close();
  }
}
