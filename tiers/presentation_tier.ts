/**
 * The presentation tier's process. On a real host it serves the Hono app with `Deno.serve` on
 * 127.0.0.1 and reports its URL (`{kind: "listening", url}`) to a collector; in the simulator,
 * where there are no sockets, it answers `http` messages by building a `Request` and calling
 * `app.fetch`. Either way each request runs in a handler process of its own, whose context the
 * app's `c.env.call` uses to reach the logic tier (never the data tier). The handler gives the
 * request a trace id (or keeps a valid `X-Trace-Id`) and a budget (`X-Budget-Ms`, or the
 * default) that it shrinks by its own time before each call.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { ProcessStoppedError, TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { argReader } from "./_args.ts";
import { Deadline, DeadlineExceededError } from "./deadline.ts";
import {
  type CallOutcome,
  createPresentationApp,
  type PresentationApp,
  type PresentationEnv,
} from "./presentation_app.ts";
import {
  type HttpResponseMessage,
  isRecord,
  type ListeningMessage,
  type LogicReply,
} from "./three_tier_messages.ts";

/** Arguments of the `three-tier-presentation` program. */
export interface PresentationTierArgs {
  /** Address of the logic process. @default "logic@logic.lab" */
  readonly logic?: string;
  /** Budget of a request without `X-Budget-Ms`, in ms. @default 2000 */
  readonly budgetMs?: number;
  /** Largest `X-Budget-Ms` accepted. @default 60000 */
  readonly maxBudgetMs?: number;
  /** Real hosts only: serve HTTP on this port (0 picks a free one); absent: no HTTP server. @default none */
  readonly port?: number;
  /** Interface to serve on. @default "127.0.0.1" */
  readonly hostname?: string;
  /** Address told `{kind: "listening", url}` once HTTP is served. @default none */
  readonly collector?: string;
  /** Modelled cost of the tier's own work per request, in ms (0: none). @default 0 */
  readonly workMs?: number;
}

interface Config {
  readonly app: PresentationApp;
  readonly logic: string;
  readonly budgetMs: number;
  readonly maxBudgetMs: number;
  readonly workMs: number;
}

const TRACE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The presentation tier program. A `{kind: "stop"}` message stops it (and its HTTP server); a
 * `{kind: "where"}` request is answered `{kind: "listening", url}` (`url` is `null` without HTTP).
 *
 * @example An HTTP request as a message, through logic and data, in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator.ts";
 * import { dataTier } from "./data_tier.ts";
 * import { logicTier } from "./logic_tier.ts";
 * import { presentationTier } from "./presentation_tier.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("data.lab").spawn("db", dataTier({}));
 * sim.machine("logic.lab").spawn("logic", logicTier({}));
 * sim.machine("web.lab").spawn("http", presentationTier({}));
 * let status = 0;
 * sim.machine("ctl.lab").spawn("user", async (ctx) => {
 *   const reply = await ctx.request<{ status: number }>("http@web.lab", {
 *     kind: "http", method: "POST", path: "/api/loans", body: '{"bookId": 1, "member": "ada"}',
 *   });
 *   status = reply.body.status;
 * });
 * await sim.run();
 * assert.equal(status, 201);
 * ```
 */
export function presentationTier(args: Readonly<Record<string, unknown>>): ProcessFn {
  const read = argReader("the presentation tier", args);
  const logic = read.string("logic", "logic@logic.lab");
  const budgetMs = read.number("budgetMs", { fallback: 2000, min: 1 });
  const maxBudgetMs = read.number("maxBudgetMs", { fallback: 60_000, min: 1 });
  const port = args.port === undefined
    ? undefined
    : read.number("port", { fallback: 0, max: 65535, integer: true });
  const hostname = read.string("hostname", "127.0.0.1");
  const collector = read.optionalString("collector");
  const workMs = read.number("workMs", { fallback: 0 });
  const app = createPresentationApp();
  const config: Config = { app, logic, budgetMs, maxBudgetMs, workMs };
  return async (ctx: ProcessContext): Promise<void> => {
    let served = 0;
    let server: Deno.HttpServer<Deno.NetAddr> | undefined;
    let url: string | null = null;
    if (ctx.runtime === "real" && port !== undefined) {
      server = Deno.serve(
        { hostname, port, onListen: () => {} },
        (request) =>
          new Promise<Response>((resolve) => {
            try {
              ctx.spawn(`web-${++served}`, async (h) => {
                try {
                  resolve(await serveRequest(h, request, config));
                } catch (error) {
                  resolve(Response.json(internalError(error), { status: 500 }));
                  if (error instanceof ProcessStoppedError) throw error;
                }
              });
            } catch {
              resolve(Response.json(
                {
                  error: {
                    code: "unavailable",
                    message: "Cannot serve: the presentation tier is stopping",
                  },
                },
                { status: 503 },
              ));
            }
          }),
      );
      url = `http://${hostname}:${server.addr.port}/`;
      ctx.log(`presentation: serving ${url}`);
      if (collector !== undefined) {
        await ctx.send(collector, { kind: "listening", url } satisfies ListeningMessage);
      }
    }
    try {
      for (;;) {
        const env = await ctx.receive();
        if (env.kind === "stop") break;
        if (env.corr === undefined) continue;
        if (env.kind === "where") {
          await ctx.reply(env, { kind: "listening", url });
          continue;
        }
        ctx.spawn(`req-${++served}`, (h) => serveMessage(h, env, config));
      }
    } finally {
      await server?.shutdown();
    }
  };
}

