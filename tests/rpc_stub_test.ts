/**
 * Typed stubs over the core's request/reply: the caller is suspended until the reply, results and
 * remote errors come back typed, and a silent server ends in a timeout.
 * @module
 */
import assert from "node:assert/strict";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { createStub, RemoteError, serveRpc } from "../rpc/mod.ts";

interface Calc {
  add(a: number, b: number): number;
  slow(units: number): string;
  fail(message: string): void;
}

function calcServer(events: string[] = []) {
  return serveRpc<Calc>((scope) => ({
    add: (a, b) => a + b,
    async slow(units) {
      events.push(`server starts at ${scope.ctx.now()}`);
      await scope.work(units);
      events.push("server ends");
      return `${scope.units} units for ${scope.owner}`;
    },
    fail(message) {
      throw new RangeError(message);
    },
  }), { step: 5 });
}

async function withClient(
  body: (ctx: ProcessContext) => Promise<void>,
  server = calcServer(),
): Promise<Simulator> {
  const sim = new Simulator({ seed: 3 });
  sim.machine("s1.lab").spawn("calc", server);
  let failure: unknown;
  sim.machine("c1.lab").spawn("client", (ctx) => body(ctx).catch((e) => failure = e));
  await sim.run();
  if (failure !== undefined) throw failure;
  return sim;
}

Deno.test("createStub() suspends the caller until the reply and returns the typed result", async () => {
  const events: string[] = [];
  let result = "", sum = 0;
  const sim = await withClient(async (ctx) => {
    const calc = createStub<Calc>(ctx, "calc@s1.lab");
    events.push("caller calls");
    result = await calc.slow(4);
    events.push("caller resumes");
    sum = await calc.add(2, 40);
  }, calcServer(events));
  assert.equal(result, "4 units for client@c1.lab");
  assert.equal(sum, 42);
  assert.deepEqual(events.map((e) => e.replace(/ at .*/, "")), [
    "caller calls",
    "server starts",
    "server ends",
    "caller resumes",
  ]);
  assert.ok(sim.now >= 20, "four steps of 5 ms ran before the caller resumed");
});

Deno.test("createStub() lets other processes of the caller's machine run while the caller waits", async () => {
  let ticks = 0, returnedAt = 0;
  const sim = new Simulator({ seed: 1 });
  sim.machine("s1.lab").spawn("calc", calcServer());
  sim.machine("c1.lab").spawn("client", async (ctx) => {
    await createStub<Calc>(ctx, "calc@s1.lab").slow(10);
    returnedAt = ctx.now();
  });
  sim.machine("c1.lab").spawn("ticker", async (ctx) => {
    for (let i = 0; i < 5; i++) {
      await ctx.sleep(5);
      ticks++;
    }
  });
  await sim.run();
  assert.equal(ticks, 5);
  assert.ok(returnedAt >= 50);
});

Deno.test("createStub() rethrows a remote failure as a RemoteError with the remote message", async () => {
  let failed: unknown, unknown: unknown;
  await withClient(async (ctx) => {
    const calc = createStub<Calc>(ctx, "calc@s1.lab");
    failed = await calc.fail("disk full").catch((e) => e);
    // A procedure the server does not have: the stub cannot know, the server says so.
    const wider = createStub<Calc & { mul(a: number, b: number): number }>(ctx, "calc@s1.lab");
    unknown = await wider.mul(2, 3).catch((e) => e);
  });
  assert.ok(failed instanceof RemoteError);
  assert.equal(failed.remoteName, "RangeError");
  assert.equal(failed.remoteMessage, "disk full");
  assert.equal(failed.method, "fail");
  assert.equal(failed.server, "calc@s1.lab");
  assert.equal(failed.killed, false);
  assert.ok(unknown instanceof RemoteError);
  assert.equal(unknown.remoteName, "TypeError");
  assert.match(unknown.remoteMessage, /Cannot call mul: the server has no such procedure/);
});

Deno.test("createStub() fails with a TimeoutError when the reply does not come in time", async () => {
  let late: unknown, missing: unknown;
  await withClient(async (ctx) => {
    late = await createStub<Calc>(ctx, "calc@s1.lab", { timeout: 20 }).slow(100).catch((e) => e);
    missing = await createStub<Calc>(ctx, "nobody@s1.lab").add(1, 2).catch((e) => e);
  });
  assert.ok(late instanceof TimeoutError);
  assert.equal(late.timeout, 20);
  assert.ok(missing instanceof UnknownProcessError);
});

Deno.test("createStub() rejects a bad server name, timeout or copy/restore index", async () => {
  await withClient((ctx) => {
    assert.throws(() => createStub<Calc>(ctx, "calc@@s1"), TypeError);
    assert.throws(() => createStub<Calc>(ctx, "calc@s1.lab", { timeout: 0 }), RangeError);
    assert.throws(
      () => createStub<Calc>(ctx, "calc@s1.lab", { inout: { add: [-1] } }),
      /copy\/restore index -1 of add/,
    );
    return Promise.resolve();
  });
});

Deno.test("createStub() types each method after the interface", () => {
  // Compile-time checks only: this function is never called.
  const _typed = async (ctx: ProcessContext) => {
    const calc = createStub<Calc>(ctx, "calc@s1.lab");
    const sum: number = await calc.add(1, 2);
    // @ts-expect-error a string is not a number
    await calc.add("1", 2);
    // @ts-expect-error the result is a number, not a string
    const wrong: string = await calc.add(1, 2);
    return [sum, wrong];
  };
  assert.equal(typeof _typed, "function");
});
