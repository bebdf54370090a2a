/**
 * The loop that runs a transaction state machine inside a process: take the next message or
 * wait for the machine's next deadline, hand it over, carry out the effects in order.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import type { Effect } from "./effects.ts";
import { FAILPOINT_PREFIX } from "./failpoint.ts";
import type { StableStorage } from "./stable_storage.ts";

/** A state machine the loop can drive. */
export interface Driven {
  /** Handles one message. */
  onMessage(env: Envelope, now: number): Effect[];
  /** Handles due timers. */
  onTick(now: number): Effect[];
  /** When the next timer is due, or `Infinity`. */
  nextDeadline(): number;
}

/**
 * Meta flag name recording that failpoint `name` fired.
 *
 * @example The flag of a failpoint
 * ```ts
 * import assert from "node:assert/strict";
 * import { failpointFlag } from "./_drive.ts";
 * assert.equal(failpointFlag("after-votes"), "failpoint:after-votes");
 * ```
 */
export function failpointFlag(name: string): string {
  return `failpoint:${name}`;
}

/**
 * Carries out `effects` in order; each write is on stable storage before the next effect. A
 * write that returns a promise (PostgreSQL) is awaited; a synchronous one (SQLite) is done
 * already and is not awaited, so a simulated process does not even yield for it.
 */
export async function execute(
  ctx: ProcessContext,
  store: StableStorage,
  effects: readonly Effect[],
  failpointMs: number,
): Promise<void> {
  for (const effect of effects) {
    let written: void | Promise<void> = undefined;
    switch (effect.do) {
      case "persist":
        written = store.append(effect.record);
        break;
      case "apply":
        written = store.apply(effect.writes, effect.record);
        break;
      case "send":
        try {
          await ctx.send(effect.to, effect.body);
        } catch (error) {
          // A process gone from this machine: the protocol's own timeouts take it from here.
          if (!(error instanceof UnknownProcessError)) throw error;
          ctx.log(`cannot send ${effect.body.kind} to ${effect.to}: ${error}`);
        }
        break;
      case "answer":
        await ctx.reply(effect.request, effect.body);
        break;
      case "note":
        ctx.log(effect.text);
        break;
      case "failpoint":
        written = store.setMeta(failpointFlag(effect.name), "fired");
        if (written instanceof Promise) await written;
        ctx.log(`${FAILPOINT_PREFIX}${effect.name} ${effect.txid}: pausing ${failpointMs} ms`);
        await ctx.sleep(failpointMs);
        break;
    }
    if (written instanceof Promise) await written;
  }
}

/** Runs `machine` forever (until the process is stopped), after the `first` effects. */
export async function drive(
  ctx: ProcessContext,
  store: StableStorage,
  machine: Driven,
  first: readonly Effect[],
  failpointMs: number,
): Promise<never> {
  await execute(ctx, store, first, failpointMs);
  for (;;) {
    const due = machine.nextDeadline();
    const now = ctx.now();
    let effects: Effect[];
    if (due <= now) {
      effects = machine.onTick(now);
    } else {
      try {
        const env = await ctx.receive(due === Infinity ? {} : { timeout: due - now });
        effects = machine.onMessage(env, ctx.now());
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        effects = machine.onTick(ctx.now());
      }
    }
    await execute(ctx, store, effects, failpointMs);
  }
}
