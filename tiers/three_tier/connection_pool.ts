/**
 * A bounded pool of logical connections (sessions) to a data process, as a process over the
 * core: at most `size` sessions exist; a caller that finds none free waits in a bounded FIFO
 * queue for at most its `waitMs`, then gets a clear timeout error. The pool never blocks on the
 * network: a caller granted an empty slot opens the session itself and hands it back on release.
 *
 * The protocol logic is the pure {@link PoolState}; {@link connectionPool} is its process.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import { TimeoutError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import { type PoolOptions, PoolState } from "./pool_state.ts";
import type { PoolReply } from "./messages.ts";

export * from "./pool_state.ts";

/**
 * The pool as a process: answers `acquire` with a lease (or, after `waitMs`, `pool-timeout`),
 * takes `release` messages and answers `pool-stats`. Malformed messages are ignored.
 *
 * @example A pool of one: the second caller waits until the first releases
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { acquireConnection, connectionPool, releaseConnection } from "./connection_pool.ts";
 * const sim = new Simulator({ seed: 1 });
 * const m = sim.machine("logic.lab");
 * m.spawn("pool", connectionPool({ size: 1 }));
 * const log: string[] = [];
 * m.spawn("a", async (ctx) => {
 *   await acquireConnection(ctx, "pool@logic.lab", { waitMs: 100 });
 *   await ctx.sleep(10);
 *   log.push("a releases");
 *   await releaseConnection(ctx, "pool@logic.lab", { session: "s1" });
 * });
 * m.spawn("b", async (ctx) => {
 *   await ctx.sleep(1);
 *   const session = await acquireConnection(ctx, "pool@logic.lab", { waitMs: 100 });
 *   log.push(`b got ${session}`);
 * });
 * await sim.run();
 * assert.deepEqual(log, ["a releases", "b got s1"]);
 * ```
 */
export function connectionPool(options: PoolOptions = {}): ProcessFn {
  return async (ctx: ProcessContext): Promise<void> => {
    const state = new PoolState<Envelope>(options);
    for (;;) {
      const next = state.nextExpiry();
      let env: Envelope;
      try {
        env = await ctx.receive({
          timeout: next === undefined ? Infinity : Math.max(0, next - ctx.now()),
        });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        for (const { waiter, waitedMs } of state.expire(ctx.now())) {
          await ctx.reply(waiter, { kind: "pool-timeout", waitedMs, size: state.size });
        }
        continue;
      }
      const body = env.body as Partial<Record<string, unknown>> | null;
      if (typeof body !== "object" || body === null) continue;
      if (env.kind === "acquire" && env.corr !== undefined) {
        const waitMs = typeof body.waitMs === "number" ? body.waitMs : 0;
        const outcome = state.acquire(env, { now: ctx.now(), waitMs });
        if (outcome.kind === "granted") {
          await ctx.reply(env, { kind: "lease", session: outcome.session });
        } else if (outcome.kind === "full") {
          await ctx.reply(
            env,
            waitMs > 0
              ? { kind: "pool-full", size: state.size, queued: outcome.queued }
              : { kind: "pool-timeout", waitedMs: 0, size: state.size },
          );
        }
      } else if (env.kind === "release") {
        const session = typeof body.session === "string" ? body.session : null;
        const ended = { broken: body.broken === true, now: ctx.now() };
        for (const grant of state.release(session, ended)) {
          await ctx.reply(grant.waiter, { kind: "lease", session: grant.session });
        }
      } else if (env.kind === "pool-stats" && env.corr !== undefined) {
        await ctx.reply(env, state.stats());
      }
    }
  };
}

/**
 * No pooled connection could be had: every session was in use for the whole wait, or the wait
 * queue was full. Callers catch it and answer "unavailable" (HTTP 503).
 *
 * @example The message says what to change
 * ```ts
 * import assert from "node:assert/strict";
 * import { PoolExhaustedError } from "./connection_pool.ts";
 * const error = new PoolExhaustedError("timeout", { size: 4, waitedMs: 500 });
 * assert.match(error.message, /all 4 sessions stayed in use for 500 ms/);
 * ```
 */
