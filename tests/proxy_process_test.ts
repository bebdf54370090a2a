/**
 * Tests of the caching proxy as a process over the core, in the deterministic simulator: hits and
 * misses, TTL, LRU eviction, request coalescing, stale copies when the origin fails, pass-through
 * of writes; and the pieces it is made of (LRU cache, request keys, Zipf sampler).
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { cacheProxy } from "../proxy/cache_process.ts";
import { LruCache } from "../proxy/lru_cache.ts";
import type { ProxyStats, ValueReply } from "../proxy/messages.ts";
import { kvOrigin } from "../proxy/origin_process.ts";
import { programs } from "../proxy/programs.ts";
import { requestKey } from "../proxy/request_key.ts";
import { zipfSampler } from "../proxy/zipf.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

const PROXY = "cache@proxy.lab";
const ORIGIN = "origin@origin.lab";

/** A simulator with an origin and a proxy; `client` runs on its own machine. */
async function scenario(
  proxyArgs: Record<string, unknown>,
  client: (ctx: ProcessContext) => Promise<void>,
  setup: (sim: Simulator) => void = () => {},
): Promise<Simulator> {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  sim.machine("origin.lab").spawn("origin", kvOrigin({}));
  sim.machine("proxy.lab").spawn("cache", cacheProxy({ origin: ORIGIN, ...proxyArgs }));
  let failure: unknown;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    try {
      await client(ctx);
    } catch (error) {
      failure = error;
    }
  });
  setup(sim);
  await sim.run();
  if (failure !== undefined) throw failure;
  return sim;
}

async function get(ctx: ProcessContext, key: number): Promise<ValueReply> {
  return (await ctx.request<ValueReply>(PROXY, { kind: "get", key })).body;
}

async function stats(ctx: ProcessContext, to = PROXY): Promise<ProxyStats> {
  return (await ctx.request<ProxyStats>(to, { kind: "stats" })).body;
}

Deno.test("cacheProxy() counts a miss, then hits, and asks the origin once", async () => {
  await scenario({}, async (ctx) => {
    const outcomes = [];
    for (let i = 0; i < 4; i++) outcomes.push((await get(ctx, 1)).cache);
    assertEquals(outcomes, ["miss", "hit", "hit", "hit"]);
    const s = await stats(ctx);
    assertEquals([s.hits, s.misses, s.originRequests, s.entries], [3, 1, 1, 1]);
    assertEquals(
      (await ctx.request<{ requests: number }>(ORIGIN, { kind: "stats" })).body.requests,
      1,
    );
  });
});

Deno.test("cacheProxy() answers a hit faster than a miss (one round trip instead of two)", async () => {
  await scenario({}, async (ctx) => {
    let t = ctx.now();
    await get(ctx, 5);
    const miss = ctx.now() - t;
    t = ctx.now();
    await get(ctx, 5);
    const hit = ctx.now() - t;
    assertEquals([miss, hit], [20, 10]);
  });
});

Deno.test("cacheProxy() refetches an entry older than its TTL and counts it expired", async () => {
  await scenario({ ttl: 100 }, async (ctx) => {
    assertEquals((await get(ctx, 1)).cache, "miss");
    assertEquals((await get(ctx, 1)).cache, "hit");
    await ctx.sleep(150);
    assertEquals((await get(ctx, 1)).cache, "miss");
    const s = await stats(ctx);
    assertEquals([s.misses, s.expired, s.originRequests], [2, 1, 2]);
  });
});

Deno.test("cacheProxy() evicts the least recently used entry at capacity", async () => {
  await scenario({ capacity: 2 }, async (ctx) => {
    await get(ctx, 1);
    await get(ctx, 2);
    await get(ctx, 1); // 1 is now the most recently used
    await get(ctx, 3); // evicts 2
    assertEquals((await get(ctx, 1)).cache, "hit");
    assertEquals((await get(ctx, 2)).cache, "miss");
    const s = await stats(ctx);
    assertEquals([s.entries, s.evictions], [2, 2]);
  });
});

Deno.test("cacheProxy() coalesces 100 concurrent misses on one key into 1 origin request", async () => {
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
  sim.machine("origin.lab").spawn("origin", kvOrigin({ serviceMs: 10 }));
  sim.machine("proxy.lab").spawn("cache", cacheProxy({ origin: ORIGIN }));
  const replies: ValueReply[] = [];
  for (let i = 0; i < 100; i++) {
    sim.machine(`c${i}.lab`).spawn("client", async (ctx) => {
      replies.push(await get(ctx, 42));
    });
  }
  let proxyStats: ProxyStats | undefined;
  let originRequests = -1;
  sim.at(1000, () => {
    sim.machine("ctl.lab").spawn("probe", async (ctx) => {
      proxyStats = await stats(ctx);
      originRequests = (await ctx.request<{ requests: number }>(ORIGIN, { kind: "stats" })).body
        .requests;
    });
  });
  await sim.run();
  assertEquals(replies.length, 100);
  assertTrue(replies.every((r) => r.kind === "value" && r.key === 42 && r.cache === "miss"));
  assertEquals(originRequests, 1);
  assertEquals([proxyStats?.originRequests, proxyStats?.coalesced], [1, 99]);
});

