/**
 * A user's system for `lab step`: ping@m1.lab sends one ping to pong@m2.lab, which counts the
 * pings it handles. The invariant, "pong handles the ping once", holds in every order of the
 * raw network, and breaks when the network duplicates the ping.
 * @module
 */
import type { Simulator } from "../../../core/simulator/simulator.ts";

/** What the processes share. */
export interface PingState {
  /** Pings pong handled. */
  handled: number;
}

/** Builds the system on `sim`. */
export function build(sim: Simulator): PingState {
  const state: PingState = { handled: 0 };
  sim.machine("m1.lab").spawn("ping", async (ctx) => {
    await ctx.send("pong@m2.lab", { kind: "ping" });
    const reply = await ctx.receive<{ kind: string }>();
    ctx.log(`got ${reply.body.kind}`);
  });
  sim.machine("m2.lab").spawn("pong", async (ctx) => {
    for (;;) {
      const m = await ctx.receive<{ kind: string }>();
      state.handled++;
      ctx.log(`handled ping ${state.handled}`);
      await ctx.send(m.from, { kind: "pong" });
    }
  });
  return state;
}

/** Pong handles the ping once. */
export function invariant(state: PingState): string | undefined {
  return state.handled > 1 ? `pong handled the ping ${state.handled} times` : undefined;
}
