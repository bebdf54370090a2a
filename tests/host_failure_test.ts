/**
 * Errors in process code are never swallowed on a real host either: `startHost()` keeps what a
 * process throws and hands it to whoever waits on the host (`watch()`) or closes it (`close()`);
 * a process stopped by `close()` has not failed.
 * @module
 */
import assert from "node:assert/strict";
import { ProcessFailedError } from "../core/errors.ts";
import { type Host, type HostOptions, startHost } from "../core/network/host.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

async function withHost(
  body: (host: Host) => Promise<void>,
  options: Partial<HostOptions> = {},
): Promise<void> {
  const host = await startHost("m1.lab", { resolve: () => undefined, seed: 1, ...options });
  try {
    await body(host);
  } finally {
    await host.close(); // rejects with any failure the test did not take through watch()
  }
}

Deno.test("Host.watch() rejects with ProcessFailedError when an assertion inside a process fails", async () => {
  await withHost(async (host) => {
    const done = Promise.withResolvers<void>();
    host.machine.spawn("checker", async (ctx) => {
      await ctx.sleep(1);
      assert.equal(ctx.machine, "m2.lab", "the machine it runs on");
      done.resolve();
    });
    const failure = await assertRejects(() => host.watch(done.promise), ProcessFailedError);
    const f = failure as ProcessFailedError;
    assertEquals([f.address, f.seed, f.replay], ["checker@m1.lab", undefined, undefined]);
    assertTrue(f.cause instanceof assert.AssertionError);
    assertTrue(f.time >= 1, `time ${f.time}`);
    assertTrue(f.message.startsWith('Cannot run process "checker@m1.lab": it failed at '));
    assertTrue(f.message.includes("the machine it runs on"), f.message);
  });
});

Deno.test("Host.watch() rejects at once with a failure that happened before it was called", async () => {
  await withHost(async (host) => {
    const ended = Promise.withResolvers<void>();
    host.machine.spawn("bad", () => {
      queueMicrotask(ended.resolve);
      throw new Error("early");
    });
    await ended.promise;
    await Promise.resolve();
    const failure = await assertRejects(
      () => host.watch(new Promise(() => {})),
      ProcessFailedError,
    );
    assertEquals((failure.cause as Error).message, "early");
  });
});

Deno.test("Host.watch() settles as the awaited promise does when no process fails", async () => {
  await withHost(async (host) => {
    const answer = Promise.withResolvers<number>();
    host.machine.spawn("fine", async (ctx) => {
      await ctx.sleep(1);
      answer.resolve(42);
    });
    assertEquals(await host.watch(answer.promise), 42);
    await assertRejects(() => host.watch(Promise.reject(new RangeError("own"))), RangeError);
  });
});

Deno.test("Host.close() rejects with a process failure nobody was told about", async () => {
  const host = await startHost("m1.lab", { resolve: () => undefined, seed: 1 });
  const ended = Promise.withResolvers<void>();
  host.machine.spawn("a", () => {
    throw new Error("first");
  });
  host.machine.spawn("b", () => {
    queueMicrotask(ended.resolve);
    throw new Error("second");
  });
  host.machine.spawn("waiting", (ctx) => ctx.receive().then(() => {})); // stopped by close()
  await ended.promise;
  await Promise.resolve();
  const failure = await assertRejects(() => host.close(), ProcessFailedError);
  const f = failure as ProcessFailedError;
  assertEquals(f.address, "a@m1.lab");
  assertEquals(f.others.map((o) => o.address), ["b@m1.lab"]);
  assertEquals(host.machine.alive, false);
});

Deno.test("startHost({ onProcessError }) hands failures to the handler; close() then resolves", async () => {
  const seen: [string, unknown][] = [];
  const reported = Promise.withResolvers<void>();
  await withHost(async (host) => {
    host.machine.spawn("bad", () => {
      throw new Error("handled elsewhere");
    });
    await reported.promise;
    assertEquals(seen.map(([address, error]) => [address, (error as Error).message]), [
      ["bad@m1.lab", "handled elsewhere"],
    ]);
  }, {
    onProcessError: (address, error) => {
      seen.push([address, error]);
      reported.resolve();
    },
  });
});
