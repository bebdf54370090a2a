/**
 * The logic tier: a process that owns validation and the business rules. Each call from the
 * presentation runs in its own handler process; it validates the input, leases a data session
 * from the tier's bounded connection pool, runs one data operation (one transaction) with the
 * budget it has left, and answers with the result and where the time went.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import { ProcessStoppedError, TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import { argReader } from "./_args.ts";
import { TierFailure } from "./_tier_failure.ts";
import {
  acquireConnection,
  connectionPool,
  PoolExhaustedError,
  type PoolStats,
  releaseConnection,
} from "./connection_pool.ts";
import { Deadline, DeadlineExceededError } from "./deadline.ts";
import { validateCall, ValidationError } from "./logic_validation.ts";
import {
  type DataOp,
  type DataReply,
  isRecord,
  type LogicReply,
  type TierError,
} from "./messages.ts";

/** Arguments of the `three-tier-logic` program. */
export interface LogicTierArgs {
  /** Address of the data process. @default "db@data.lab" */
  readonly data?: string;
  /** Sessions in the connection pool. @default 4 */
  readonly poolSize?: number;
  /** Most ms a call waits for a pooled session. @default 500 */
  readonly poolWaitMs?: number;
  /** Most calls waiting for a session; more get 503 at once. @default 64 */
  readonly maxQueue?: number;
  /** Most ms to wait for one answer of the data tier before calling it unavailable. @default 1000 */
  readonly dataTimeoutMs?: number;
  /** Business rule: most loans a member holds at once. @default 3 */
  readonly maxLoans?: number;
  /** Modelled cost of the tier's own work per call, in ms (0: none). @default 0 */
  readonly workMs?: number;
}

interface Config {
  readonly data: string;
  readonly pool: string;
  readonly poolWaitMs: number;
  readonly dataTimeoutMs: number;
  readonly maxLoans: number;
  readonly workMs: number;
}

interface Clock {
  poolMs: number;
  dataMs: number;
  roundTripMs: number;
}

/**
 * The logic tier program: spawns its connection pool (`pool` on the same machine), then serves
 * `call` messages, each in a handler process of its own. It also answers `pool-stats` calls.
 *
 * @example A call through logic to data
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { dataTier } from "./data_tier.ts";
 * import { logicTier } from "./logic_tier.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("data.lab").spawn("db", dataTier({}));
 * sim.machine("logic.lab").spawn("logic", logicTier({ data: "db@data.lab" }));
 * let title = "";
 * sim.machine("web.lab").spawn("t", async (ctx) => {
 *   const reply = await ctx.request<{ value: { title: string } }>("logic@logic.lab", {
 *     kind: "call", traceId: "t1", op: "getBook", budgetMs: 1000, input: { id: 4 },
 *   });
 *   title = reply.body.value.title;
 * });
 * await sim.run();
 * assert.equal(title, "Frankenstein");
 * ```
 */
export function logicTier(args: Readonly<Record<string, unknown>>): ProcessFn {
  const read = argReader("the logic tier", args);
  const data = read.string("data", "db@data.lab");
  const size = read.number("poolSize", { fallback: 4, min: 1, integer: true });
  const maxQueue = read.number("maxQueue", { fallback: 64, integer: true });
  const poolWaitMs = read.number("poolWaitMs", { fallback: 500 });
  const dataTimeoutMs = read.number("dataTimeoutMs", { fallback: 1000, min: 1 });
  const maxLoans = read.number("maxLoans", { fallback: 3, min: 1, integer: true });
  const workMs = read.number("workMs", { fallback: 0 });
  return async (ctx: ProcessContext): Promise<void> => {
    const pool = ctx.spawn("pool", connectionPool({ size, maxQueue }));
    const config: Config = { data, pool, poolWaitMs, dataTimeoutMs, maxLoans, workMs };
    let handled = 0;
    for (;;) {
      const env = await ctx.receive();
      if (env.corr === undefined) continue;
      ctx.spawn(`call-${++handled}`, (h) => handle(h, env, config));
    }
  };
}

async function handle(h: ProcessContext, env: Envelope, config: Config): Promise<void> {
  const started = h.now();
  const clock: Clock = { poolMs: 0, dataMs: 0, roundTripMs: 0 };
  const body = env.body;
  const traceId = isRecord(body) && typeof body.traceId === "string" ? body.traceId : "-";
  const timing = () => {
    const total = h.now() - started;
    return {
      logicMs: round(total - clock.poolMs - clock.roundTripMs),
      poolMs: round(clock.poolMs),
      dataMs: round(clock.dataMs),
      netMs: round(Math.max(0, clock.roundTripMs - clock.dataMs)),
    };
  };
  let reply: LogicReply;
  let bug: { error: unknown } | undefined;
  try {
    if (!isRecord(body) || env.kind !== "call" || typeof body.op !== "string") {
      throw new TierFailure(
        "invalid",
        `Cannot serve the call: expected {kind: "call", op, input, traceId, budgetMs}, got kind "${env.kind}"`,
      );
    }
    const budget = typeof body.budgetMs === "number" && Number.isFinite(body.budgetMs)
      ? body.budgetMs
      : NaN;
    if (Number.isNaN(budget)) {
      throw new TierFailure(
        "invalid",
        `Cannot serve the call: budgetMs ${JSON.stringify(body.budgetMs)} must be a number`,
      );
    }
    const deadline = new Deadline(budget, { start: started });
    deadline.check(started, "logic", `receiving ${body.op}`);
    if (config.workMs > 0) await h.sleep(config.workMs);
    let value: unknown;
    if (body.op === "poolStats") {
      value = (await h.request<PoolStats>(config.pool, { kind: "pool-stats" })).body;
    } else {
      const call = validateCall(body.op, body.input, { maxLoans: config.maxLoans });
      deadline.check(h.now(), "logic", `validating ${body.op}`);
      value = await callData(h, { config, deadline, clock, traceId, ...call });
    }
    reply = { kind: "logic-ok", traceId, value, timing: timing() };
  } catch (error) {
    if (error instanceof ProcessStoppedError) throw error;
    reply = { kind: "logic-error", traceId, error: toTierError(error), timing: timing() };
    if (!isTierCondition(error)) bug = { error };
  }
  await h.reply(env, reply);
  // The caller has its "internal" answer; an error the tier cannot name is a bug, and fails.
  if (bug !== undefined) throw bug.error;
}

