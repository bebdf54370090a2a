/**
 * How the presentation tier serves one `Request` inside a handler process: a trace id, a budget
 * that shrinks before each call to the logic tier, the calls themselves with their timing, and
 * the `Server-Timing` summary.
 * @module
 */
import type { Envelope } from "../../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import { Deadline, DeadlineExceededError } from "./deadline.ts";
import type { CallOutcome, PresentationApp, PresentationEnv } from "./presentation_app.ts";
import { isRecord, type LogicReply } from "./messages.ts";

/** The presentation tier's settings, as read from its arguments. */
export interface Config {
  readonly app: PresentationApp;
  readonly logic: string;
  readonly budgetMs: number;
  readonly maxBudgetMs: number;
  readonly workMs: number;
}

const TRACE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The JSON body of a 500 answer for `error`. */
export function internalError(error: unknown): unknown {
  return {
    error: {
      code: "internal",
      message: `Cannot serve the request: ${(error as Error)?.message ?? error}`,
    },
  };
}

function budgetOf(request: Request, config: Config): { budget: number; problem?: string } {
  const header = request.headers.get("x-budget-ms");
  if (header === null) return { budget: config.budgetMs };
  const budget = Number(header);
  if (!/^\d+(\.\d+)?$/.test(header) || budget <= 0 || budget > config.maxBudgetMs) {
    return {
      budget: config.budgetMs,
      problem: `"${header.slice(0, 40)}" must be a number of ms from 1 to ${config.maxBudgetMs}`,
    };
  }
  return { budget };
}

function newTraceId(h: ProcessContext): string {
  const hex = (n: number) => Math.floor(h.random() * 16 ** n).toString(16).padStart(n, "0");
  return `tr-${hex(8)}${hex(4)}`;
}

/** Serves one `Request` with the app, inside handler process `h`. */
export async function serveRequest(
  h: ProcessContext,
  request: Request,
  config: Config,
): Promise<Response> {
  const started = h.now();
  const given = request.headers.get("x-trace-id");
  const traceId = given !== null && TRACE_ID.test(given) ? given : newTraceId(h);
  const { budget, problem } = budgetOf(request, config);
  const deadline = new Deadline(budget, { start: started });
  const spent: Spent = { roundTripMs: 0, logicMs: 0, poolMs: 0, dataMs: 0, netMs: 0 };
  const call = async (op: string, input?: unknown): Promise<CallOutcome> => {
    const left = deadline.remaining(h.now());
    if (left <= 0) {
      const error = new DeadlineExceededError("presentation", budget, `before calling ${op}`);
      return { ok: false, error: { code: "deadline", message: error.message } };
    }
    const sent = h.now();
    let reply: Envelope<LogicReply>;
    try {
      reply = await h.request<LogicReply>(
        config.logic,
        { kind: "call", traceId, op, budgetMs: round(left), input },
        { timeout: left },
      );
    } catch (error) {
      spent.roundTripMs += h.now() - sent;
      return callFailure(error, { op, left, budget, logic: config.logic });
    }
    const roundTrip = h.now() - sent;
    spent.roundTripMs += roundTrip;
    addTiming(spent, reply.body, roundTrip);
    return logicOutcome(reply, op);
  };
  const env: PresentationEnv = {
    traceId,
    budgetProblem: problem,
    call,
    serverTiming: () => {
      const presentation = h.now() - started - spent.roundTripMs;
      return [
        `presentation;dur=${round(presentation)}`,
        `logic;dur=${round(spent.logicMs)}`,
        `pool;dur=${round(spent.poolMs)}`,
        `data;dur=${round(spent.dataMs)}`,
        `net;dur=${round(spent.netMs)};desc="between tiers"`,
      ].join(", ");
    },
  };
  if (config.workMs > 0) await h.sleep(config.workMs);
  return await config.app.fetch(request, env);
}

/** Time a request spent, by tier (ms). */
interface Spent {
  roundTripMs: number;
  logicMs: number;
  poolMs: number;
  dataMs: number;
  netMs: number;
}

/**
 * The outcome of a call to the logic tier that failed: the deadline passed, or the logic tier
 * is not running; any other error is thrown again.
 */
function callFailure(
  error: unknown,
  call: { op: string; left: number; budget: number; logic: string },
): CallOutcome {
  if (error instanceof TimeoutError) {
    const exceeded = new DeadlineExceededError(
      "presentation",
      call.budget,
      `no answer from the logic tier to ${call.op} within ${round(call.left)} ms`,
    );
    return { ok: false, error: { code: "deadline", message: exceeded.message } };
  }
  if (error instanceof UnknownProcessError) {
    return {
      ok: false,
      error: {
        code: "unavailable",
        message: `Cannot reach the logic tier: process "${call.logic}" is not running; retry later`,
      },
    };
  }
  throw error;
}

/**
 * Adds the tiers' times the logic tier reported to `spent`; what the round trip took beyond
 * them is network.
 */
function addTiming(spent: Spent, body: LogicReply, roundTrip: number): void {
  const timing: Record<string, unknown> = isRecord(body) && isRecord(body.timing)
    ? body.timing
    : {};
  const inside = { logicMs: 0, poolMs: 0, dataMs: 0, netMs: 0 };
  for (const key of Object.keys(inside) as (keyof typeof inside)[]) {
    const value = timing[key];
    if (typeof value === "number" && Number.isFinite(value)) inside[key] = value;
  }
  spent.logicMs += inside.logicMs;
  spent.poolMs += inside.poolMs;
  spent.dataMs += inside.dataMs;
  spent.netMs += inside.netMs +
    Math.max(0, roundTrip - inside.logicMs - inside.poolMs - inside.dataMs - inside.netMs);
}

/** The outcome the logic tier's reply to `op` says. */
function logicOutcome(reply: Envelope<LogicReply>, op: string): CallOutcome {
  const body = reply.body;
  if (body.kind === "logic-ok") return { ok: true, value: body.value };
  if (body.kind === "logic-error" && isRecord(body.error)) {
    return { ok: false, error: body.error };
  }
  return {
    ok: false,
    error: {
      code: "internal",
      message: `Cannot ${op}: unexpected answer "${reply.kind}" from logic`,
    },
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
