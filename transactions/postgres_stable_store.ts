/**
 * Stable storage in PostgreSQL: the same data, log and counters as the disk's
 * {@link StableStore}, in three tables shared by every process of a run (`tx_data`, `tx_log`,
 * `tx_meta`), each row keyed by its owner's address. Every write is one PostgreSQL transaction,
 * committed (so durable) before its promise resolves; reads are answered from what the owner
 * loaded at open and wrote since, so the state machines read synchronously as with a disk. One
 * process per owner: it is the only writer of its rows. For runs on real sockets only.
 * @module
 */
import { checkUrl, connect, type PostgresSql, redact } from "./_postgres.ts";
import type { LogRecord } from "./log_records.ts";
import type { StableStorage } from "./stable_storage.ts";

/** Options of {@link PostgresStableStore.open}. */
export interface PostgresStableStoreOptions {
  /** Whose rows: the owning process's address. @default "default" */
  readonly owner?: string;
  /** Most ms to wait for the server to accept a connection. @default 5000 */
  readonly connectTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS tx_data (
  owner TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (owner, key));
CREATE TABLE IF NOT EXISTS tx_log (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, owner TEXT NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tx_log_owner ON tx_log (owner, seq);
CREATE TABLE IF NOT EXISTS tx_meta (
  owner TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (owner, name));`;
/** Key of the advisory lock that serialises schema set-up among processes sharing a database. */
const SETUP_LOCK = 0x74786c67;
const PUT_DATA = "INSERT INTO tx_data (owner, key, value) VALUES ($1, $2, $3) " +
  "ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value";
const APPEND = "INSERT INTO tx_log (owner, record) VALUES ($1, $2)";
const PUT_META = "INSERT INTO tx_meta (owner, name, value) VALUES ($1, $2, $3) " +
  "ON CONFLICT (owner, name) DO UPDATE SET value = excluded.value";

/**
 * One owner's stable storage in a PostgreSQL database.
 *
 * @example No server at the URL: a clear error within the connect timeout
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostgresStableStore } from "./postgres_stable_store.ts";
 * // With a server: open(url, { owner: "bank@p1.lab" }), then use it like StableStore,
 * // awaiting its writes.
 * await assert.rejects(
 *   PostgresStableStore.open("postgres://lab@127.0.0.1:1/bank", { connectTimeoutMs: 2000 }),
 *   /Cannot connect to PostgreSQL at postgres:\/\/lab@127\.0\.0\.1:1\/bank/,
 * );
 * ```
 */
export class PostgresStableStore implements StableStorage {
  /** The database's URL, password redacted. */
  readonly url: string;
  /** Whose rows these are. */
  readonly owner: string;
  readonly #sql: PostgresSql;
  /** Values and records as their JSON text, parsed on every read as a disk's store does. */
  readonly #data: Map<string, string>;
  readonly #log: string[];
  readonly #meta: Map<string, string>;

  private constructor(
    url: string,
    owner: string,
    sql: PostgresSql,
    loaded: { data: Map<string, string>; log: string[]; meta: Map<string, string> },
  ) {
    this.url = redact(url);
    this.owner = owner;
    this.#sql = sql;
    this.#data = loaded.data;
    this.#log = loaded.log;
    this.#meta = loaded.meta;
  }

  /**
   * Connects to `url`, creates the tables when missing and loads the owner's rows.
   * @throws {TypeError} for a bad URL or owner; an `Error` naming the URL when the server cannot
   * be reached.
   */
  static async open(
    url: string,
    options: PostgresStableStoreOptions = {},
  ): Promise<PostgresStableStore> {
    const what = "PostgreSQL stable storage";
    checkUrl(what, url);
    const owner = options.owner ?? "default";
    if (typeof owner !== "string" || owner === "") {
      throw new TypeError(
        `Cannot open ${what}: owner ${JSON.stringify(owner)} must be a non-empty string`,
      );
    }
    const sql = await connect(url, options.connectTimeoutMs ?? 5000);
    try {
      const loaded = await sql.begin(async (tx) => {
        await tx.unsafe(`SELECT pg_advisory_xact_lock(${SETUP_LOCK})`);
        await tx.unsafe(SCHEMA);
        const data = await tx.unsafe("SELECT key, value FROM tx_data WHERE owner = $1", [owner]);
        const log = await tx.unsafe("SELECT record FROM tx_log WHERE owner = $1 ORDER BY seq", [
          owner,
        ]);
        const meta = await tx.unsafe("SELECT name, value FROM tx_meta WHERE owner = $1", [owner]);
        return {
          data: new Map(data.map((r) => [String(r.key), String(r.value)])),
          log: log.map((r) => String(r.record)),
          meta: new Map(meta.map((r) => [String(r.name), String(r.value)])),
        };
      });
      return new PostgresStableStore(url, owner, sql, loaded);
    } catch (error) {
      await sql.end({ timeout: 0 });
      throw error;
    }
  }

  /** The committed value of `key`, or `undefined`. */
  get(key: string): unknown {
    const value = this.#data.get(key);
    return value === undefined ? undefined : JSON.parse(value);
  }

  /** Every committed value, by key (sorted). */
  entries(): Record<string, unknown> {
    const keys = [...this.#data.keys()].sort();
    return Object.fromEntries(keys.map((key) => [key, JSON.parse(this.#data.get(key)!)]));
  }

  /** The log, oldest record first. */
  log(): LogRecord[] {
    return this.#log.map((record) => JSON.parse(record) as LogRecord);
  }

  /** A named counter or flag, or `undefined`. */
  meta(name: string): string | undefined {
    return this.#meta.get(name);
  }

  /** Writes `values` when the owner has no data yet (first boot); resolves to whether it did. */
  async initialize(values: Readonly<Record<string, unknown>>): Promise<boolean> {
    if (this.#data.size > 0) return false;
    const rows = Object.entries(values).map(([k, v]) => [k, JSON.stringify(v ?? null)] as const);
    await this.#sql.begin(async (tx) => {
      for (const [key, value] of rows) await tx.unsafe(PUT_DATA, [this.owner, key, value]);
    });
    for (const [key, value] of rows) this.#data.set(key, value);
    return true;
  }

  /** Appends `record` to the log; committed when the promise resolves. */
  async append(record: LogRecord): Promise<void> {
    const text = JSON.stringify(record);
    await this.#sql.unsafe(APPEND, [this.owner, text]);
    this.#log.push(text);
  }

  /** Installs `writes` and appends `record` in one transaction. */
  async apply(
    writes: readonly (readonly [string, unknown])[],
    record: LogRecord,
  ): Promise<void> {
    const rows = writes.map(([key, value]) => [key, JSON.stringify(value ?? null)] as const);
    const text = JSON.stringify(record);
    await this.#sql.begin(async (tx) => {
      for (const [key, value] of rows) await tx.unsafe(PUT_DATA, [this.owner, key, value]);
      await tx.unsafe(APPEND, [this.owner, text]);
    });
    for (const [key, value] of rows) this.#data.set(key, value);
    this.#log.push(text);
  }

  /** Sets a named counter or flag. */
  async setMeta(name: string, value: string): Promise<void> {
    await this.#sql.unsafe(PUT_META, [this.owner, name, value]);
    this.#meta.set(name, value);
  }

  /** Counts one more start of the owner and resolves to the count (1 on the first boot). */
  async nextIncarnation(): Promise<number> {
    const next = Number(this.meta("incarnation") ?? "0") + 1;
    await this.setMeta("incarnation", String(next));
    return next;
  }

  /** Closes the connection, letting a running query finish for up to 5 s. */
  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }
}
