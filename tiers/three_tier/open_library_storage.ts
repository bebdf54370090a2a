/**
 * Opening the data tier's storage from one location string: a `postgres://` URL opens
 * PostgreSQL, anything else is a SQLite file (or `:memory:`), the default.
 * @module
 */
import { LibraryStore } from "./data_store.ts";
import type { LibraryStorage } from "./library_storage.ts";
import { isPostgresUrl } from "./postgres_connection.ts";
import { PostgresLibraryStore } from "./postgres_library_store.ts";

/** Options of {@link openLibraryStorage}. */
export interface OpenLibraryStorageOptions {
  /** Fill an empty catalogue with a dozen books. @default true */
  readonly seedCatalogue?: boolean;
  /** PostgreSQL only: most ms to wait for the server to accept a connection. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/**
 * Opens the catalogue at `location`: PostgreSQL for a `postgres://` or `postgresql://` URL,
 * SQLite for a file path or `":memory:"`.
 * @throws {TypeError} for an empty path or a bad URL; `PostgresConnectError` when the server
 * cannot be reached.
 *
 * @example SQLite by default
 * ```ts
 * import assert from "node:assert/strict";
 * import { LibraryStore } from "./data_store.ts";
 * import { openLibraryStorage } from "./open_library_storage.ts";
 * const storage = await openLibraryStorage(":memory:");
 * assert.ok(storage instanceof LibraryStore);
 * await storage.close();
 * ```
 */
export async function openLibraryStorage(
  location: string,
  options: OpenLibraryStorageOptions = {},
): Promise<LibraryStorage> {
  if (typeof location === "string" && isPostgresUrl(location)) {
    return await PostgresLibraryStore.connect(location, options);
  }
  return new LibraryStore(location, options);
}
