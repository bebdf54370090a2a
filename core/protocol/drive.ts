/**
 * The one driver: runs any {@link Protocol} inside a process, in the simulator and on a real
 * host alike. It takes the next message or waits for the protocol's deadline, hands it over,
 * and carries out the effects in order; a write to stable storage finishes before the next
 * effect starts.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../errors.ts";
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
}

/**
 * Runs `protocol` in the process of `ctx` until it emits `stop`, and returns the stop reason.
 * A send to a process that is gone from its machine is logged and the protocol's own timeouts
 * take it from there; every other error fails the process.
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
  let effects: Effect<M, D, R>[] = protocol.start?.(ctx.now()) ?? [];
  for (;;) {
    for (const effect of effects) {
      if (effect.kind === "stop") return effect.reason;
      if (effect.kind === "deadline") deadline = effect.at;
      else {
        const done = carryOut(ctx, effect, options);
        if (done) await done; // a synchronous write does not even yield
      }
    }
    const input = await next<M>(ctx, deadline, options.filter);
    if (input.kind === "tick") deadline = Infinity;
    effects = protocol.step(input);
  }
}

/** Waits for the next message, or for `deadline`. */
async function next<M>(
  ctx: ProcessContext,
  deadline: number,
  filter: ReceiveFilter | undefined,
): Promise<Input<M>> {
  const wait = deadline - ctx.now();
  if (wait <= 0) return { kind: "tick", now: ctx.now() };
  try {
    const timeout = Number.isFinite(wait) ? wait : undefined;
    const envelope = await ctx.receive<M>({ ...filter, timeout });
    return { kind: "message", envelope, now: ctx.now() };
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    return { kind: "tick", now: ctx.now() };
  }
}

/** Carries out one effect other than `stop` and `deadline`; a promise when it must be awaited. */
function carryOut<M, D, R>(
  ctx: ProcessContext,
  effect: Effect<M, D, R>,
  options: DriveOptions<D, R>,
): void | Promise<void> {
  switch (effect.kind) {
    case "send":
      return ctx.send(effect.to, effect.body).catch((error: unknown) => {
        if (!(error instanceof UnknownProcessError)) throw error;
        ctx.log(`cannot send to ${effect.to}: ${error.message}`);
      });
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
