/**
 * The library catalogue's data access in SQLite through `node:sqlite` (the default
 * {@link LibraryStorage}): one transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error)
 * per operation, the schema and SQL shared with the PostgreSQL adapter. Constraints live in the
 * schema (a unique ISBN, `0 <= available <= copies`); a violation becomes a `conflict`.
 * @module
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { openSqlite } from "../../core/storage/sqlite.ts";
import {
  CATALOGUE,
  COUNT_BOOKS,
  INSERT_BOOK,
  libraryOp,
  librarySchema,
  type Row,
  type SqlSession,
  translateError,
} from "./_library_sql.ts";
import type { LibraryStorage, StoreRunOptions } from "./library_storage.ts";
import type { DataOp } from "./messages.ts";

/** Options of {@link LibraryStore}. */
export interface LibraryStoreOptions {
  /** Fill an empty catalogue with a dozen books. @default true */
  readonly seedCatalogue?: boolean;
}

const noStep = (): Promise<void> => Promise.resolve();

/**
 * The catalogue in one SQLite database: a file (durable, WAL, `synchronous=FULL`) or `:memory:`.
 *
 * @example Borrowing a book is one transaction
 * ```ts
 * import assert from "node:assert/strict";
 * import { LibraryStore } from "./data_store.ts";
 * const store = new LibraryStore(":memory:");
 * const loan = await store.run("borrow", { bookId: 4, member: "ada", maxLoans: 3 }, "t1") as { title: string };
 * assert.equal(loan.title, "Frankenstein");
 * await assert.rejects(store.run("borrow", { bookId: 4, member: "bob", maxLoans: 3 }, "t2"), /no copy/);
 * store.close();
 * ```
 */
export class LibraryStore implements LibraryStorage {
  readonly #db: DatabaseSync;
  readonly #session: SqlSession;

  /**
   * Opens (and creates if needed) the database at `path`.
   * @throws {TypeError} when `path` is empty; SQLite's error when the file cannot be opened.
   */
  constructor(path: string, options: LibraryStoreOptions = {}) {
    this.#db = openSqlite(path, "open the data store");
    this.#db.exec("PRAGMA foreign_keys = ON;" + librarySchema("INTEGER PRIMARY KEY"));
    this.#session = sqliteSession(this.#db);
    if (options.seedCatalogue ?? true) this.#seed();
  }

  /**
   * Rolls back a transaction left open by a crash (what SQLite's journal does when a file is
   * reopened). Returns whether there was one.
   */
  recover(): boolean {
    if (!this.#db.isTransaction) return false;
    this.#db.exec("ROLLBACK");
    return true;
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  /**
   * Runs operation `op` with `params` as one transaction; `traceId` is stored with writes.
   * @throws {StoreError} `not-found` or `conflict` (the transaction is rolled back).
   */
  async run(
    op: DataOp,
    params: Readonly<Record<string, unknown>>,
    traceId: string,
    options: StoreRunOptions = {},
  ): Promise<unknown> {
    const step = options.step ?? noStep;
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      await step();
      const value = await libraryOp(this.#session, op, params, traceId, step);
      options.beforeCommit?.();
      this.#db.exec("COMMIT");
      return value;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw translateError(error, this.#session);
    }
  }

  #seed(): void {
    const count = this.#db.prepare(COUNT_BOOKS).get() as Row;
    if (Number(count.n) > 0) return;
    const insert = this.#db.prepare(INSERT_BOOK);
    this.#db.exec("BEGIN");
    for (const [isbn, title, author, copies] of CATALOGUE) {
      insert.run(isbn, title, author, copies, copies);
    }
    this.#db.exec("COMMIT");
  }
}

function sqliteSession(db: DatabaseSync): SqlSession {
  return {
    all: (sql, values = []) =>
      Promise.resolve(db.prepare(sql).all(...values as SQLInputValue[]) as Row[]),
    insert: (sql, values) =>
      Promise.resolve(Number(db.prepare(sql).run(...values as SQLInputValue[]).lastInsertRowid)),
    run: (sql, values) => {
      db.prepare(sql).run(...values as SQLInputValue[]);
      return Promise.resolve();
    },
    isConstraint,
  };
}

function isConstraint(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === "number" && (code & 0xff) === 19;
}
