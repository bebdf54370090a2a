/**
 * The library catalogue's data access: books and loans in SQLite through `node:sqlite`, one
 * transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on any error) per operation. Constraints live
 * in the schema (a unique ISBN, `0 <= available <= copies`); a violation becomes a `conflict`.
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import type { Book, DataOp, ErrorCode, Loan } from "./three_tier_messages.ts";

/**
 * An operation refused by the store, with the code the tiers report.
 *
 * @example A refusal with its code
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreError } from "./data_store.ts";
 * const error = new StoreError("not-found", "Cannot find book 99");
 * assert.equal(error.code, "not-found");
 * ```
 */
export class StoreError extends Error {
  /** What kind of refusal: `not-found`, `conflict`, `invalid`. */
  readonly code: ErrorCode;
  /** Creates the error. */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "StoreError";
    this.code = code;
  }
}

/** Options of {@link LibraryStore}. */
export interface LibraryStoreOptions {
  /** Fill an empty catalogue with a dozen books. @default true */
  readonly seedCatalogue?: boolean;
}

/** Options of {@link LibraryStore.run}. */
export interface StoreRunOptions {
  /**
   * Awaited between the statements of an operation (the simulator uses it to model statement
   * cost, so that a crash can land in the middle of a transaction). @default none
   */
  readonly step?: () => Promise<void>;
  /** Checked just before COMMIT; throwing rolls the transaction back. @default none */
  readonly beforeCommit?: () => void;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS books (
  id INTEGER PRIMARY KEY,
  isbn TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  author TEXT NOT NULL,
  copies INTEGER NOT NULL CHECK (copies >= 1),
  available INTEGER NOT NULL CHECK (available >= 0 AND available <= copies)
);
CREATE TABLE IF NOT EXISTS loans (
  id INTEGER PRIMARY KEY,
  book_id INTEGER NOT NULL REFERENCES books(id),
  member TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  returned INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS loans_member ON loans(member, returned);`;

const CATALOGUE: readonly (readonly [string, string, string, number])[] = [
  ["9780141439518", "Pride and Prejudice", "Jane Austen", 3],
  ["9780141439600", "A Tale of Two Cities", "Charles Dickens", 2],
  ["9780141441146", "Jane Eyre", "Charlotte Bronte", 2],
  ["9780141439471", "Frankenstein", "Mary Shelley", 1],
  ["9780141439846", "Dracula", "Bram Stoker", 2],
  ["9780141439570", "The Picture of Dorian Gray", "Oscar Wilde", 1],
  ["9780141439556", "Wuthering Heights", "Emily Bronte", 2],
  ["9780142437247", "Moby-Dick", "Herman Melville", 1],
  ["9780140449136", "Crime and Punishment", "Fyodor Dostoevsky", 2],
  ["9780140447934", "War and Peace", "Leo Tolstoy", 1],
  ["9780141441672", "Great Expectations", "Charles Dickens", 2],
  ["9780141439747", "Middlemarch", "George Eliot", 1],
];

const BOOK_COLUMNS = "id, isbn, title, author, copies, available";
const LOAN_SELECT = "SELECT loans.id AS id, book_id, title, member, returned FROM loans " +
  "JOIN books ON books.id = loans.book_id";

function toBook(row: Record<string, unknown>): Book {
  return {
    id: Number(row.id),
    isbn: String(row.isbn),
    title: String(row.title),
    author: String(row.author),
    copies: Number(row.copies),
    available: Number(row.available),
  };
}

function toLoan(row: Record<string, unknown>): Loan {
  return {
    id: Number(row.id),
    bookId: Number(row.book_id),
    title: String(row.title),
    member: String(row.member),
    returned: Number(row.returned) !== 0,
  };
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
export class LibraryStore {
  readonly #db: DatabaseSync;

  /**
   * Opens (and creates if needed) the database at `path`.
   * @throws {TypeError} when `path` is empty; SQLite's error when the file cannot be opened.
   */
  constructor(path: string, options: LibraryStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `Cannot open the data store: path ${
          JSON.stringify(path)
        } must be a file path or ":memory:"`,
      );
    }
    this.#db = new DatabaseSync(path);
    if (path !== ":memory:") {
      this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    }
    this.#db.exec("PRAGMA foreign_keys = ON;" + SCHEMA);
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
      const value = await this.#op(op, params, traceId, step);
      options.beforeCommit?.();
      this.#db.exec("COMMIT");
      return value;
    } catch (error) {
      if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
      throw translate(error);
    }
  }

  #all(sql: string, ...values: SQLInputValue[]): Record<string, unknown>[] {
    return this.#db.prepare(sql).all(...values) as Record<string, unknown>[];
  }

  #get(sql: string, ...values: SQLInputValue[]): Record<string, unknown> | undefined {
    return this.#db.prepare(sql).get(...values) as Record<string, unknown> | undefined;
  }

  #book(id: number): Book {
    const row = this.#get(`SELECT ${BOOK_COLUMNS} FROM books WHERE id = ?`, id);
    if (row === undefined) throw new StoreError("not-found", `Cannot find book ${id}`);
    return toBook(row);
  }

  async #op(
    op: DataOp,
    p: Readonly<Record<string, unknown>>,
    traceId: string,
    step: () => Promise<void>,
  ): Promise<unknown> {
    switch (op) {
      case "overview":
        return {
          books: this.#all(`SELECT ${BOOK_COLUMNS} FROM books ORDER BY id`).map(toBook),
          loans: this.#all(`${LOAN_SELECT} WHERE returned = 0 ORDER BY loans.id DESC LIMIT 50`)
            .map(toLoan),
        };
      case "listBooks": {
        const q = typeof p.q === "string" ? `%${p.q}%` : "%";
        const rows = this.#all(
          `SELECT ${BOOK_COLUMNS} FROM books WHERE title LIKE ? OR author LIKE ? ORDER BY id`,
          q,
          q,
        );
        return { books: rows.map(toBook) };
      }
      case "getBook":
        return this.#book(Number(p.id));
      case "addBook": {
        const copies = Number(p.copies);
        const isbn = String(p.isbn);
        const taken = this.#get("SELECT id FROM books WHERE isbn = ?", isbn);
        if (taken !== undefined) {
          throw new StoreError(
            "conflict",
            `Cannot add the book: ISBN "${isbn}" is book ${taken.id} already; borrow or update that one`,
          );
        }
        await step();
        const result = this.#db.prepare(
          "INSERT INTO books (isbn, title, author, copies, available) VALUES (?, ?, ?, ?, ?)",
        ).run(isbn, String(p.title), String(p.author), copies, copies);
        return this.#book(Number(result.lastInsertRowid));
      }
      case "borrow":
        return await this.#borrow(p, traceId, step);
      case "giveBack":
        return await this.#giveBack(Number(p.loanId), step);
      case "listLoans": {
        const rows = typeof p.member === "string"
          ? this.#all(
            `${LOAN_SELECT} WHERE member = ? AND returned = 0 ORDER BY loans.id`,
            p.member,
          )
          : this.#all(`${LOAN_SELECT} WHERE returned = 0 ORDER BY loans.id`);
        return { loans: rows.map(toLoan) };
      }
      default:
        throw new StoreError("invalid", `Cannot run data operation "${op}": unknown operation`);
    }
  }

  async #borrow(
    p: Readonly<Record<string, unknown>>,
    traceId: string,
    step: () => Promise<void>,
  ): Promise<Loan> {
    const book = this.#book(Number(p.bookId));
    const member = String(p.member);
    const held = Number(
      this.#get("SELECT COUNT(*) AS n FROM loans WHERE member = ? AND returned = 0", member)!.n,
    );
    if (held >= Number(p.maxLoans)) {
      throw new StoreError(
        "conflict",
        `Cannot lend "${book.title}" to ${member}: they already hold ${held} loans (the limit)`,
      );
    }
    await step();
    try {
      this.#db.prepare("UPDATE books SET available = available - 1 WHERE id = ?").run(book.id);
    } catch (error) {
      if (isConstraint(error)) {
        throw new StoreError(
          "conflict",
          `Cannot lend "${book.title}": no copy is available (all ${book.copies} are on loan)`,
        );
      }
      throw error;
    }
    await step();
    const result = this.#db.prepare(
      "INSERT INTO loans (book_id, member, trace_id) VALUES (?, ?, ?)",
    ).run(book.id, member, traceId);
    return {
      id: Number(result.lastInsertRowid),
      bookId: book.id,
      title: book.title,
      member,
      returned: false,
    };
  }

  async #giveBack(loanId: number, step: () => Promise<void>): Promise<Loan> {
    const row = this.#get(`${LOAN_SELECT} WHERE loans.id = ?`, loanId);
    if (row === undefined) throw new StoreError("not-found", `Cannot find loan ${loanId}`);
    const loan = toLoan(row);
    if (loan.returned) {
      throw new StoreError("conflict", `Cannot return loan ${loanId}: it was returned already`);
    }
    await step();
    this.#db.prepare("UPDATE loans SET returned = 1 WHERE id = ?").run(loanId);
    await step();
    this.#db.prepare("UPDATE books SET available = available + 1 WHERE id = ?").run(loan.bookId);
    return { ...loan, returned: true };
  }

  #seed(): void {
    const count = Number(this.#get("SELECT COUNT(*) AS n FROM books")!.n);
    if (count > 0) return;
    const insert = this.#db.prepare(
      "INSERT INTO books (isbn, title, author, copies, available) VALUES (?, ?, ?, ?, ?)",
    );
    this.#db.exec("BEGIN");
    for (const [isbn, title, author, copies] of CATALOGUE) {
      insert.run(isbn, title, author, copies, copies);
    }
    this.#db.exec("COMMIT");
  }
}

function isConstraint(error: unknown): boolean {
  const code = (error as { errcode?: unknown }).errcode;
  return typeof code === "number" && (code & 0xff) === 19;
}

function translate(error: unknown): unknown {
  if (error instanceof StoreError || !isConstraint(error)) return error;
  const message = (error as Error).message;
  return new StoreError("conflict", `Cannot write: a constraint was violated (${message})`);
}
