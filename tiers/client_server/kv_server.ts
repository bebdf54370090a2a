/**
 * The key-value server of the client/server architecture: it executes each request at most once
 * (a retransmitted request gets the remembered reply, not a second execution) and answers a
 * malformed request with an error reply instead of failing. Its data lives in its memory and is
 * lost with a crash, unless it is durable: then it is on stable storage that survives one
 * (see `kv_store.ts`), and no write it acknowledged is lost.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import type { ProcessFn } from "../../core/process.ts";
import { type KvReply, type KvRequest, validateKvRequest } from "./kv_protocol.ts";
import { type KvStore, SqliteKvStore } from "./kv_store.ts";

/** Options of {@link kvServer}. */
export interface KvServerOptions {
  /** How many remembered replies are kept for duplicate suppression. @default 10000 */
  readonly remember?: number;
  /**
   * Keep the data on stable storage that survives a crash: `true` for a store that belongs to
   * this program instance (in the simulator the restarted machine runs the same instance and
   * finds it), a file path for a SQLite file (on a real host, where a new OS process restarts
   * the machine). @default false: in the process's memory, lost with a crash
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
  // Outlives every run of the process: the machine runs this same instance after a crash.
  let stable: KvStore | undefined = durable === true ? new SqliteKvStore() : undefined;
  return async (ctx) => {
    if (typeof durable === "string") stable ??= new SqliteKvStore(durable);
    const store: KvStore = stable ?? new Map<string, string>();
    const replies = new Map<string, KvReply>();
    let executed = 0, deduplicated = 0;
    const execute = (request: KvRequest): KvReply => {
      switch (request.kind) {
        case "get":
          return { kind: "value", key: request.key, value: store.get(request.key) ?? null };
        case "put":
          store.set(request.key, request.value);
          return { kind: "ok", key: request.key };
        case "del":
          store.delete(request.key);
          return { kind: "ok", key: request.key };
        case "stats":
          return { kind: "stats", executed, deduplicated, keys: store.size };
      }
    };
    for (;;) {
      const message: Envelope = await ctx.receive();
      const problem = validateKvRequest(message.body);
      if (problem !== undefined) {
        await ctx.reply(message, { kind: "error", code: "bad-request", message: problem });
        continue;
      }
      const request = message.body as KvRequest;
      if (request.kind === "stats") {
        await ctx.reply(message, execute(request));
        continue;
      }
      const key = `${message.from} ${request.rid}`;
      let reply = replies.get(key);
      if (reply === undefined) {
        executed++;
        reply = execute(request);
        replies.set(key, reply);
        if (replies.size > remember) replies.delete(replies.keys().next().value!);
      } else {
        deduplicated++;
      }
      await ctx.reply(message, reply);
    }
  };
}
