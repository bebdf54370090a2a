/**
 * The timers under `handlers()` as a data-driven scenario (`tests/testdata/handler_timers.txt`):
 * messages and ticks in; the callbacks to run and the deadlines, out.
 * `UPDATE_TESTDATA=1` rewrites the effect lines.
 * @module
 */
import { type HandlerEvent, HandlerTimers } from "../core/handler_timers.ts";
import type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
import { runScenario } from "./_scenario.ts";

/** A retransmitting sender: init and each retry start "retry"; an ack cancels it and stops. */
function retransmitter(): Protocol {
  const timers = new HandlerTimers();
  const callbacks = (effects: Effect<never, HandlerEvent, never>[], now: number): Effect[] => {
    for (const effect of effects) {
      if (effect.kind !== "deliver") continue;
      const event = effect.value;
      if (event.kind === "init" || (event.kind === "timer" && event.name === "retry")) {
        timers.set("retry", 100, now);
      } else if (event.kind === "message" && event.envelope.kind === "ack") {
        timers.cancel("retry");
        timers.stop();
      }
    }
    return effects;
  };
  return {
    start: (now) => callbacks(timers.start(now), now),
    step: (input: Input) => callbacks(timers.step(input), input.now),
  };
}

Deno.test("HandlerTimers fires a retransmission timer until the ack stops it (scenario)", async () => {
  await runScenario(new URL("./testdata/handler_timers.txt", import.meta.url), retransmitter);
});
