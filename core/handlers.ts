/**
 * A handler style for processes: react to messages and named timers instead of writing a
 * receive loop. It runs over `ctx.receive` with a timeout until the nearest timer, so it uses no
 * host timers and the same handlers run in the simulator and on a real host.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { TimeoutError } from "./errors.ts";
import type { ProcessContext, ProcessFn } from "./process.ts";

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

interface TimerEntry {
  readonly deadline: number;
  readonly order: number;
}

function nearest(pending: Map<string, TimerEntry>): [string, TimerEntry] | undefined {
  let best: [string, TimerEntry] | undefined;
  for (const item of pending) {
    const entry = item[1];
    if (
      best === undefined || entry.deadline < best[1].deadline ||
      (entry.deadline === best[1].deadline && entry.order < best[1].order)
    ) best = item;
  }
  return best;
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
 * import { handlers } from "./handlers.ts";
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
    const pending = new Map<string, TimerEntry>();
    let order = 0;
    let stopped = false;
    const timers: Timers = {
      start(name: string, ms: number): void {
        if (!(ms >= 0)) {
          throw new RangeError(
            `Cannot start timer "${name}": delay ${ms} must be a number of ms, 0 or more`,
          );
        }
        pending.delete(name);
        pending.set(name, { deadline: ctx.now() + ms, order: order++ });
      },
      cancel(name: string): void {
        pending.delete(name);
      },
      has(name: string): boolean {
        return pending.has(name);
      },
      stop(): void {
        stopped = true;
        pending.clear();
      },
    };
    if (spec.init) await spec.init(ctx, timers);
    while (!stopped) {
      const next = nearest(pending);
      if (next === undefined) {
        await spec.message(ctx, await ctx.receive(), timers);
        continue;
      }
      const wait = next[1].deadline - ctx.now();
      if (wait > 0) {
        let msg: Envelope | undefined;
        try {
          msg = await ctx.receive({ timeout: wait });
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
        }
        if (msg !== undefined) {
          await spec.message(ctx, msg, timers);
          continue;
        }
      }
      // The nearest timer is due (we waited its full delay, even on a skewed clock).
      if (pending.get(next[0]) !== next[1]) continue;
      pending.delete(next[0]);
      if (spec.timer) await spec.timer(ctx, next[0], timers);
    }
  };
}
