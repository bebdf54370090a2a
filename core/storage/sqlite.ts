/**
 * Opening a SQLite database through `node:sqlite` (Deno, Node 22.5 or later), loaded when a
 * database is opened rather than when a module is imported: the core and every architecture load
 * where `node:sqlite` is missing (Node 20), and only what really opens a database needs it.
 * @module
 */
import process from "node:process";
import type { DatabaseSync } from "node:sqlite";

/**
 * Opens (creating if needed) the SQLite database at `path` (a file, or `:memory:`); a file gets a
 * WAL journal with `synchronous=FULL`, so a committed transaction survives a crash of the host,
 * and waits up to 5 s for a lock another connection holds.
 *
 * @param path A file path or `:memory:`.
 * @param action What the caller was doing, for the error: `open stable storage "p1.sqlite"`.
 * @throws {TypeError} When `path` is empty, or `node:sqlite` is not available in this runtime.
 * @throws {Error} `Cannot <action>: ...` naming the path, when the file cannot be opened (its
 * folder is missing or not writable, it is a folder, it is not a database); SQLite's error is
 * the `cause`.
 *
 * @example An in-memory database
 * ```ts
 * import assert from "node:assert/strict";
 * import { openSqlite } from "./sqlite.ts";
 * const db = openSqlite(":memory:", "open a scratch database");
 * db.exec("CREATE TABLE t (x INTEGER)");
 * db.prepare("INSERT INTO t VALUES (?)").run(7);
 * assert.deepEqual({ ...db.prepare("SELECT x FROM t").get() }, { x: 7 });
 * db.close();
 * assert.throws(() => openSqlite("", "open a scratch database"), TypeError);
 * assert.throws(
 *   () => openSqlite("/nonexistent/p1.sqlite", "open the disk"),
 *   /^Error: Cannot open the disk: "\/nonexistent\/p1.sqlite" cannot be opened \(unable to open database file\); give a file in a folder that exists/,
 * );
 * ```
 */
export function openSqlite(path: string, action: string): DatabaseSync {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot ${action}: path ${JSON.stringify(path)} must be a file path or ":memory:"`,
    );
  }
  const sqlite = process.getBuiltinModule?.("node:sqlite") as
    | typeof import("node:sqlite")
    | undefined;
  if (sqlite === undefined) {
    throw new TypeError(
      `Cannot ${action}: node:sqlite is not available in this runtime; use Deno or Node 22.5 or later`,
    );
  }
  if (path === ":memory:") return new sqlite.DatabaseSync(path);
  let db: DatabaseSync | undefined;
  try {
    db = new sqlite.DatabaseSync(path);
    // Another OS process on the same file (a restarted machine starting while the one it
    // replaces still runs) waits its turn for a lock instead of failing with "database is locked".
    db.exec("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
    return db;
  } catch (error) {
    db?.close();
    // SQLite's message may end with the path, which the error quotes already.
    const said = (error instanceof Error ? error.message : String(error)).replace(`: ${path}`, "");
    throw new Error(
      `Cannot ${action}: ${JSON.stringify(path)} cannot be opened (${said}); give a file in a ` +
        "folder that exists and this user can write, or a SQLite database",
      { cause: error },
    );
  }
}
