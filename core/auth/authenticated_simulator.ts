/**
 * Authentication for a whole simulated system: every machine signs with its key and verifies
 * with it, through the same adapters a real host uses ({@link authenticatedNetwork} and
 * {@link verifyingMachineReceiver}), installed on the simulator's `send`, on every machine and on
 * machines created later.
 * @module
 */
import { type AuthStats, installVerifier, keyring, newStats } from "./_auth_receiver.ts";
import type { AuthKeySource } from "./auth_key.ts";
import { authenticatedNetwork } from "./authenticated_network.ts";
import type { Machine } from "../machine.ts";
import type { Simulator } from "../simulator/simulator.ts";
import type { WireFrame } from "../wire.ts";
import { Incarnations } from "./incarnations.ts";

/** Options of {@link authenticateSimulator}. */
export interface SimulatorAuthOptions {
  /**
   * The key every machine shares, or each machine's key (required). A machine without one sends
   * unsigned frames and accepts anything: an outsider.
   */
  readonly key: AuthKeySource;
  /** Seal every message body with AES-256-GCM. @default false */
  readonly encrypt?: boolean;
  /** Sequence numbers remembered per sender. @default 64 */
  readonly window?: number;
  /** Record refused frames in `sim.trace` as `drop` events. @default true */
  readonly trace?: boolean;
}

/**
 * Makes every machine of `sim` (present and future) sign and verify its frames. Epochs come
 * from the machines, so a crashed and restarted machine starts a new sequence; every frame is
 * bound to its receiver's incarnation ({@link Incarnations}), so frames recorded before a
 * machine restarted are refused after it. Returns the counters of all machines together.
 *
 * @example An outsider without the key is not heard
 * ```ts
 * import assert from "node:assert/strict";
 * import { authenticateSimulator, Simulator } from "../mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * const stats = authenticateSimulator(sim, {
 *   key: (machine) => machine === "evil.lab" ? undefined : "a long shared secret, 32+ bytes",
 *   encrypt: true,
 * });
 * const heard: string[] = [];
 * sim.machine("m2.lab").spawn("b", async (ctx) => {
 *   for (;;) heard.push((await ctx.receive<string>()).body);
 * });
 * sim.machine("m1.lab").spawn("a", (ctx) => ctx.send("b@m2.lab", "from a friend"));
 * sim.machine("evil.lab").spawn("x", (ctx) => ctx.send("b@m2.lab", "from an outsider"));
 * await sim.run({ until: 1000 });
 * assert.deepEqual(heard, ["from a friend"]);
 * assert.ok(stats.rejected.missing >= 1);
 * ```
 */
export function authenticateSimulator(sim: Simulator, options: SimulatorAuthOptions): AuthStats {
  const keys = keyring(options.key);
  const stats = newStats();
  const incarnations = new Incarnations();
  const settings = {
    window: options.window ?? 64,
    trace: (options.trace ?? true) ? sim.trace : undefined,
    incarnations,
  };
  const guarded = new WeakSet<Machine>();
  const guard = (machine: Machine): Machine => {
    if (guarded.has(machine)) return machine;
    guarded.add(machine);
    const key = keys(machine.name);
    if (key !== undefined) installVerifier(machine, key, settings, stats);
    return machine;
  };
  const machineOf = sim.machine.bind(sim);
  const network = authenticatedNetwork({ send: sim.send.bind(sim) }, {
    key: keys,
    encrypt: options.encrypt,
    epoch: (name) => machineOf(name).epoch,
    incarnations,
  });
  for (const machine of sim.machines()) guard(machine);
  sim.machine = (name: string): Machine => guard(machineOf(name));
  sim.send = (from: string, to: string, frame: WireFrame): void => network.send(from, to, frame);
  return stats;
}
