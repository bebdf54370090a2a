/**
 * `Host.close()` on a real host unwinds its processes before it resolves: a process blocked in
 * `receive` runs its `finally`, and the three-tier presentation server stops listening.
 * @module
 */
import assert from "node:assert/strict";
import { startHost } from "../core/network/host.ts";
import { ProcessStoppedError } from "../core/errors.ts";
import { presentationTier } from "../tiers/three_tier/presentation_tier.ts";

Deno.test("host.close() runs the finally of a process blocked in receive, without a failure", async () => {
  const host = await startHost("m1.lab", { resolve: () => undefined });
  const blocked = Promise.withResolvers<void>();
  const unwound: unknown[] = [];
  host.machine.spawn("waiter", async (ctx) => {
    try {
      blocked.resolve();
      await ctx.receive();
    } catch (error) {
      unwound.push(error);
      throw new Error("thrown while unwinding after shutdown: not a process failure");
    } finally {
      unwound.push("finally");
    }
  });
  host.machine.spawn("sleeper", async (ctx) => {
    try {
      await ctx.sleep(60_000);
    } finally {
      unwound.push("sleeper finally");
    }
  });
  await blocked.promise;
  await host.close();
  assert.equal(unwound.length, 3, `unwound: ${unwound.join(", ")}`);
  assert.ok(unwound[0] instanceof ProcessStoppedError);
  assert.deepEqual(unwound.slice(1).toSorted(), ["finally", "sleeper finally"]);
});

Deno.test("the three-tier presentation server stops listening when its host closes", async () => {
  const host = await startHost("web.lab", { resolve: () => undefined });
  const listening = Promise.withResolvers<string>();
  host.machine.spawn("watch", async (ctx) => {
    const env = await ctx.receive<{ url: string }>({ kind: "listening" });
    listening.resolve(env.body.url);
  });
  host.machine.spawn("http", presentationTier({ port: 0, collector: "watch@web.lab" }));
  const port = Number(new URL(await listening.promise).port);
  const open = await Deno.connect({ hostname: "127.0.0.1", port });
  open.close();
  await host.close();
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
});
