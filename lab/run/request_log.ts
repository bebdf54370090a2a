/**
 * How `lab run` measures a user's request/reply traffic without touching the user's code: every
 * process gets its `ProcessContext` through a thin wrapper that times each `ctx.request` from
 * the call to its reply, and counts the requests that failed (no reply in time, or no such
 * process). The figures stay deterministic in the simulator: samples are kept in call order,
 * and past {@link RequestLog.limit} every other one is dropped, evenly, never at random.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn, RequestOptions } from "../../core/process.ts";

/** Request figures of a run, or of one machine's share of it. */
export interface RequestFigures {
  /** Requests made. */
  readonly count: number;
  /** Requests that failed: no reply in time, or a process that does not exist. */
  readonly failed: number;
  /** Latency of answered requests in ms, a sample in call order. */
  readonly latencies: readonly number[];
}

/**
 * Request figures as they accumulate.
 *
 * @example Two answered requests and a timeout, merged with another machine's
 * ```ts
 * import assert from "node:assert/strict";
 * import { RequestLog } from "./request_log.ts";
 * const log = new RequestLog();
 * log.answered(1.5);
 * log.answered(2);
 * log.failedOne();
 * log.merge({ count: 1, failed: 0, latencies: [4] });
 * assert.deepEqual(log.figures(), { count: 4, failed: 1, latencies: [1.5, 2, 4] });
 * ```
 */
export class RequestLog {
  /** Most latency samples kept. */
  readonly limit: number;
  #count = 0;
  #failed = 0;
  #answered = 0;
  #stride = 1;
  #latencies: number[] = [];

  /** Creates an empty log keeping at most `limit` samples. */
  constructor(limit = 100_000) {
    if (!(Number.isInteger(limit) && limit >= 2)) {
      throw new RangeError(`Cannot create request log: limit ${limit} must be an integer >= 2`);
    }
    this.limit = limit;
  }

  /** Records a request answered after `ms`. */
  answered(ms: number): void {
    this.#count++;
    if (this.#answered++ % this.#stride !== 0) return;
    this.#latencies.push(Math.round(ms * 1000) / 1000);
    if (this.#latencies.length >= this.limit) {
      this.#latencies = this.#latencies.filter((_, i) => i % 2 === 0);
      this.#stride *= 2;
    }
  }

  /** Records a request that failed. */
  failedOne(): void {
    this.#count++;
    this.#failed++;
  }

  /** Adds another log's figures (another machine's). */
  merge(other: RequestFigures): void {
    this.#count += other.count;
    this.#failed += other.failed;
    for (const ms of other.latencies) this.#latencies.push(ms);
  }

  /** The figures so far. */
  figures(): RequestFigures {
    return { count: this.#count, failed: this.#failed, latencies: [...this.#latencies] };
  }
}

/**
 * `fn` with its requests timed into `log`; processes it spawns are measured too. Everything
 * else goes straight to the real context.
 *
 * @example A request timed in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { measured, RequestLog } from "./request_log.ts";
 * const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 2 } });
 * const log = new RequestLog();
 * sim.machine("m1.lab").spawn("echo", async (ctx) => {
 *   const m = await ctx.receive();
 *   await ctx.reply(m, m.body);
 * });
 * sim.machine("m2.lab").spawn("client", measured(async (ctx) => {
 *   await ctx.request("echo@m1.lab", "hi");
 *   await ctx.request("nobody@m1.lab", "hi").catch(() => "no such process");
 * }, log));
 * await sim.run();
 * const figures = log.figures();
 * assert.equal(figures.count, 2);
 * assert.equal(figures.failed, 1);
 * assert.ok(figures.latencies[0] >= 4);
 * ```
 */
export function measured(fn: ProcessFn, log: RequestLog): ProcessFn {
  return (ctx) => fn(wrap(ctx, log));
}

function wrap(ctx: ProcessContext, log: RequestLog): ProcessContext {
  return {
    self: ctx.self,
    machine: ctx.machine,
    runtime: ctx.runtime,
    get disk() {
      return ctx.disk;
    },
    get incarnation() {
      return ctx.incarnation;
    },
    lamport: () => ctx.lamport(),
    send: (to, body, options) => ctx.send(to, body, options),
    receive: (options) => ctx.receive(options),
    receiveWithin: (timeout, filter) => ctx.receiveWithin(timeout, filter),
    async request<B>(to: string, body: unknown, options?: RequestOptions) {
      const start = ctx.now();
      try {
        const reply = await ctx.request<B>(to, body, options);
        log.answered(ctx.now() - start);
        return reply;
      } catch (error) {
        if (error instanceof TimeoutError || error instanceof UnknownProcessError) log.failedOne();
        throw error;
      }
    },
    requestGroup: (targets, body, options) => ctx.requestGroup(targets, body, options),
    reply: (request, body) => ctx.reply(request, body),
    sleep: (ms) => ctx.sleep(ms),
    now: () => ctx.now(),
    random: () => ctx.random(),
    spawn: (name, child, options) => ctx.spawn(name, measured(child, log), options),
    log: (text) => ctx.log(text),
  };
}
