/**
 * The protocol under {@link handlers}: named one-shot timers and the order in which a handler
 * process's callbacks run (init, then each message or due timer), as a core {@link Protocol}.
 * It delivers {@link HandlerEvent}s to the process, which runs the matching callback; the
 * callbacks start, cancel and stop timers through it between steps.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { Effect, Input, Protocol } from "./protocol/protocol.ts";

/** What a handler process runs next. */
export type HandlerEvent =
  /** The `init` callback, once. */
  | { readonly kind: "init" }
  /** The `message` callback for `envelope`. */
  | { readonly kind: "message"; readonly envelope: Envelope }
  /** The `timer` callback: timer `name` fired. */
  | { readonly kind: "timer"; readonly name: string };

interface TimerEntry {
  readonly deadline: number;
  readonly order: number;
}

/** Asks the driver for a tick at once: the callbacks may have changed the timers. */
const AGAIN: Effect<never, HandlerEvent, never> = { kind: "deadline", at: -Infinity };

/**
 * Named one-shot timers of a handler process, as a protocol. After each callback it ticks at
 * once to look at the timers again: a due timer fires (nearest first, ties in start order),
 * otherwise it waits for the nearest one; when the wait runs out that timer fires, even if a
 * skewed clock reads a little early. After {@link HandlerTimers.stop} it stops.
 *
 * @example A timer started by init fires when its time comes
 * ```ts
 * import assert from "node:assert/strict";
 * import { HandlerTimers } from "./handler_timers.ts";
 * const timers = new HandlerTimers();
 * assert.deepEqual(timers.start(0), [{ kind: "deliver", value: { kind: "init" } }, { kind: "deadline", at: -Infinity }]);
 * timers.set("idle", 50, 0); // what init did
 * assert.deepEqual(timers.step({ kind: "tick", now: 0 }), [{ kind: "deadline", at: 50 }]);
 * assert.deepEqual(timers.step({ kind: "tick", now: 50 })[0], { kind: "deliver", value: { kind: "timer", name: "idle" } });
 * ```
 */
export class HandlerTimers implements Protocol<unknown, HandlerEvent, never> {
  readonly #pending = new Map<string, TimerEntry>();
  #order = 0;
  #stopped = false;
  /** The timer the driver's deadline was set for. */
  #awaiting: [string, TimerEntry] | undefined;

  /** Runs init first. */
  start(_now: number): Effect<never, HandlerEvent, never>[] {
    return [{ kind: "deliver", value: { kind: "init" } }, AGAIN];
  }

  /** A message runs the message callback; a tick fires a due timer or waits for the next. */
  step(input: Input): Effect<never, HandlerEvent, never>[] {
    if (input.kind === "message") {
      this.#awaiting = undefined;
      return [{ kind: "deliver", value: { kind: "message", envelope: input.envelope } }, AGAIN];
    }
    if (this.#stopped) return [{ kind: "stop", reason: "stopped" }];
    const awaited = this.#awaiting;
    this.#awaiting = undefined;
    // The wait for this timer ran out: it fires, whatever the clock reads.
    if (awaited !== undefined && this.#pending.get(awaited[0]) === awaited[1]) {
      return this.#fire(awaited[0]);
    }
    const next = this.#nearest();
    if (next === undefined) return [];
    if (next[1].deadline - input.now <= 0) return this.#fire(next[0]);
    this.#awaiting = next;
    return [{ kind: "deadline", at: next[1].deadline }];
  }

  /**
   * Starts timer `name` to fire once `ms` after `now`; restarts it when it is pending.
   * @throws {RangeError} when `ms` is negative or not a number.
   */
  set(name: string, ms: number, now: number): void {
    if (!(ms >= 0)) {
      throw new RangeError(
        `Cannot start timer "${name}": delay ${ms} must be a number of ms, 0 or more`,
      );
    }
    this.#pending.delete(name);
    this.#pending.set(name, { deadline: now + ms, order: this.#order++ });
  }

  /** Cancels timer `name`; a name that is not pending is ignored. */
  cancel(name: string): void {
    this.#pending.delete(name);
  }

  /** Whether timer `name` is pending. */
  has(name: string): boolean {
    return this.#pending.has(name);
  }

  /** Stops at the next step; pending timers are dropped. */
  stop(): void {
    this.#stopped = true;
    this.#pending.clear();
  }

  #fire(name: string): Effect<never, HandlerEvent, never>[] {
    this.#pending.delete(name);
    return [{ kind: "deliver", value: { kind: "timer", name } }, AGAIN];
  }

  #nearest(): [string, TimerEntry] | undefined {
    let best: [string, TimerEntry] | undefined;
    for (const item of this.#pending) {
      const entry = item[1];
      if (
        best === undefined || entry.deadline < best[1].deadline ||
        (entry.deadline === best[1].deadline && entry.order < best[1].order)
      ) best = item;
    }
    return best;
  }
}
