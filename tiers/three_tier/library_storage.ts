/**
 * The data tier's storage interface: the library catalogue behind one call per operation, each
 * one database transaction. Two adapters implement it with the same schema and the same SQL:
 * SQLite ({@link LibraryStore}, the default, embedded) and PostgreSQL
 * ({@link PostgresLibraryStore}, given a `postgres://` URL, for runs on real sockets).
 * @module
 */
import type { DataOp, ErrorCode } from "./messages.ts";

/**
 * An operation refused by the store, with the code the tiers report.
 *
 * @example A refusal with its code
 * ```ts
 * import assert from "node:assert/strict";
 * import { StoreError } from "./library_storage.ts";
 * const error = new StoreError("not-found", "Cannot find book 99");
 * assert.equal(error.code, "not-found");
 * ```
 */
export class StoreError extends Error {
  /** What kind of refusal: `not-found`, `conflict`, `invalid`, `unavailable`. */
  readonly code: ErrorCode;
  /** Creates the error. */
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = "StoreError";
    this.code = code;
  }
}

/** Options of {@link LibraryStorage.run}. */
export interface StoreRunOptions {
  /**
   * Awaited between the statements of an operation (the simulator uses it to model statement
   * cost, so that a crash can land in the middle of a transaction). @default none
   */
  readonly step?: () => Promise<void>;
  /** Checked just before COMMIT; throwing rolls the transaction back. @default none */
  readonly beforeCommit?: () => void;
}

/**
 * Where the data tier keeps the catalogue: books and loans, one transaction per operation.
 *
 * @example Any adapter behind one type
 * ```ts
 * import assert from "node:assert/strict";
 * import { LibraryStore } from "./data_store.ts";
 * import type { LibraryStorage } from "./library_storage.ts";
 * const storage: LibraryStorage = new LibraryStore(":memory:");
 * const book = await storage.run("getBook", { id: 1 }, "t1") as { title: string };
 * assert.equal(book.title, "Pride and Prejudice");
 * await storage.close();
 * ```
 */
export interface LibraryStorage {
  /**
   * Runs operation `op` with `params` as one transaction; `traceId` is stored with writes.
   * Rejects with a {@link StoreError} (`not-found`, `conflict`, `unavailable`) after rolling back.
   */
  run(
    op: DataOp,
    params: Readonly<Record<string, unknown>>,
    traceId: string,
    options?: StoreRunOptions,
  ): Promise<unknown>;
  /** Rolls back a transaction a crash left open; returns whether there was one. */
  recover(): boolean | Promise<boolean>;
  /** Closes the database (or the connection to it). */
  close(): void | Promise<void>;
}
