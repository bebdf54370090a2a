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
  const settings: CacheSettings = {
    origin: stringArg(args, "origin", "proxy-cache"),
    capacity: numberArg(args, "capacity", "proxy-cache", 100, 1),
    ttl: numberArg(args, "ttl", "proxy-cache", 10_000),
    timeout: numberArg(args, "timeout", "proxy-cache", 5000),
    kinds: kindsArg(args),
  };
  return async (ctx: ProcessContext): Promise<void> => {
    const proxy = new CacheProxyRun(ctx, settings);
    for (;;) {
      const env = await ctx.receive();
      // Awaited only when the message needs it: the same steps as one inline loop, so that a
      // seed's trace stays what it was.
      const pending = proxy.handle(env);
      if (pending !== undefined) await pending;
    }
  };
};

/** The checked arguments of one proxy. */
interface CacheSettings {
  readonly origin: string;
  readonly capacity: number;
  readonly ttl: number;
  readonly timeout: number;
  readonly kinds: ReadonlySet<string>;
}

/** One running proxy: its cache, the origin requests in flight, its counters. */
class CacheProxyRun {
  readonly #ctx: ProcessContext;
  readonly #settings: CacheSettings;
  readonly #cache: LruCache<Cached>;
  readonly #byKey = new Map<string, Flight>();
  readonly #byFetcher = new Map<string, Flight>();
  readonly #base: string;
  #fetchers = 0;
  readonly #counts = {
    hits: 0,
    misses: 0,
    expired: 0,
    stale: 0,
    coalesced: 0,
    originRequests: 0,
    originErrors: 0,
    passthrough: 0,
  };

  constructor(ctx: ProcessContext, settings: CacheSettings) {
    this.#ctx = ctx;
    this.#settings = settings;
    this.#cache = new LruCache<Cached>({ maxEntries: settings.capacity });
    this.#base = ctx.self.slice(0, ctx.self.indexOf("@"));
  }

  /**
   * Handles one message: a fetcher's fill, a stats request, a request to pass or to cache; the
   * promise of the replies it sends, if it sends any.
   */
  handle(env: Envelope): Promise<void> | undefined {
    const ctx = this.#ctx;
    const flight = this.#byFetcher.get(env.from);
    if (flight !== undefined && env.kind === "fill") {
      this.#byFetcher.delete(env.from);
      return this.#land(flight, env.body as Fill);
    }
    if (env.corr === undefined) {
      ctx.log(`ignored "${env.kind}" from ${env.from}: not a request`);
      return;
    }
    if (env.kind === "stats") return ctx.reply(env, this.#stats());
    if (!this.#settings.kinds.has(env.kind)) {
      this.#counts.passthrough++;
      this.#fly(undefined, env);
      return;
    }
    return this.#lookup(env);
  }

  #stats(): ProxyStats {
    const cache = this.#cache;
    return { kind: "stats", ...this.#counts, evictions: cache.evictions, entries: cache.size };
  }

  /** Answers a cacheable request from the cache, or joins or starts the origin request. */
  #lookup(env: Envelope): Promise<void> | undefined {
    const counts = this.#counts;
    const key = requestKey(env.body);
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.expires > this.#ctx.now()) {
      counts.hits++;
      return this.#ctx.reply(env, tag(cached.body, "hit"));
    }
    counts.misses++;
    if (cached !== undefined) counts.expired++;
    const flying = this.#byKey.get(key);
    if (flying !== undefined) {
      counts.coalesced++;
      flying.waiters.push(env);
    } else {
      this.#fly(key, env);
    }
  }

  /** Starts the origin request for `request` in a child process that sends back a fill. */
  #fly(key: string | undefined, request: Envelope): void {
    const ctx = this.#ctx;
    const { origin, timeout } = this.#settings;
    const flight: Flight = { key, waiters: [request] };
    if (key !== undefined) this.#byKey.set(key, flight);
    this.#counts.originRequests++;
    const parent = ctx.self;
    const fetcher = ctx.spawn(`${this.#base}-f${++this.#fetchers}`, async (child) => {
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
    this.#byFetcher.set(fetcher, flight);
  }

  /** Answers a flight's waiters with the origin's fill, caching it when it may be cached. */
  async #land(flight: Flight, fill: Fill): Promise<void> {
    const ctx = this.#ctx;
    const { key } = flight;
    if (key !== undefined) this.#byKey.delete(key);
    if (!fill.ok) {
      this.#counts.originErrors++;
      const stale = key === undefined ? undefined : this.#cache.peek(key);
      for (const waiter of flight.waiters) await this.#answerFailed(waiter, stale, fill);
      return;
    }
    const body = fill.body;
    const cacheable = key !== undefined &&
      !(typeof body === "object" && body !== null &&
        (body as { kind?: unknown }).kind === "error");
    if (cacheable) this.#cache.set(key, { body, expires: ctx.now() + this.#settings.ttl });
    for (const waiter of flight.waiters) {
      await ctx.reply(waiter, key === undefined ? body : tag(body, "miss"));
    }
  }

  /** Answers a waiter of a failed flight: the stale copy when one is cached, else an error. */
  #answerFailed(waiter: Envelope, stale: Cached | undefined, fill: Fill): Promise<void> {
    if (stale !== undefined) {
      this.#counts.stale++;
      return this.#ctx.reply(waiter, tag(stale.body, "stale"));
    }
    return this.#ctx.reply(waiter, {
      kind: "error",
      error: `Cannot reach origin "${this.#settings.origin}": ${fill.error}`,
    });
  }
}
