/**
 * The one driver: runs any {@link Protocol} inside a process, in the simulator and on a real
 * host alike. It takes the next message or waits for the protocol's deadline, hands it over,
 * and carries out the effects in order; a write to stable storage finishes before the next
 * effect starts.
 * @module
 */
import { kindOf } from "../envelope.ts";
import { UnknownProcessError } from "../errors.ts";
import type { ReceiveFilter } from "../mailbox.ts";
import type { ProcessContext } from "../process.ts";
import type { Effect, Input, Protocol } from "./protocol.ts";

/** How the driver carries out the effects that reach outside the process. */
export interface DriveOptions<D = unknown, R = unknown> {
  /**
   * Receives what the protocol delivers to its user.
   * @default a delivery fails the process (the protocol has no user)
   */
  readonly deliver?: (value: D) => void | Promise<void>;
  /**
   * Writes a record to stable storage; a returned promise is awaited before the next effect.
   * @default a persist fails the process (the protocol was given no storage)
   */
  readonly persist?: (record: R) => void | Promise<void>;
  /** Only messages that match are taken from the mailbox. @default every message */
  readonly filter?: ReceiveFilter;
  /**
   * Told of a `send` that found its process gone from its machine (the protocol may react on
   * its next step, e.g. leave a group whose member is gone).
   * @default the send is written to the trace as "cannot send KIND to TO: ERROR"
   */
  readonly unreachable?: (to: string, body: unknown) => void;
}

/**
 * Runs `protocol` in the process of `ctx` until it emits `stop`, and returns the stop reason.
 * A send to a process that is gone from its machine is logged (or given to `unreachable`) and
 * the protocol's own timeouts take it from there; every other error fails the process.
 *
 * @example An echo protocol that stops on "bye"
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../simulator/mod.ts";
 * import { drive } from "./drive.ts";
 * import type { Effect, Input } from "./protocol.ts";
 * const echo = {
 *   step(input: Input): Effect[] {
 *     if (input.kind === "tick") return [];
 *     const { envelope } = input;
 *     if (envelope.kind === "bye") return [{ kind: "stop", reason: "bye" }];
 *     return [{ kind: "reply", request: envelope, body: envelope.body }];
 *   },
 * };
 * const sim = new Simulator({ seed: 1 });
 * let reason = "";
 * sim.machine("m1.lab").spawn("echo", async (ctx) => {
 *   reason = await drive(ctx, echo);
 * });
 * let answer: unknown;
 * sim.machine("m2.lab").spawn("client", async (ctx) => {
 *   answer = (await ctx.request("echo@m1.lab", { kind: "hi", n: 1 })).body;
 *   await ctx.send("echo@m1.lab", { kind: "bye" });
 * });
 * await sim.run();
 * assert.deepEqual(answer, { kind: "hi", n: 1 });
 * assert.equal(reason, "bye");
 * ```
 */
export async function drive<M, D, R>(
  ctx: ProcessContext,
  protocol: Protocol<M, D, R>,
  options: DriveOptions<D, R> = {},
): Promise<string> {
  let deadline = Infinity;
  let effects: readonly Effect<M, D, R>[] = protocol.start?.(ctx.now()) ?? NONE;
  for (;;) {
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i];
      if (effect.kind === "stop") return effect.reason;
      if (effect.kind === "deadline") deadline = effect.at;
      else if (effect.kind === "send") await send(ctx, effect.to, effect.body, options.unreachable);
      else {
        const done = carryOut(ctx, effect, options);
        if (done) await done; // a synchronous write does not even yield
      }
    }
    effects = NONE; // a waiting process keeps nothing of its last step
    // The wait is written out here, not in a helper, so that a step costs the same microtask
    // turns as the hand-written loops it replaced (the simulator's traces stay byte for byte).
    const wait = deadline - ctx.now();
    let input: Input<M>;
    if (wait <= 0) input = { kind: "tick", now: ctx.now() };
    else {
      // One turn before waiting, as the hand-written loops this driver replaced took (they
      // awaited a step's effects as a batch): processes of one machine acting at the same
      // instant interleave as before, and the simulator's traces stay byte for byte.
      await undefined;
      // The deadline is expected to pass: a timeout ends the wait with undefined, no exception.
      const envelope = await ctx.receiveWithin<M>(wait, options.filter);
      if (envelope !== undefined) input = { kind: "message", envelope, now: ctx.now() };
      // A wait that ran its full length makes the deadline due, even on a clock that runs slow
      // (it would read short of the deadline, and ever shorter waits would follow).
      else input = { kind: "tick", now: Math.max(ctx.now(), deadline) };
    }
    if (input.kind === "tick") deadline = Infinity;
    effects = protocol.step(input);
  }
}

/** No effects: what a waiting driver holds. */
const NONE: readonly never[] = [];

/**
 * Sends `body`; a process gone from its machine is reported to `unreachable`, or logged (the
 * protocol's timeouts go on).
 */
async function send(
  ctx: ProcessContext,
  to: string,
  body: unknown,
  unreachable: DriveOptions["unreachable"],
): Promise<void> {
  try {
    await ctx.send(to, body);
  } catch (error) {
    if (!(error instanceof UnknownProcessError)) throw error;
    if (unreachable) unreachable(to, body);
    else ctx.log(`cannot send ${kindOf(body)} to ${to}: ${error}`);
  }
}

/** Carries out one effect other than `stop`, `deadline` and `send`; a promise to await. */
function carryOut<M, D, R>(
  ctx: ProcessContext,
  effect: Exclude<Effect<M, D, R>, { kind: "stop" | "deadline" | "send" }>,
  options: DriveOptions<D, R>,
): void | Promise<void> {
  switch (effect.kind) {
    case "reply":
      return ctx.reply(effect.request, effect.body);
    case "log":
      return ctx.log(effect.text);
    case "deliver":
      if (!options.deliver) {
        throw new TypeError(
          "Cannot deliver: the protocol delivered a value; pass drive() a deliver option",
        );
      }
      return options.deliver(effect.value);
    case "persist":
      if (!options.persist) {
        throw new TypeError(
          "Cannot persist: the protocol wrote a record; pass drive() a persist option",
        );
      }
      return options.persist(effect.record);
  }
}
