/**
 * How `lab three-tier` reaches the presentation: finding its URL on a real deployment, and the
 * user agents that send HTTP as messages (simulator) or with `fetch` (real processes).
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext } from "../../core/process.ts";
import { createRandom } from "../../core/prng.ts";
import type { HttpRequestMessage, HttpResponseMessage } from "../../tiers/three_tier/messages.ts";
import type { HttpExchange, UserAgent } from "../../tiers/three_tier/three_tier_workload.ts";
import { PRESENTATION } from "./_machines.ts";
import type { Deployment } from "../deploy/deploy.ts";

/** Options of {@link findUrl}. */
export interface FindUrlOptions {
  /** Give up after this many ms. @default 10000 */
  readonly timeoutMs?: number;
}

/**
 * Finds the presentation's URL on a real deployment: the pushed `listening` message, or else an
 * answer to `where`, asked again until `timeoutMs`.
 *
 * @example In the simulator there is no HTTP server, so no URL
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploy } from "../deploy/deploy.ts";
 * import { findUrl, threeTierMachines } from "./command.ts";
 * const deployment = await deploy(threeTierMachines({ sim: true }), { sim: true });
 * const url = findUrl(deployment, { timeoutMs: 300 });
 * await deployment.run(url.catch(() => {}));
 * await assert.rejects(url, /Cannot find the presentation's URL/);
 * ```
 */
export function findUrl(deployment: Deployment, options: FindUrlOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const found = Promise.withResolvers<string>();
  deployment.spawnControl("collector", async (ctx) => {
    const env = await ctx.receive<{ url?: unknown }>({ kind: "listening" });
    if (typeof env.body.url === "string") found.resolve(env.body.url);
  });
  deployment.spawnControl("finder", async (ctx) => {
    const start = ctx.now();
    while (ctx.now() - start < timeoutMs) {
      try {
        const reply = await ctx.request<{ url?: unknown }>(PRESENTATION, { kind: "where" }, {
          timeout: 250,
        });
        if (typeof reply.body.url === "string") return found.resolve(reply.body.url);
      } catch (error) {
        // Not started yet, or slow: ask again.
        if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      }
      await ctx.sleep(100);
    }
    found.reject(
      new Error(
        `Cannot find the presentation's URL: ${PRESENTATION} did not answer within ${timeoutMs} ms`,
      ),
    );
  });
  return found.promise;
}

/** Options of {@link messageAgent} and {@link fetchAgent}. */
export interface AgentOptions {
  /** Most ms to wait for an answer. @default 5000 */
  readonly timeoutMs?: number;
  /** Seed of the think-time generator ({@link fetchAgent}; the simulator has its own). @default 1 */
  readonly seed?: number;
  /** Aborts the request in flight ({@link fetchAgent}): the run was cut short. @default none */
  readonly signal?: AbortSignal;
}

/**
 * A user agent that sends HTTP as messages to the presentation process (simulator).
 *
 * @example One user against the three tiers in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploy } from "../deploy/deploy.ts";
 * import { messageAgent, threeTierMachines } from "./command.ts";
 * import { runUser } from "../../tiers/three_tier/three_tier_workload.ts";
 * const deployment = await deploy(threeTierMachines({ sim: true }), { sim: true });
 * let statuses: number[] = [];
 * const done = Promise.withResolvers<void>();
 * deployment.spawnControl("user", async (ctx) => {
 *   statuses = (await runUser(messageAgent(ctx), { durationMs: 500 })).map((r) => r.status);
 *   done.resolve();
 * });
 * await deployment.run(done.promise);
 * assert.ok(statuses.length > 1 && statuses.every((s) => s > 0 && s < 500));
 * ```
 */
export function messageAgent(ctx: ProcessContext, options: AgentOptions = {}): UserAgent {
  return {
    async send(request: HttpRequestMessage): Promise<HttpExchange> {
      try {
        const reply = await ctx.request<HttpResponseMessage>(PRESENTATION, request, {
          timeout: options.timeoutMs ?? 5000,
        });
        return { status: reply.body.status, headers: reply.body.headers, body: reply.body.body };
      } catch (error) {
        // No answer (the presentation is down or cut off): status 0, as a browser would see it.
        if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
        return { status: 0, headers: {}, body: String(error) };
      }
    },
    sleep: (ms) => ctx.sleep(ms),
    now: () => ctx.now(),
    random: () => ctx.random(),
  };
}

/**
 * A user agent that sends real HTTP with `fetch` to `base` (real processes).
 *
 * @example No server: the answer has status 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchAgent } from "./command.ts";
 * const agent = fetchAgent("http://127.0.0.1:9/", { timeoutMs: 500 });
 * assert.equal((await agent.send({ kind: "http", method: "GET", path: "/" })).status, 0);
 * ```
 */
export function fetchAgent(base: string, options: AgentOptions = {}): UserAgent {
  const random = createRandom(options.seed ?? 1);
  return {
    async send(request: HttpRequestMessage): Promise<HttpExchange> {
      try {
        const response = await fetch(new URL(request.path, base), {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.any([
            AbortSignal.timeout(options.timeoutMs ?? 5000),
            ...options.signal === undefined ? [] : [options.signal],
          ]),
        });
        const body = await response.text();
        return { status: response.status, headers: Object.fromEntries(response.headers), body };
      } catch (error) {
        return { status: 0, headers: {}, body: String(error) };
      }
    },
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    now: () => performance.now(),
    random: () => random.next(),
  };
}
