/**
 * The caching proxy as a process over the core: it sits in front of any request/reply service,
 * answers repeated requests from an LRU cache with a TTL, and sends the origin exactly one request
 * per key however many clients miss on that key at once (request coalescing).
 *
 * The proxy's loop never waits for the origin: each origin request runs in a short-lived child
 * process that sends the answer back to the proxy as a `fill` message, so the proxy keeps serving
 * hits while misses are in flight. Replies are the origin's body with a `cache` field added
 * (`"hit"`, `"miss"` or `"stale"`), like an `X-Cache` header. When the origin fails and an expired
 * copy is still cached, the proxy serves that copy as `"stale"`; otherwise it answers
 * `{kind:"error"}`. Requests of kinds it does not cache (`put` and anything else) pass through.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn, Program } from "../core/process.ts";
import { numberArg, stringArg } from "./_args.ts";
import { LruCache } from "./lru_cache.ts";
import type { CacheOutcome, ProxyStats } from "./messages.ts";
import { requestKey } from "./request_key.ts";

/** Arguments of {@link cacheProxy} (JSON). */
export interface CacheProxyArgs {
  /** Address of the origin service, e.g. `"origin@m1.lab"`. */
  readonly origin: string;
  /** Most entries cached (LRU eviction beyond). @default 100 */
  readonly capacity?: number;
  /** Ms an entry stays fresh. @default 10000 */
  readonly ttl?: number;
  /** Ms to wait for the origin before the request fails. @default 5000 */
  readonly timeout?: number;
  /** Request kinds that are cached; others pass through. @default ["get"] */
  readonly kinds?: readonly string[];
}

interface Cached {
  readonly body: unknown;
  readonly expires: number;
}

interface Flight {
  /** Cache key, or `undefined` for a pass-through request. */
  readonly key: string | undefined;
  readonly waiters: Envelope[];
}

interface Fill {
  readonly kind: "fill";
  readonly ok: boolean;
  readonly body?: unknown;
  readonly error?: string;
}

function tag(body: unknown, cache: CacheOutcome): unknown {
  return typeof body === "object" && body !== null && !Array.isArray(body)
    ? { ...body, cache }
    : body;
}

function kindsArg(args: Readonly<Record<string, unknown>>): Set<string> {
  const kinds = args.kinds ?? ["get"];
  if (!Array.isArray(kinds) || !kinds.every((k) => typeof k === "string")) {
    throw new TypeError(
      `Cannot start proxy-cache: argument "kinds" is ${
        JSON.stringify(kinds)
      }; give an array of message kinds such as ["get"]`,
    );
  }
  return new Set(kinds);
}

/**
 * The caching proxy program. Send it the origin's requests; send it `{kind:"stats"}` for its
 * {@link ProxyStats}.
 *
 * @throws {TypeError} when `origin` is missing; {RangeError} when a number is out of range.
 * @example Two gets of one key: one origin request, the second is a hit
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { cacheProxy } from "./cache_process.ts";
 * import { kvOrigin } from "./origin_process.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("o.lab").spawn("origin", kvOrigin({}));
 * sim.machine("p.lab").spawn("cache", cacheProxy({ origin: "origin@o.lab" }));
 * const seen: unknown[] = [];
 * sim.machine("c.lab").spawn("client", async (ctx) => {
 *   for (let i = 0; i < 2; i++) {
 *     seen.push((await ctx.request<{ cache: string }>("cache@p.lab", { kind: "get", key: 7 })).body.cache);
 *   }
 *   seen.push((await ctx.request("cache@p.lab", { kind: "stats" })).body);
 * });
 * await sim.run();
 * assert.deepEqual(seen.slice(0, 2), ["miss", "hit"]);
 * assert.equal((seen[2] as { originRequests: number }).originRequests, 1);
 * ```
 */
