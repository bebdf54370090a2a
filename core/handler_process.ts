/**
 * A handler style for processes: react to messages and named timers instead of writing a
 * receive loop. The timers are a core protocol ({@link HandlerTimers}) run by `drive()` over
 * `ctx.receive` with a timeout until the nearest timer, so it uses no host timers and the same
 * handlers run in the simulator and on a real host.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { type HandlerEvent, HandlerTimers } from "./handler_timers.ts";
import type { ProcessContext, ProcessFn } from "./process.ts";
import { drive } from "./protocol/drive.ts";

/** Named one-shot timers of a handler process. */
export interface Timers {
  /** Starts timer `name` to fire once after `ms` ms; restarts it when it is already pending. */
  start(name: string, ms: number): void;
  /** Cancels timer `name`; a name that is not pending is ignored. */
  cancel(name: string): void;
  /** Whether timer `name` is pending. */
  has(name: string): boolean;
  /** Ends the process once the current callback returns; pending timers are dropped. */
  stop(): void;
}

/** The callbacks of a handler process; each runs to completion before the next one starts. */
export interface HandlerSpec {
  /** Runs once when the process starts, before any message or timer. */
  init?(ctx: ProcessContext, timers: Timers): void | Promise<void>;
  /** Runs for every message the process receives. */
  message(ctx: ProcessContext, msg: Envelope, timers: Timers): void | Promise<void>;
  /** Runs when timer `name` fires. */
  timer?(ctx: ProcessContext, name: string, timers: Timers): void | Promise<void>;
}

/**
 * Builds a process from callbacks: `init` once, then `message` for each message and `timer` for
 * each timer that fires (timers due at the same time fire in the order they were started). The
 * process runs until a callback calls `timers.stop()` or throws.
 *
 * @throws {RangeError} from `timers.start` when `ms` is negative or not a number.
 * @example A process that answers pings and gives up after 50 ms of silence
 * ```ts
 * import assert from "node:assert/strict";
 * import { handlers } from "./handler_process.ts";
 * import { Simulator } from "./simulator/simulator.ts";
 * const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
 * let quietAt = -1;
 * sim.machine("m1.lab").spawn("echo", handlers({
 *   init: (_ctx, timers) => timers.start("idle", 50),
 *   message: async (ctx, msg, timers) => {
 *     timers.start("idle", 50);
 *     await ctx.reply(msg, "pong");
 *   },
 *   timer: (ctx, _name, timers) => {
 *     quietAt = ctx.now();
 *     timers.stop();
 *   },
 * }));
 * sim.machine("m2.lab").spawn("client", async (ctx) => {
 *   assert.equal((await ctx.request("echo@m1.lab", "ping")).body, "pong");
 * });
 * await sim.run();
 * assert.equal(quietAt, 51);
 * ```
 */
export function handlers(spec: HandlerSpec): ProcessFn {
  return async (ctx: ProcessContext): Promise<void> => {
    const protocol = new HandlerTimers();
    const timers: Timers = {
      start: (name: string, ms: number): void => protocol.set(name, ms, ctx.now()),
      cancel: (name: string): void => protocol.cancel(name),
      has: (name: string): boolean => protocol.has(name),
      stop: (): void => protocol.stop(),
    };
    const deliver = (event: HandlerEvent): void | Promise<void> => {
      switch (event.kind) {
        case "init":
          return spec.init?.(ctx, timers);
        case "message":
          return spec.message(ctx, event.envelope, timers);
        case "timer":
          return spec.timer?.(ctx, event.name, timers);
      }
    };
    await drive(ctx, protocol, { deliver });
  };
}
