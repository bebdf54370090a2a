/**
 * The key-value server of the client/server architecture: it executes each request at most once
 * (a retransmitted request gets the remembered reply, not a second execution) and answers a
 * malformed request with an error reply instead of failing. Its data and its reply cache live in
 * its memory and are lost with a crash, unless it is durable: then they are on the machine's
 * disk (see `kv_store.ts`), so no write it acknowledged is lost and no request is executed again
 * after a restart.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import type { ProcessFn } from "../../core/process.ts";
import type { Disk } from "../../core/storage/disk.ts";
import { SqliteDisk } from "../../core/storage/sqlite_disk.ts";
import { type KvRequest, validateKvRequest } from "./messages.ts";
import { kvState } from "./kv_store.ts";

/** Options of {@link kvServer}. */
export interface KvServerOptions {
  /** How many remembered replies are kept for duplicate suppression. @default 10000 */
  readonly remember?: number;
  /**
   * Keep the data and the reply cache on stable storage that survives a crash: `true` for the
   * machine's disk (`ctx.disk`), a file path for a disk of its own in that SQLite file (on a
   * real host whose machine has no disk file, where a new OS process restarts the machine).
   * @default false: in the process's memory, lost with a crash
   */
  readonly durable?: boolean | string;
}
/**
 * A key-value server process.
 *
 * @example At-most-once: a retransmitted put executes once
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { kvServer } from "./kv_server.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("kv", kvServer());
 * let executed = -1;
 * sim.machine("m2.lab").spawn("c1", async (ctx) => {
 *   const put = { kind: "put", key: "x", value: "1", rid: "c1-1" };
 *   await ctx.request("kv@m1.lab", put);
 *   await ctx.request("kv@m1.lab", put);
 *   executed = (await ctx.request<{ executed: number }>("kv@m1.lab", { kind: "stats" })).body.executed;
 * });
 * await sim.run();
 * assert.equal(executed, 1);
 * ```
 *
 * @example Durable: an acknowledged put survives a crash and restart
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { kvServer } from "./kv_server.ts";
 * for (const durable of [false, true]) {
 *   const sim = new Simulator({ seed: 1 });
 *   sim.machine("m1.lab").spawn("kv", kvServer({ durable }));
 *   sim.crash("m1.lab", { at: 50, restartAt: 60 });
 *   let value: string | null = "?";
 *   sim.machine("m2.lab").spawn("c1", async (ctx) => {
 *     await ctx.request("kv@m1.lab", { kind: "put", key: "x", value: "1", rid: "c1-1" });
 *     await ctx.sleep(100);
 *     const get = { kind: "get", key: "x", rid: "c1-2" };
 *     value = (await ctx.request<{ value: string | null }>("kv@m1.lab", get)).body.value;
 *   });
 *   await sim.run();
 *   assert.equal(value, durable ? "1" : null);
 * }
 * ```
 *
 * @example Durable: a request retransmitted across a crash is not executed again
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { kvServer } from "./kv_server.ts";
 * // Even when the crash loses the disk's unsynced writes: the server syncs before it answers.
 * const sim = new Simulator({ seed: 1, loseUnsynced: 1 });
 * sim.machine("m1.lab").spawn("kv", kvServer({ durable: true }));
 * sim.crash("m1.lab", { at: 50, restartAt: 60 });
 * let stats = {};
 * sim.machine("m2.lab").spawn("c1", async (ctx) => {
 *   const put = { kind: "put", key: "x", value: "1", rid: "c1-1" };
 *   await ctx.request("kv@m1.lab", put);
 *   await ctx.sleep(100);
 *   await ctx.request("kv@m1.lab", put); // its reply was lost, say: the client sends it again
 *   stats = (await ctx.request("kv@m1.lab", { kind: "stats" })).body as object;
 * });
 * await sim.run();
 * assert.deepEqual(stats, { kind: "stats", executed: 1, deduplicated: 1, keys: 1 });
 * ```
 */
export function kvServer(options: KvServerOptions = {}): ProcessFn {
  const remember = options.remember ?? 10_000;
  const durable = options.durable ?? false;
  if (typeof durable !== "boolean" && (typeof durable !== "string" || durable === "")) {
    throw new TypeError(
      `Cannot start the key-value server: durable ${
        JSON.stringify(durable)
      } must be true, false or a file path`,
    );
  }
  // A file disk belongs to the program instance: the machine runs it again after a crash.
  let file: Disk | undefined;
  return async (ctx) => {
    if (typeof durable === "string") file ??= new SqliteDisk(durable);
    const disk = durable === true ? ctx.disk : file;
    const state = kvState(remember, disk?.open("kv-server"));
    for (;;) {
      const message: Envelope = await ctx.receive();
      const problem = validateKvRequest(message.body);
      if (problem !== undefined) {
        await ctx.reply(message, { kind: "error", code: "bad-request", message: problem });
        continue;
      }
      const request = message.body as KvRequest;
      if (request.kind === "stats") {
        await ctx.reply(message, { kind: "stats", ...state.stats() });
        continue;
      }
      const id = `${message.from} ${request.rid}`;
      await ctx.reply(message, state.remembered(id) ?? state.execute(id, request));
    }
  };
}
