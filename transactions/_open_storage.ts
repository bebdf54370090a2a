/**
 * Opening a transaction process's stable storage from its options: by default a store on its
 * machine's disk (`ctx.disk`, which outlives restarts of the machine); else, once per program
 * instance, the store the caller owns, a SQLite file of its own (`path`; `:memory:` for a disk
 * in memory that lives as long as the program instance), or PostgreSQL (`url`, rows keyed by
 * the process's address; refused inside the simulator).
 * @module
 */
import type { ProcessContext } from "../core/process.ts";
import { checkUrl, redact } from "./_postgres.ts";
import { numberOption, stringOption } from "./_options.ts";
import { PostgresStableStore } from "./postgres_stable_store.ts";
import { StableStore } from "./stable_store.ts";
import type { StableStorage, StorageOptions } from "./stable_storage.ts";

/**
 * Checks `options` now (a `TypeError` quoting a bad one) and returns the function that gives a
 * starting process its storage: at once for SQLite, as a promise for PostgreSQL.
 */
export function storageOpener(
  owner: string,
  options: StorageOptions,
): (ctx: ProcessContext) => StableStorage | Promise<StableStorage> {
  const path = options.path === undefined ? undefined : stringOption(owner, "path", options.path);
  const url = options.url === undefined ? undefined : stringOption(owner, "url", options.url);
  const connectTimeoutMs = numberOption(
    owner,
    "connectTimeoutMs",
    options.connectTimeoutMs,
    5000,
    1,
  );
  if (url !== undefined) {
    if (options.path !== undefined) {
      throw new TypeError(
        `Cannot start ${owner}: give path ${JSON.stringify(path)} (a SQLite file) or url ${
          JSON.stringify(redact(url))
        } (PostgreSQL), not both`,
      );
    }
    checkUrl(owner, url);
  }
  let store: StableStorage | Promise<StableStorage> | undefined = options.store;
  return (ctx) => {
    if (store === undefined && url !== undefined) {
      if (ctx.runtime === "sim") {
        throw new TypeError(
          `Cannot start ${owner}: PostgreSQL at ${
            redact(url)
          } is real I/O outside the simulator's virtual time; run on real sockets, or use ` +
            "the machine's disk (no url) in the simulator",
        );
      }
      store = PostgresStableStore.open(url, { owner: ctx.self, connectTimeoutMs });
    }
    if (store === undefined && path !== undefined) {
      store = path === ":memory:" ? new StableStore() : StableStore.file(path);
    }
    // On the machine's disk: nothing to keep, the disk outlives the process.
    return store ?? new StableStore(ctx.disk.open(`transactions ${ctx.self}`));
  };
}
