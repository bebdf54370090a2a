/**
 * A user's system for `lab run`, in the one-file form: a key-value server on m1.lab and a client
 * on m2.lab, written against `ProcessContext` and run unchanged in the simulator or as two OS
 * processes over TCP:
 *
 *     deno task lab run examples/run/kv.ts                                  # OS processes
 *     deno task lab run examples/run/kv.ts --sim --seed 7 --drop 0.2        # the simulator
 *
 * @example In the simulator, under loss
 * ```ts
 * import assert from "node:assert/strict";
 * import { launch } from "../../mod.ts";
 * const result = await launch(new URL("./kv.ts", import.meta.url), { sim: true, seed: 7, drop: 0.2 });
 * assert.equal(result.trace.events.find((e) => e.ev === "log")?.note, 'got {"kind":"value","value":"1"}');
 * assert.equal(result.end, "quiet"); // the client returned; the server waits for more
 * ```
 * @module
 */
import type { ProcessMap } from "../../mod.ts";

/** What the server understands. */
type Request = { kind: "put"; key: string; value: string } | { kind: "get"; key: string };

export default {
  "kv@m1.lab": async (ctx) => {
    const store = new Map<string, string>();
    for (;;) {
      const request = await ctx.receive<Request>();
      if (request.body.kind === "put") store.set(request.body.key, request.body.value);
      await ctx.reply(request, { kind: "value", value: store.get(request.body.key) ?? null });
    }
  },
  "client@m2.lab": async (ctx) => {
    await ctx.request("kv@m1.lab", { kind: "put", key: "x", value: "1" });
    const reply = await ctx.request("kv@m1.lab", { kind: "get", key: "x" }, { timeout: 1000 });
    ctx.log(`got ${JSON.stringify(reply.body)}`);
  },
} satisfies ProcessMap;
