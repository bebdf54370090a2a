/**
 * The deterministic simulator: virtual time, seeded faults, partitions, crashes, clock skew.
 *
 * @example Run two machines
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * let got = 0;
 * sim.machine("m1.lab").spawn("b", async (ctx) => { got = (await ctx.receive<number>()).body; });
 * sim.machine("m2.lab").spawn("a", (ctx) => ctx.send("b@m1.lab", 7));
 * await sim.run();
 * assert.equal(got, 7);
 * ```
 * @module
 */
export * from "./simulator.ts";
