/**
 * The origin of the proxy architecture: a key-value service over the core. It answers
 * `{kind:"get", key}` with `{kind:"value", key, value, version}`, `{kind:"put", key, value}` with
 * `{kind:"ok", key, version}` and `{kind:"stats"}` with its counters. It serves one request at a
 * time, taking `serviceMs` of work for each, so a busy origin queues requests, as real ones do.
 * @module
 */
import type { ProcessContext, ProcessFn, Program } from "../core/process.ts";
import { numberArg } from "./_args.ts";
import type { ErrorReply, OkReply, OriginStats, ValueReply } from "./messages.ts";

/** Arguments of {@link kvOrigin} (JSON). */
export interface KvOriginArgs {
  /** Ms of work per `get` or `put` (simulated with `ctx.sleep`). @default 0 */
  readonly serviceMs?: number;
  /** Length of the value generated for a key never written. @default 32 */
  readonly valueBytes?: number;
}

interface Item {
  readonly value: string;
  readonly version: number;
}

function isKey(key: unknown): key is string | number {
  return typeof key === "string" || (typeof key === "number" && Number.isFinite(key));
}

/**
 * The key-value origin program. Every key exists: a key never written has the value
 * `value-<key>` padded to `valueBytes` and version 1.
 *
 * @throws {RangeError} when a number argument is negative.
 * @example A get, a put and a get again
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { kvOrigin } from "./origin_process.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("o.lab").spawn("origin", kvOrigin({ valueBytes: 8 }));
 * const replies: unknown[] = [];
 * sim.machine("c.lab").spawn("client", async (ctx) => {
 *   replies.push((await ctx.request("origin@o.lab", { kind: "get", key: 3 })).body);
 *   await ctx.request("origin@o.lab", { kind: "put", key: 3, value: "new" });
 *   replies.push((await ctx.request("origin@o.lab", { kind: "get", key: 3 })).body);
 * });
 * await sim.run();
 * assert.deepEqual(replies, [
 *   { kind: "value", key: 3, value: "value-3.", version: 1 },
 *   { kind: "value", key: 3, value: "new", version: 2 },
 * ]);
 * ```
 */
export const kvOrigin: Program = (args: Readonly<Record<string, unknown>>): ProcessFn => {
  const serviceMs = numberArg(args, "serviceMs", "proxy-origin", 0);
  const valueBytes = numberArg(args, "valueBytes", "proxy-origin", 32);
  return async (ctx: ProcessContext): Promise<void> => {
    const store = new Map<string, Item>();
    const counts = { requests: 0, gets: 0, puts: 0 };
    const read = (key: string | number): Item =>
      store.get(String(key)) ?? {
        value: `value-${key}`.padEnd(valueBytes, ".").slice(0, Math.max(valueBytes, 1)),
        version: 1,
      };
    for (;;) {
      const env = await ctx.receive();
      if (env.corr === undefined) continue;
      const body = env.body as { kind?: unknown; key?: unknown; value?: unknown };
      if (env.kind === "stats") {
        const stats: OriginStats = { kind: "stats", ...counts };
        await ctx.reply(env, stats);
        continue;
      }
      if ((env.kind === "get" || env.kind === "put") && !isKey(body.key)) {
        const error: ErrorReply = {
          kind: "error",
          error: `Cannot ${env.kind} key ${JSON.stringify(body.key)}: give a string or a number`,
        };
        await ctx.reply(env, error);
        continue;
      }
      if (env.kind === "get") {
        counts.requests++;
        counts.gets++;
        if (serviceMs > 0) await ctx.sleep(serviceMs);
        const key = body.key as string | number;
        const item = read(key);
        const reply: ValueReply = { kind: "value", key, value: item.value, version: item.version };
        await ctx.reply(env, reply);
      } else if (env.kind === "put") {
        counts.requests++;
        counts.puts++;
        if (serviceMs > 0) await ctx.sleep(serviceMs);
        const key = body.key as string | number;
        const version = read(key).version + 1;
        store.set(String(key), { value: String(body.value), version });
        const reply: OkReply = { kind: "ok", key, version };
        await ctx.reply(env, reply);
      } else {
        const error: ErrorReply = {
          kind: "error",
          error: `Cannot answer "${env.kind}": the origin knows "get", "put" and "stats"`,
        };
        await ctx.reply(env, error);
      }
    }
  };
};
