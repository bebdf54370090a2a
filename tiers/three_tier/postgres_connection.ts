/**
 * Connecting to PostgreSQL with the `postgres` client from npm (loaded only when a URL is
 * used): URL checks that quote the bad URL, passwords kept out of messages, a bounded connect
 * timeout, and a {@link PostgresConnectError} that says what to check. A real database is I/O
 * outside the simulator's virtual time: PostgreSQL is for runs on real sockets.
 * @module
 */
import type postgres from "postgres";

/** An open client: one connection, opened on the first query, reopened after a failure. */
export type PostgresSql = postgres.Sql;

/** Options of {@link connectPostgres}. */
export interface ConnectPostgresOptions {
  /** Most ms to wait for the server to accept a connection and answer. @default 5000 */
  readonly connectTimeoutMs?: number;
}

/**
 * Whether `location` names a PostgreSQL database (`postgres://` or `postgresql://`) rather
 * than a SQLite file.
 *
 * @example A URL or a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPostgresUrl } from "./postgres_connection.ts";
 * assert.equal(isPostgresUrl("postgres://lab@127.0.0.1:5432/library"), true);
 * assert.equal(isPostgresUrl(".lab-data/three-tier.db"), false);
 * ```
 */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * `url` with its password replaced by `***`, for messages and logs.
 *
 * @example The password stays out of messages
 * ```ts
 * import assert from "node:assert/strict";
 * import { redactPostgresUrl } from "./postgres_connection.ts";
 * assert.equal(redactPostgresUrl("postgres://ada:secret@db:5432/lib"), "postgres://ada:***@db:5432/lib");
 * ```
 */
export function redactPostgresUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/**
 * Checks that `url` is a PostgreSQL URL the client can use: scheme `postgres:` or
 * `postgresql:`, a host, and at most a database name as path. `options.label` names it in the
 * message (`--db`; @default "database URL").
 * @throws {TypeError} quoting the URL (password redacted) and the accepted form.
 *
 * @example A URL without a host is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkPostgresUrl } from "./postgres_connection.ts";
 * assert.equal(checkPostgresUrl("postgres://ada@127.0.0.1:5432/library").hostname, "127.0.0.1");
 * assert.throws(() => checkPostgresUrl("postgres:///library"), /has no host/);
 * ```
 */
export function checkPostgresUrl(url: string, options: { readonly label?: string } = {}): URL {
  const form = "write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";
  const quoted = `${options.label ?? "database URL"} ${
    JSON.stringify(redactPostgresUrl(String(url)))
  }`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new TypeError(`Cannot use ${quoted}: it is not a valid URL; ${form}`, {
      cause: error,
    });
  }
  const problem = !isPostgresUrl(url)
    ? `its scheme is "${parsed.protocol}", not postgres: or postgresql:`
    : parsed.hostname === "" && !parsed.searchParams.has("host")
    ? "it has no host"
    : /^\/[^/]*$|^$/.test(parsed.pathname)
    ? undefined
    : `its path "${parsed.pathname}" is not one database name`;
  if (problem !== undefined) {
    throw new TypeError(`Cannot use ${quoted}: ${problem}; ${form}`);
  }
  return parsed;
}

/**
 * The database refused or never answered the connection: the URL (password redacted) and why.
 *
 * @example What the error carries
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostgresConnectError } from "./postgres_connection.ts";
 * const error = new PostgresConnectError("postgres://ada:pw@db/lib", "connection refused");
 * assert.equal(error.url, "postgres://ada:***@db/lib");
 * assert.match(error.message, /^Cannot connect to PostgreSQL at postgres:\/\/ada:\*\*\*@db\/lib: connection refused;/);
 * ```
 */
export class PostgresConnectError extends Error {
  /** The URL tried, password redacted. */
  readonly url: string;
  /** Creates the error; `reason` says what went wrong. */
  constructor(url: string, reason: string, options?: ErrorOptions) {
    const shown = redactPostgresUrl(url);
    super(
      `Cannot connect to PostgreSQL at ${shown}: ${reason}; check that the server runs and ` +
        "accepts this host, port, user and database",
      options,
    );
    this.name = "PostgresConnectError";
    this.url = shown;
  }
}

/**
 * Opens a client on `url` and checks the connection with one query, within
 * `connectTimeoutMs`. Loads the npm client on first use.
 * @throws {TypeError} for a bad URL; {@link PostgresConnectError} when the server cannot be
 * reached, refuses the login or has no such database.
 */
export async function connectPostgres(
  url: string,
  options: ConnectPostgresOptions = {},
): Promise<PostgresSql> {
  checkPostgresUrl(url);
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  if (!(timeoutMs > 0)) {
    throw new RangeError(
      `Cannot connect to PostgreSQL: connectTimeoutMs ${timeoutMs} must be a number above 0`,
    );
  }
  const { default: open } = await import("postgres");
  const sql = open(url, {
    max: 1,
    connect_timeout: timeoutMs / 1000,
    connection: { application_name: "archlab" },
    // Notices ("relation already exists, skipping") inform; they are not errors: not printed.
    onnotice: () => undefined,
  });
  try {
    await sql.unsafe("SELECT 1");
  } catch (error) {
    await sql.end({ timeout: 0 });
    const code = (error as { code?: unknown }).code;
    const reason = code === "CONNECT_TIMEOUT"
      ? `no answer within ${timeoutMs} ms`
      : `${(error as Error).message ?? error}`;
    throw new PostgresConnectError(url, reason, { cause: error });
  }
  return sql;
}

/**
 * Whether `error` means the connection or the server failed (the operation may work again
 * later), or the server refused a transaction that raced another (serialization failure or
 * deadlock: retrying works).
 *
 * @example Transient and permanent errors
 * ```ts
 * import assert from "node:assert/strict";
 * import { isTransientPostgresError } from "./postgres_connection.ts";
 * assert.equal(isTransientPostgresError({ code: "CONNECTION_CLOSED" }), true);
 * assert.equal(isTransientPostgresError({ code: "40001" }), true);
 * assert.equal(isTransientPostgresError({ code: "23505" }), false);
 * ```
 */
export function isTransientPostgresError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return /^(08|57P0[123]|40001|40P01)/.test(code) ||
    /^(CONNECTION_|CONNECT_TIMEOUT|ECONN|EPIPE|ETIMEDOUT)/.test(code);
}
