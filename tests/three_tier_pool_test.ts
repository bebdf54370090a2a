/**
 * The logic tier's bounded connection pool: at most `size` sessions, a FIFO wait queue, a
 * timeout that ends in a clear error, a bounded queue, and broken sessions that free their slot.
 * @module
 */
import assert from "node:assert/strict";
import { PoolExhaustedError } from "../tiers/three_tier/connection_pool.ts";
import {
  acquireConnection,
  connectionPool,
  PoolState,
  releaseConnection,
} from "../tiers/three_tier/connection_pool.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { simStack } from "./_three_tier_harness.ts";

Deno.test("PoolState() grants at most size leases and serves waiters first come, first served", () => {
  const pool = new PoolState<string>({ size: 2 });
  assert.deepEqual(pool.acquire("a", { waitMs: 10 }), { kind: "granted", session: null });
  assert.deepEqual(pool.acquire("b", { waitMs: 10 }), { kind: "granted", session: null });
  assert.equal(pool.acquire("c", { waitMs: 10 }).kind, "queued");
  assert.equal(pool.acquire("d", { waitMs: 10 }).kind, "queued");
  assert.deepEqual(pool.release("s1", { now: 3 }).map((g) => `${g.waiter}:${g.session}`), ["c:s1"]);
  assert.deepEqual(pool.release("s2", { broken: true }).map((g) => `${g.waiter}:${g.session}`), [
    "d:null",
  ]);
  assert.equal(pool.stats().leased, 2);
  pool.release("s1");
  assert.deepEqual(pool.acquire("e"), { kind: "granted", session: "s1" });
});

Deno.test("PoolState() expires waiters after their wait and refuses when the queue is full", () => {
  const pool = new PoolState<string>({ size: 1, maxQueue: 1 });
  pool.acquire("a", { waitMs: 10 });
  assert.equal(pool.acquire("b", { now: 0, waitMs: 10 }).kind, "queued");
  assert.deepEqual(pool.acquire("c", { now: 1, waitMs: 10 }), { kind: "full", queued: 1 });
  assert.deepEqual(pool.expire(5), []);
  assert.equal(pool.nextExpiry(), 10);
  assert.deepEqual(pool.expire(10), [{ waiter: "b", waitedMs: 10 }]);
  const stats = pool.stats();
  assert.equal(stats.timeouts, 1);
  assert.equal(stats.rejected, 1);
});

Deno.test("connectionPool() times a waiter out with PoolExhaustedError after its wait", async () => {
  const sim = new Simulator({ seed: 1 });
  const m = sim.machine("logic.lab");
  m.spawn("pool", connectionPool({ size: 1 }));
  const outcome: string[] = [];
  m.spawn("holder", async (ctx) => {
    await acquireConnection(ctx, "pool@logic.lab", { waitMs: 10 });
    await ctx.sleep(100);
    await releaseConnection(ctx, "pool@logic.lab", { session: "s1" });
  });
  m.spawn("waiter", async (ctx) => {
    await ctx.sleep(1);
    const start = ctx.now();
    try {
      await acquireConnection(ctx, "pool@logic.lab", { waitMs: 30 });
      outcome.push("granted");
    } catch (error) {
      assert.ok(error instanceof PoolExhaustedError);
      assert.equal(error.reason, "timeout");
      assert.match(
        error.message,
        /Cannot get a data connection: all 1 sessions stayed in use for 30 ms/,
      );
      outcome.push(`timed out after ${ctx.now() - start} ms`);
    }
  });
  await sim.run();
  assert.deepEqual(outcome, ["timed out after 30 ms"]);
});

Deno.test("logicTier() queues calls beyond the pool size and answers 503 when the wait runs out", async () => {
  const stack = simStack({
    latency: { kind: "constant", ms: 1 },
    logic: { poolSize: 1, poolWaitMs: 50 },
    data: { statementMs: 30 },
  });
  const asks = [1, 2, 3, 4].map((bookId) => ({ path: `/api/books/${bookId}` }));
  const answers = await stack.send(...asks);
  const statuses = answers.map((a) => a.status);
  assert.deepEqual([...statuses].sort(), [200, 200, 503, 503]);
  const refused = answers.find((a) => a.status === 503)!;
  assert.match(
    refused.json.error.message,
    /Cannot get a data connection: all 1 sessions stayed in use/,
  );
  const stats = await stack.one({ path: "/api/stats" });
  assert.equal(stats.json.size, 1);
  assert.equal(stats.json.timeouts, 2);
  assert.equal(stats.json.waited, 1);
  assert.equal(stats.json.maxQueued, 3);
});