Deno.test("cacheProxy() serves a stale copy when the origin is down, else an error", async () => {
  await scenario({ ttl: 50, timeout: 100 }, async (ctx) => {
    await get(ctx, 1);
    await ctx.sleep(200); // the origin crashes at 100 ms; entry 1 has expired
    assertEquals((await get(ctx, 1)).cache, "stale");
    const failed = await ctx.request<{ kind: string; error: string }>(PROXY, {
      kind: "get",
      key: 2,
    });
    assertEquals(failed.body.kind, "error");
    assertTrue(failed.body.error.includes(`Cannot reach origin "${ORIGIN}"`), failed.body.error);
    const s = await stats(ctx);
    assertEquals([s.stale, s.originErrors], [1, 2]);
  }, (sim) => sim.crash("origin.lab", { at: 100 }));
});

Deno.test("cacheProxy() passes uncached kinds through and keeps caching gets", async () => {
  await scenario({}, async (ctx) => {
    await get(ctx, 1);
    const ok = await ctx.request<{ kind: string; version: number }>(PROXY, {
      kind: "put",
      key: 1,
      value: "new",
    });
    assertEquals([ok.body.kind, ok.body.version], ["ok", 2]);
    assertEquals((await get(ctx, 1)).value.startsWith("value-1"), true); // TTL, not invalidation
    assertEquals((await stats(ctx)).passthrough, 1);
  });
});

Deno.test("cacheProxy() ignores messages that are not requests and keeps serving", async () => {
  await scenario({}, async (ctx) => {
    await ctx.send(PROXY, { kind: "fill", ok: true, body: { kind: "value", key: 9 } });
    await ctx.send(PROXY, "garbage");
    assertEquals((await get(ctx, 9)).cache, "miss");
  });
});

Deno.test("cacheProxy() rejects a missing origin argument with the accepted form", () => {
  assertThrows(() => cacheProxy({}), TypeError, 'argument "origin"');
  assertThrows(() => cacheProxy({ origin: ORIGIN, capacity: 0 }), RangeError, "capacity");
});

Deno.test("programs registers the proxy's programs by name", () => {
  assertEquals(Object.keys(programs).sort(), ["proxy-cache", "proxy-client", "proxy-origin"]);
});

Deno.test("kvOrigin() answers an unknown kind with an error reply", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("origin.lab").spawn("origin", kvOrigin({}));
  let reply: Envelope<{ kind: string; error: string }> | undefined;
  sim.machine("c.lab").spawn("client", async (ctx) => {
    reply = await ctx.request(ORIGIN, { kind: "delete", key: 1 });
  });
  await sim.run();
  assertEquals(reply?.body.kind, "error");
  assertTrue(reply?.body.error.includes('Cannot answer "delete"'));
});

Deno.test("LruCache() evicts by total bytes, least recently used first", () => {
  const evicted: string[] = [];
  const cache = new LruCache<string>({
    maxBytes: 10,
    sizeOf: (value) => value.length,
    onEvict: (key) => evicted.push(key),
  });
  cache.set("a", "aaaa");
  cache.set("b", "bbbb");
  cache.get("a");
  cache.set("c", "cccc");
  assertEquals([...cache.keys()], ["a", "c"]);
  assertEquals([evicted, cache.bytes], [["b"], 8]);
  assertEquals(cache.set("huge", "x".repeat(11)), false);
  assertEquals(cache.has("huge"), false);
});

Deno.test("requestKey() ignores field order and keeps kinds and types apart", () => {
  assertEquals(
    requestKey({ kind: "get", key: 1, a: { y: 1, x: 2 } }),
    requestKey({ a: { x: 2, y: 1 }, key: 1, kind: "get" }),
  );
  assertTrue(requestKey({ kind: "get", key: 1 }) !== requestKey({ kind: "put", key: 1 }));
  assertTrue(requestKey({ kind: "get", key: 1 }) !== requestKey({ kind: "get", key: "1" }));
});

Deno.test("zipfSampler() draws the hottest keys most often and rejects bad parameters", () => {
  const sample = zipfSampler(10, 1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 1000; i++) counts[sample(i / 1000)]++;
  // Zipf(1) over 10 keys: key 0 has weight 1/H(10) = 34%.
  assertEquals(counts[0], 342);
  assertTrue(counts.every((c, i) => i === 0 || c <= counts[i - 1]));
  assertEquals(zipfSampler(10, 0)(0.55), 5);
  assertThrows(() => zipfSampler(0, 1), RangeError, "0 keys");
  assertThrows(() => zipfSampler(10, -1), RangeError, "exponent -1");
});
