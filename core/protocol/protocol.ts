/**
 * The one protocol contract of archlab, in the manner of etcd-io/raft's `Step(msg)` → `Ready`.
 *
 * A protocol is a state machine with no I/O of its own: it takes one {@link Input} at a time (a
 * message, or a tick carrying the time) and answers with the {@link Effect}s it wants carried
 * out, in order, from one closed union keyed on `kind`: send, reply, deliver, persist, set or
 * clear its deadline, log, stop. It never reads a clock, draws a random number or touches a
 * socket, so the same machine runs unchanged under {@link drive} in the simulator and on a real
 * host, and a test can feed it inputs and read its effects (see `tests/testdata/`).
 *
 * "Persist before you speak" is the order of the effects: a `persist` listed before a `send` is
 * on stable storage before the message leaves.
 * @module
 */
import type { Envelope } from "../envelope.ts";

/** What a protocol is given: a message that arrived, or a tick at the time its deadline came. */
export type Input<M = unknown> =
  /** A message taken from the process's mailbox, at time `now` (ms). */
  | { readonly kind: "message"; readonly envelope: Envelope<M>; readonly now: number }
  /** The protocol's deadline has come: the time is `now` (ms). */
  | { readonly kind: "tick"; readonly now: number };

/**
 * What a protocol asks its driver to do. `M` is the type of the messages it sends, `D` of what
 * it delivers up to its user, `R` of the records it persists.
 */
export type Effect<M = unknown, D = unknown, R = unknown> =
  /** Send `body` to the process `to` (asynchronous SEND). */
  | { readonly kind: "send"; readonly to: string; readonly body: M }
  /** Answer `request`, received earlier, with `body`. */
  | { readonly kind: "reply"; readonly request: Envelope; readonly body: M }
  /** Hand `value` up to the protocol's user (an application, a member, a client). */
  | { readonly kind: "deliver"; readonly value: D }
  /** Write `record` to stable storage before any later effect is carried out. */
  | { readonly kind: "persist"; readonly record: R }
  /**
   * Set the protocol's one deadline to `at` (ms, the driver's clock); `Infinity` clears it. A
   * tick consumes the deadline: the protocol sets a new one when it wants another tick.
   */
  | { readonly kind: "deadline"; readonly at: number }
  /** Write `text` to the trace. */
  | { readonly kind: "log"; readonly text: string }
  /** The protocol is done: the driver returns `reason`. */
  | { readonly kind: "stop"; readonly reason: string };

/** A protocol state machine: one step per input, effects out. */
export interface Protocol<M = unknown, D = unknown, R = unknown> {
  /** The effects to carry out before the first input (a join request, a first deadline). */
  start?(now: number): Effect<M, D, R>[];
  /** Takes one input and answers with the effects to carry out, in order. */
  step(input: Input<M>): Effect<M, D, R>[];
}

/**
 * The deadline the effects leave in force, given the one before them: the last `deadline`
 * effect wins, and without one `previous` stands.
 *
 * @example The last deadline wins; Infinity clears
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadlineAfter } from "./protocol.ts";
 * assert.equal(deadlineAfter(100, [{ kind: "log", text: "x" }]), 100);
 * assert.equal(deadlineAfter(100, [{ kind: "deadline", at: 300 }, { kind: "deadline", at: 250 }]), 250);
 * assert.equal(deadlineAfter(100, [{ kind: "deadline", at: Infinity }]), Infinity);
 * ```
 */
export function deadlineAfter(previous: number, effects: readonly Effect[]): number {
  let deadline = previous;
  for (const effect of effects) if (effect.kind === "deadline") deadline = effect.at;
  return deadline;
}

/**
 * Keeps the driver's deadline in step with a state machine that knows when it next has work:
 * each step ends with {@link DeadlineKeeper.update}, which gives a `deadline` effect only when
 * the due time differs from the one the driver holds (a tick clears the driver's deadline).
 *
 * @example A deadline is set once, and set again after the tick consumed it
 * ```ts
 * import assert from "node:assert/strict";
 * import { DeadlineKeeper } from "./protocol.ts";
 * const keeper = new DeadlineKeeper();
 * assert.deepEqual(keeper.update(undefined, 100), [{ kind: "deadline", at: 100 }]);
 * assert.deepEqual(keeper.update({ kind: "message", envelope: {} as never, now: 5 }, 100), []);
 * assert.deepEqual(keeper.update({ kind: "tick", now: 100 }, 100), [{ kind: "deadline", at: 100 }]);
 * assert.deepEqual(keeper.update({ kind: "tick", now: 100 }, Infinity), []);
 * ```
 */
export class DeadlineKeeper {
  #armed = Infinity;

  /**
   * The effects that leave the driver's deadline at `due` after `input` was stepped
   * (`undefined` for `start`): one `deadline` effect, or none when it is there already.
   */
  update(input: Input | undefined, due: number): Effect<never, never, never>[] {
    if (input?.kind === "tick") this.#armed = Infinity;
    if (due === this.#armed) return [];
    this.#armed = due;
    return [{ kind: "deadline", at: due }];
  }
}