export const cacheProxy: Program = (args: Readonly<Record<string, unknown>>): ProcessFn => {
  const origin = stringArg(args, "origin", "proxy-cache");
  const capacity = numberArg(args, "capacity", "proxy-cache", 100, 1);
  const ttl = numberArg(args, "ttl", "proxy-cache", 10_000);
  const timeout = numberArg(args, "timeout", "proxy-cache", 5000);
  const kinds = kindsArg(args);
  return async (ctx: ProcessContext): Promise<void> => {
    const cache = new LruCache<Cached>({ maxEntries: capacity });
    const byKey = new Map<string, Flight>();
    const byFetcher = new Map<string, Flight>();
    const base = ctx.self.slice(0, ctx.self.indexOf("@"));
    let fetchers = 0;
    const counts = {
      hits: 0,
      misses: 0,
      expired: 0,
      stale: 0,
      coalesced: 0,
      originRequests: 0,
      originErrors: 0,
      passthrough: 0,
    };
    const stats = (): ProxyStats => ({
      kind: "stats",
      ...counts,
      evictions: cache.evictions,
      entries: cache.size,
    });

    const fly = (key: string | undefined, request: Envelope): void => {
      const flight: Flight = { key, waiters: [request] };
      if (key !== undefined) byKey.set(key, flight);
      counts.originRequests++;
      const parent = ctx.self;
      const fetcher = ctx.spawn(`${base}-f${++fetchers}`, async (child) => {
        let fill: Fill;
        try {
          const reply = await child.request(origin, request.body, { timeout });
          fill = { kind: "fill", ok: true, body: reply.body };
        } catch (error) {
          // The origin is down, cut off or slow: the waiters get an error answer.
          if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
          fill = { kind: "fill", ok: false, error: error.message };
        }
        await child.send(parent, fill);
      });
      byFetcher.set(fetcher, flight);
    };

    const land = async (flight: Flight, fill: Fill): Promise<void> => {
      const { key } = flight;
      if (key !== undefined) byKey.delete(key);
      if (fill.ok) {
        const body = fill.body;
        const cacheable = key !== undefined &&
          !(typeof body === "object" && body !== null &&
            (body as { kind?: unknown }).kind === "error");
        if (cacheable) cache.set(key, { body, expires: ctx.now() + ttl });
        for (const waiter of flight.waiters) {
          await ctx.reply(waiter, key === undefined ? body : tag(body, "miss"));
        }
        return;
      }
      counts.originErrors++;
      const stale = key === undefined ? undefined : cache.peek(key);
      for (const waiter of flight.waiters) {
        if (stale !== undefined) {
          counts.stale++;
          await ctx.reply(waiter, tag(stale.body, "stale"));
        } else {
          await ctx.reply(waiter, {
            kind: "error",
            error: `Cannot reach origin "${origin}": ${fill.error}`,
          });
        }
      }
    };

    for (;;) {
      const env = await ctx.receive();
      const flight = byFetcher.get(env.from);
      if (flight !== undefined && env.kind === "fill") {
        byFetcher.delete(env.from);
        await land(flight, env.body as Fill);
        continue;
      }
      if (env.corr === undefined) {
        ctx.log(`ignored "${env.kind}" from ${env.from}: not a request`);
        continue;
      }
      if (env.kind === "stats") {
        await ctx.reply(env, stats());
        continue;
      }
      if (!kinds.has(env.kind)) {
        counts.passthrough++;
        fly(undefined, env);
        continue;
      }
      const key = requestKey(env.body);
      const cached = cache.get(key);
      if (cached !== undefined && cached.expires > ctx.now()) {
        counts.hits++;
        await ctx.reply(env, tag(cached.body, "hit"));
        continue;
      }
      counts.misses++;
      if (cached !== undefined) counts.expired++;
      const flying = byKey.get(key);
      if (flying !== undefined) {
        counts.coalesced++;
        flying.waiters.push(env);
      } else {
        fly(key, env);
      }
    }
  };
};