export class PoolExhaustedError extends Error {
  /** Why: the wait ran out, or the queue was full. */
  readonly reason: "timeout" | "queue-full";
  /** The pool's size. */
  readonly size: number;
  /** How long the caller waited, in ms. */
  readonly waitedMs: number;
  /** Creates the error. */
  constructor(
    reason: "timeout" | "queue-full",
    detail: { size: number; waitedMs?: number; queued?: number },
  ) {
    const why = reason === "timeout"
      ? `all ${detail.size} sessions stayed in use for ${detail.waitedMs ?? 0} ms`
      : `all ${detail.size} sessions are in use and ${detail.queued ?? 0} callers wait already`;
    super(
      `Cannot get a data connection: ${why}; retry later, enlarge the pool (--pool) or lower the load`,
    );
    this.name = "PoolExhaustedError";
    this.reason = reason;
    this.size = detail.size;
    this.waitedMs = detail.waitedMs ?? 0;
  }
}

/** Options of {@link acquireConnection}. */
export interface AcquireOptions {
  /** Most ms to wait in the pool's queue. @default 500 */
  readonly waitMs?: number;
}

/**
 * Asks `pool` for a lease: resolves to a session to reuse, or `null` for an empty slot (open a
 * session, and pass it to {@link releaseConnection} when done).
 * @throws {PoolExhaustedError} when no lease came within `waitMs` or the queue was full.
 * @example The first lease is an empty slot; a released session is reused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { acquireConnection, connectionPool, releaseConnection } from "./connection_pool.ts";
 * const sim = new Simulator({ seed: 1 });
 * const m = sim.machine("logic.lab");
 * m.spawn("pool", connectionPool({ size: 1 }));
 * const leases: (string | null)[] = [];
 * m.spawn("caller", async (ctx) => {
 *   leases.push(await acquireConnection(ctx, "pool@logic.lab"));
 *   await releaseConnection(ctx, "pool@logic.lab", { session: "s1" });
 *   leases.push(await acquireConnection(ctx, "pool@logic.lab"));
 * });
 * await sim.run();
 * assert.deepEqual(leases, [null, "s1"]);
 * ```
 */
export async function acquireConnection(
  ctx: ProcessContext,
  pool: string,
  options: AcquireOptions = {},
): Promise<string | null> {
  const waitMs = options.waitMs ?? 500;
  const reply = await ctx.request<PoolReply>(pool, { kind: "acquire", waitMs }, {
    timeout: Math.max(0, waitMs) + 1000,
  });
  const body = reply.body;
  if (body.kind === "lease") return body.session;
  if (body.kind === "pool-timeout") {
    throw new PoolExhaustedError("timeout", { size: body.size, waitedMs: body.waitedMs });
  }
  if (body.kind === "pool-full") {
    throw new PoolExhaustedError("queue-full", { size: body.size, queued: body.queued });
  }
  throw new TypeError(
    `Cannot acquire a connection: unexpected answer "${body.kind}" from "${pool}"`,
  );
}

/** Options of {@link releaseConnection}. */
export interface ReleaseOptions {
  /** The session to give back; `null` frees an empty slot (opening a session failed). @default null */
  readonly session?: string | null;
  /** The session must not be reused (it failed mid-call): free its slot instead. @default false */
  readonly broken?: boolean;
}

/**
 * Gives a lease back to `pool`: the session is reused unless `broken` or `null`.
 *
 * @example A broken session frees its slot instead of being reused
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { acquireConnection, connectionPool, releaseConnection } from "./connection_pool.ts";
 * const sim = new Simulator({ seed: 1 });
 * const m = sim.machine("logic.lab");
 * m.spawn("pool", connectionPool({ size: 1 }));
 * let again: string | null = "unset";
 * m.spawn("caller", async (ctx) => {
 *   await acquireConnection(ctx, "pool@logic.lab");
 *   await releaseConnection(ctx, "pool@logic.lab", { session: "s1", broken: true });
 *   again = await acquireConnection(ctx, "pool@logic.lab");
 * });
 * await sim.run();
 * assert.equal(again, null);
 * ```
 */
export function releaseConnection(
  ctx: ProcessContext,
  pool: string,
  options: ReleaseOptions = {},
): Promise<void> {
  return ctx.send(pool, {
    kind: "release",
    session: options.session ?? null,
    broken: options.broken ?? false,
  });
}
