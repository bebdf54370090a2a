/**
 * The presentation tier's process. On a real host it serves the Hono app on 127.0.0.1 with the
 * core's bounded HTTP/1.1 listener (`serveHttp1`: a connection cap, a deadline for each request
 * head, an idle deadline, a body cap that counts chunked bodies as they arrive; `Deno.serve` has
 * none of these, and a client that sends half a head holds its connection open for good) and
 * reports its URL (`{kind: "listening", url}`) to a collector; in the simulator,
 * where there are no sockets, it answers `http` messages by building a `Request` and calling
 * `app.fetch`. Either way each request runs in a handler process of its own, whose context the
 * app's `c.env.call` uses to reach the logic tier (never the data tier). The handler gives the
 * request a trace id (or keeps a valid `X-Trace-Id`) and a budget (`X-Budget-Ms`, or the
 * default) that it shrinks by its own time before each call.
 * @module
 */
import { ProcessStoppedError } from "../../core/errors.ts";
import { type Http1Server, serveHttp1 } from "../../core/network/http1_server.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import { argReader } from "./_args.ts";
import { createPresentationApp, MAX_BODY_BYTES } from "./presentation_app.ts";
import type { ListeningMessage } from "./messages.ts";
import { serveMessage } from "./_presentation_message.ts";
import { type Config, internalError, serveRequest } from "./_presentation_request.ts";

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
  /** Real hosts only: most open HTTP connections; one more gets a 503 and is closed. @default 1024 */
  readonly maxConnections?: number;
  /** Real hosts only: ms a request head may take to arrive (slowloris cut-off). @default 10000 */
  readonly headerTimeoutMs?: number;
  /** Real hosts only: ms a keep-alive connection may wait, or a body may stall. @default 60000 */
  readonly idleTimeoutMs?: number;
}

/**
 * The presentation tier program. A `{kind: "stop"}` message stops it (and its HTTP server); a
 * `{kind: "where"}` request is answered `{kind: "listening", url}` (`url` is `null` without HTTP).
 *
 * @example An HTTP request as a message, through logic and data, in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
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
  const limits = {
    maxConnections: read.number("maxConnections", { fallback: 1024, min: 1, integer: true }),
    headerTimeoutMs: read.number("headerTimeoutMs", { fallback: 10_000, min: 1 }),
    idleTimeoutMs: read.number("idleTimeoutMs", { fallback: 60_000, min: 1 }),
    maxBodyBytes: MAX_BODY_BYTES,
  };
  const app = createPresentationApp();
  const config: Config = { app, logic, budgetMs, maxBudgetMs, workMs };
  return async (ctx: ProcessContext): Promise<void> => {
    let served = 0;
    let server: Http1Server | undefined;
    let url: string | null = null;
    if (ctx.runtime === "real" && port !== undefined) {
      server = serveHttp1(
        (request) =>
          new Promise<Response>((resolve) => {
            try {
              ctx.spawn(`web-${++served}`, async (h) => {
                try {
                  resolve(await serveRequest(h, request, config));
                } catch (error) {
                  resolve(Response.json(internalError(error), { status: 500 }));
                  // serveRequest answers every expected condition itself: what escapes it is a
                  // bug (or the machine stopping), and ends the handler process with it.
                  throw error;
                }
              });
            } catch (error) {
              if (!(error instanceof ProcessStoppedError)) throw error;
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
        { hostname, port, ...limits },
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
