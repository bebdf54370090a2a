/**
 * A client that asks for Zipf-distributed keys one request at a time, measures each latency with
 * `ctx.now()` and, when done, sends a {@link ClientReport} to a collector.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext, ProcessFn, Program } from "../core/process.ts";
import { numberArg, stringArg } from "./_args.ts";
import type { ClientProgress, ClientReport } from "./messages.ts";
import { zipfSampler } from "./zipf.ts";

/** Arguments of {@link zipfClient} (JSON). */
export interface ZipfClientArgs {
  /** Where to send the gets: the proxy or the origin itself. */
  readonly target: string;
  /** Where to send the report. */
  readonly collector: string;
  /** Keys `0..keys-1`. @default 100 */
  readonly keys?: number;
  /** Zipf exponent. @default 1 */
  readonly zipf?: number;
  /** Requests to send. @default 100 */
  readonly requests?: number;
  /** Ms to wait for each reply. @default 5000 */
  readonly timeout?: number;
  /** Ms to wait for each answer to {@link ZipfClientArgs.waitFor}'s probes. @default 1000 */
  readonly probeTimeout?: number;
  /** Ms of think time between requests. @default 0 */
  readonly thinkMs?: number;
  /**
   * Services to wait for before the first request (each must answer `{kind:"stats"}`), so that
   * machines booting in any order do not count as errors. @default [target]
   */
  readonly waitFor?: readonly string[];
  /**
   * Send the collector a {@link ClientProgress} after every this many requests (0: never), so
   * that a run cut short still counts them. @default 0
   */
  readonly progressEvery?: number;
}

/** Asks `to` for its stats until it answers (at most 100 tries); returns whether it did. */
async function waitUntilUp(ctx: ProcessContext, to: string, timeout: number): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await ctx.request(to, { kind: "stats" }, { timeout });
      return true;
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      if (error instanceof UnknownProcessError) await ctx.sleep(20);
    }
  }
  return false;
}

/**
 * The Zipf client program.
 *
 * @throws {TypeError} when `target` or `collector` is missing; {RangeError} for a bad number.
 * @example Three requests to an origin, reported to a collector
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import type { ClientProgress, ClientReport } from "./messages.ts";
 * import { kvOrigin } from "./origin_process.ts";
 * import { zipfClient } from "./zipf_client.ts";
 * const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
 * sim.machine("o.lab").spawn("origin", kvOrigin({}));
 * sim.machine("c.lab").spawn("client", zipfClient({ target: "origin@o.lab", collector: "col@ctl.lab", requests: 3 }));
 * let report: ClientReport | undefined;
 * sim.machine("ctl.lab").spawn("col", async (ctx) => { report = (await ctx.receive<ClientReport>()).body; });
 * await sim.run();
 * assert.deepEqual(report?.latencies, [10, 10, 10]);
 * assert.deepEqual(report?.outcomes, ["origin", "origin", "origin"]);
 * ```
 * @example Progress every two requests, before the final report
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { kvOrigin } from "./origin_process.ts";
 * import { zipfClient } from "./zipf_client.ts";
 * const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 5 } });
 * sim.machine("o.lab").spawn("origin", kvOrigin({}));
 * sim.machine("c.lab").spawn("client", zipfClient({ target: "origin@o.lab", collector: "col@ctl.lab", requests: 5, progressEvery: 2 }));
 * const kinds: string[] = [];
 * sim.machine("ctl.lab").spawn("col", async (ctx) => {
 *   for (let i = 0; i < 3; i++) {
 *     const { body } = await ctx.receive<{ kind: string; done?: number }>();
 *     kinds.push(body.kind === "progress" ? `progress ${body.done}` : body.kind);
 *   }
 * });
 * await sim.run();
 * assert.deepEqual(kinds, ["progress 2", "progress 4", "report"]);
 * ```
 */
export const zipfClient: Program = (args: Readonly<Record<string, unknown>>): ProcessFn => {
  const target = stringArg(args, "target", "proxy-client");
  const collector = stringArg(args, "collector", "proxy-client");
  const keys = numberArg(args, "keys", "proxy-client", 100, 1);
  const s = numberArg(args, "zipf", "proxy-client", 1);
  const requests = numberArg(args, "requests", "proxy-client", 100);
  const timeout = numberArg(args, "timeout", "proxy-client", 5000);
  const thinkMs = numberArg(args, "thinkMs", "proxy-client", 0);
  const probeTimeout = numberArg(args, "probeTimeout", "proxy-client", 1000);
  const progressEvery = Math.floor(numberArg(args, "progressEvery", "proxy-client", 0));
  const sample = zipfSampler(Math.floor(keys), s);
  const waitFor = args.waitFor ?? [target];
  if (!Array.isArray(waitFor) || !waitFor.every((a) => typeof a === "string")) {
    throw new TypeError(
      `Cannot start proxy-client: argument "waitFor" is ${
        JSON.stringify(waitFor)
      }; give an array of process addresses`,
    );
  }
  return async (ctx: ProcessContext): Promise<void> => {
    for (const service of waitFor as string[]) await waitUntilUp(ctx, service, probeTimeout);
    const latencies: number[] = [];
    const outcomes: ClientReport["outcomes"][number][] = [];
    let errors = 0;
    for (let i = 0; i < requests; i++) {
      if (i > 0 && thinkMs > 0) await ctx.sleep(thinkMs);
      const key = sample(ctx.random());
      const started = ctx.now();
      let outcome: ClientReport["outcomes"][number];
      try {
        const reply = await ctx.request<{ kind?: string; cache?: "hit" | "miss" | "stale" }>(
          target,
          { kind: "get", key },
          { timeout },
        );
        outcome = reply.body.kind === "error" ? "error" : reply.body.cache ?? "origin";
      } catch (error) {
        // A lost request (timeout, unknown process) is a measured error; anything else is a bug.
        if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
        outcome = "error";
      }
      if (outcome === "error") errors++;
      latencies.push(ctx.now() - started);
      outcomes.push(outcome);
      if (progressEvery > 0 && (i + 1) % progressEvery === 0 && i + 1 < requests) {
        const from = i + 1 - progressEvery;
        const progress: ClientProgress = {
          kind: "progress",
          client: ctx.self,
          done: i + 1,
          latencies: latencies.slice(from),
          outcomes: outcomes.slice(from),
        };
        await ctx.send(collector, progress);
      }
    }
    const report: ClientReport = {
      kind: "report",
      client: ctx.self,
      requests,
      errors,
      latencies,
      outcomes,
    };
    await ctx.send(collector, report);
  };
};
