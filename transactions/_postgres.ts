/**
 * Connecting the transaction processes to PostgreSQL with the `postgres` client from npm
 * (loaded only when a URL is used): the URL checked and quoted without its password, a bounded
 * connect timeout, and an error that says what to check.
 * @module
 */
import type postgres from "postgres";

/** An open client on one connection. */
export type PostgresSql = postgres.Sql;

/** `url` with its password replaced by `***`. */
export function redact(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, "$1:***@");
}

/**
 * Checks `url` (a `postgres://` or `postgresql://` URL with a host).
 * @throws {TypeError} quoting it (password redacted) and the accepted form.
 */
export function checkUrl(owner: string, url: string): void {
  let host = "";
  try {
    host = new URL(url).hostname;
  } catch (error) {
    // An unparsable URL is reported below like any other bad one.
    if (!(error instanceof TypeError)) throw error;
  }
  if (!/^postgres(ql)?:\/\//i.test(url) || host === "") {
    throw new TypeError(
      `Cannot start ${owner}: url ${
        JSON.stringify(redact(url))
      } is not a PostgreSQL URL; write postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    );
  }
}

/**
 * Opens a client on `url` and checks it with one query within `timeoutMs`.
 * @throws {Error} naming the URL (password redacted) when the server cannot be reached.
 */
export async function connect(url: string, timeoutMs: number): Promise<PostgresSql> {
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
    const reason = (error as { code?: unknown }).code === "CONNECT_TIMEOUT"
      ? `no answer within ${timeoutMs} ms`
      : String((error as Error).message ?? error);
    throw new Error(
      `Cannot connect to PostgreSQL at ${redact(url)}: ${reason}; check that the server runs ` +
        "and accepts this host, port, user and database",
      { cause: error },
    );
  }
  return sql;
}