function internalError(error: unknown): unknown {
  return {
    error: {
      code: "internal",
      message: `Cannot serve the request: ${(error as Error)?.message ?? error}`,
    },
  };
}

/** Answers one `http` message: a `Request` is built from it and fed to the app. */
async function serveMessage(h: ProcessContext, env: Envelope, config: Config): Promise<void> {
  let reply: HttpResponseMessage;
  let request: Request | undefined;
  try {
    request = toRequest(env.body);
  } catch (error) {
    reply = {
      kind: "http-response",
      status: 400,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        error: {
          code: "invalid",
          message: (error as Error).message,
          fields: [{ field: "request", problem: (error as Error).message }],
        },
      }),
    };
  }
  if (request !== undefined) {
    try {
      const response = await serveRequest(h, request, config);
      reply = {
        kind: "http-response",
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: await response.text(),
      };
    } catch (error) {
      if (error instanceof ProcessStoppedError) throw error;
      reply = {
        kind: "http-response",
        status: 500,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(internalError(error)),
      };
    }
  }
  await h.reply(env, reply!);
}

/**
 * Builds a `Request` from an `http` message.
 * @throws {TypeError} quoting what is malformed.
 */
function toRequest(body: unknown): Request {
  if (!isRecord(body) || body.kind !== "http") {
    throw new TypeError(
      'Cannot serve the message: expected {kind: "http", method, path, headers?, body?}',
    );
  }
  const { method, path, headers, body: text } = body;
  if (typeof method !== "string" || !/^[A-Z]{1,16}$/.test(method)) {
    throw new TypeError(
      `Cannot serve the message: method ${
        JSON.stringify(method)
      } must be an HTTP method like "GET"`,
    );
  }
  if (typeof path !== "string" || !path.startsWith("/") || path.length > 4096) {
    throw new TypeError(
      `Cannot serve the message: path ${JSON.stringify(path)} must start with "/"`,
    );
  }
  if (headers !== undefined && !isRecord(headers)) {
    throw new TypeError("Cannot serve the message: headers must be an object of strings");
  }
  if (text !== undefined && typeof text !== "string") {
    throw new TypeError("Cannot serve the message: body must be a string");
  }
  const hasBody = method !== "GET" && method !== "HEAD" && text !== undefined;
  return new Request(`http://presentation${path}`, {
    method,
    headers: headers as Record<string, string> | undefined,
    body: hasBody ? text : undefined,
  });
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
async function serveRequest(
  h: ProcessContext,
  request: Request,
  config: Config,
): Promise<Response> {
  const started = h.now();
  const given = request.headers.get("x-trace-id");
  const traceId = given !== null && TRACE_ID.test(given) ? given : newTraceId(h);
  const { budget, problem } = budgetOf(request, config);
  const deadline = new Deadline(budget, { start: started });
  const spent = { roundTripMs: 0, logicMs: 0, poolMs: 0, dataMs: 0, netMs: 0 };
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
      if (error instanceof TimeoutError) {
        const exceeded = new DeadlineExceededError(
          "presentation",
          budget,
          `no answer from the logic tier to ${op} within ${round(left)} ms`,
        );
        return { ok: false, error: { code: "deadline", message: exceeded.message } };
      }
      if (error instanceof UnknownProcessError) {
        return {
          ok: false,
          error: {
            code: "unavailable",
            message:
              `Cannot reach the logic tier: process "${config.logic}" is not running; retry later`,
          },
        };
      }
      throw error;
    }
    const roundTrip = h.now() - sent;
    spent.roundTripMs += roundTrip;
    const body = reply.body;
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

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
