/**
 * A long-running remote procedure for the orphan experiments: `crunch(units)` does that many
 * units of work, one step each, so that the computation can be killed between two units.
 * @module
 */
import type { CallScope } from "./call_scope.ts";
import type { Implementation } from "./skeleton_process.ts";

/** The interface of the work service. */
export interface WorkService {
  /** Does `units` units of work and returns how many were done. */
  crunch(units: number): number;
}

/**
 * The work service's procedures for one call (pass it to `serveRpc`).
 *
 * @example Serving and calling the work service
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { createStub, serveRpc, workService, type WorkService } from "./mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("s1.lab").spawn("rpc", serveRpc<WorkService>(workService, { step: 1 }));
 * let units = 0;
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   units = await createStub<WorkService>(ctx, "rpc@s1.lab").crunch(25);
 * });
 * await sim.run();
 * assert.equal(units, 25);
 * assert.ok(sim.now >= 25);
 * ```
 */
export function workService(scope: CallScope): Implementation<WorkService> {
  return {
    async crunch(units: number): Promise<number> {
      if (!Number.isInteger(units) || units < 0) {
        throw new RangeError(
          `Cannot crunch ${JSON.stringify(units)} units: give a whole number >= 0`,
        );
      }
      await scope.work(units);
      return scope.units;
    },
  };
}