/** Whether `error` is a condition the tier answers with a code of its own (not a bug). */
function isTierCondition(error: unknown): boolean {
  return error instanceof TierFailure || error instanceof ValidationError ||
    error instanceof DeadlineExceededError || error instanceof PoolExhaustedError;
}

function toTierError(error: unknown): TierError {
  if (error instanceof TierFailure) return error.error;
  if (error instanceof ValidationError) {
    return { code: "invalid", message: error.message, fields: error.fields };
  }
  if (error instanceof DeadlineExceededError) return { code: "deadline", message: error.message };
  if (error instanceof PoolExhaustedError) return { code: "unavailable", message: error.message };
  return {
    code: "internal",
    message: `Cannot serve the call: ${(error as Error)?.message ?? error}`,
  };
}

interface DataCall {
  readonly config: Config;
  readonly deadline: Deadline;
  readonly clock: Clock;
  readonly traceId: string;
  readonly op: DataOp;
  readonly params: Readonly<Record<string, unknown>>;
}

/** Leases a session, runs one data operation; retries once on a session a restart made stale. */
async function callData(h: ProcessContext, call: DataCall): Promise<unknown> {
  const { config, deadline, clock } = call;
  for (let attempt = 0; attempt < 2; attempt++) {
    const waitMs = Math.min(
      config.poolWaitMs,
      deadline.check(h.now(), "logic", "waiting for a data connection"),
    );
    const asked = h.now();
    let session: string | null;
    try {
      session = await acquireConnection(h, config.pool, { waitMs });
    } catch (error) {
      clock.poolMs += h.now() - asked;
      if (error instanceof PoolExhaustedError && deadline.expired(h.now())) {
        throw new DeadlineExceededError("logic", deadline.budget, "waiting for a data connection");
      }
      throw error;
    }
    clock.poolMs += h.now() - asked;
    let broken = false;
    try {
      if (session === null) session = await openSession(h, call);
      const reply = await dataRequest(h, call, {
        kind: "exec",
        traceId: call.traceId,
        session,
        op: call.op,
        budgetMs: round(deadline.remaining(h.now())),
        params: call.params,
      });
      if (reply.kind === "data-ok") {
        clock.dataMs += reply.dataMs;
        return reply.value;
      }
      if (reply.kind !== "data-error") {
        throw new TierFailure(
          "internal",
          `Cannot run ${call.op}: unexpected answer "${reply.kind}"`,
        );
      }
      clock.dataMs += reply.dataMs;
      if (reply.stale) {
        broken = true;
        continue;
      }
      throw new TierFailure(reply.error.code, reply.error.message, reply.error.fields);
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof UnknownProcessError) broken = true;
      throw transportFailure(error, call, h.now());
    } finally {
      if (broken && session !== null) await h.send(config.data, { kind: "close", session });
      await releaseConnection(h, config.pool, { session, broken });
    }
  }
  throw new TierFailure(
    "unavailable",
    "Cannot reach the data tier: it rejected two fresh sessions in a row (restarting?); retry",
  );
}

async function openSession(h: ProcessContext, call: DataCall): Promise<string> {
  const reply = await dataRequest(h, call, { kind: "open" });
  if (reply.kind === "opened") return reply.session;
  if (reply.kind === "data-error") {
    throw new TierFailure(reply.error.code, reply.error.message);
  }
  throw new TierFailure(
    "internal",
    `Cannot open a data session: unexpected answer "${reply.kind}"`,
  );
}

async function dataRequest(h: ProcessContext, call: DataCall, body: unknown): Promise<DataReply> {
  const { config, deadline, clock } = call;
  const left = deadline.check(h.now(), "logic", `calling the data tier for ${call.op}`);
  const sent = h.now();
  try {
    const reply = await h.request<DataReply>(config.data, body, {
      timeout: Math.min(config.dataTimeoutMs, left),
    });
    return reply.body;
  } finally {
    clock.roundTripMs += h.now() - sent;
  }
}

function transportFailure(error: unknown, call: DataCall, now: number): unknown {
  if (error instanceof TimeoutError) {
    if (call.deadline.expired(now)) {
      return new DeadlineExceededError(
        "logic",
        call.deadline.budget,
        `waiting for the data tier to ${call.op}`,
      );
    }
    return new TierFailure(
      "unavailable",
      `Cannot reach the data tier: "${call.config.data}" did not answer within ` +
        `${error.timeout} ms (it may be down); nothing was written unless it committed; retry`,
    );
  }
  if (error instanceof UnknownProcessError) {
    return new TierFailure(
      "unavailable",
      `Cannot reach the data tier: process "${call.config.data}" is not running; retry later`,
    );
  }
  return error;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
