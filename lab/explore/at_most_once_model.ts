/**
 * Client/server at-most-once for exploration: the key-value server of the client/server
 * architecture (`kv@m1.lab`) and a client (`c1@m2.lab`) that puts `x`, deletes it and reads it,
 * retrying each request once on a timeout with the same request id. The server runs each request
 * at most once, so the read finds nothing; a server that remembers no reply (`broken`) runs a
 * late copy of the put again, and the read finds `x` back.
 * @module
 */
import { TimeoutError } from "../../core/errors.ts";
import type { Simulator } from "../../core/simulator/simulator.ts";
import { kvServer } from "../../tiers/client_server/kv_server.ts";

/** What the client saw. */
export interface AtMostOnceState {
  /** The value the final read returned, once it did. */
  read?: string | null;
}

/**
 * Builds the model on `sim`.
 *
 * @example The seeded order reads nothing back
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { atMostOnce, atMostOnceInvariant } from "./at_most_once_model.ts";
 * const sim = new Simulator({ seed: 1, reliable: false });
 * const state = atMostOnce(sim);
 * await sim.run();
 * assert.equal(state.read, null);
 * assert.equal(atMostOnceInvariant(state), undefined);
 * ```
 */
export function atMostOnce(sim: Simulator, options: { broken?: boolean } = {}): AtMostOnceState {
  const state: AtMostOnceState = {};
  sim.machine("m1.lab").spawn("kv", kvServer({ remember: options.broken ? 0 : 100 }));
  sim.machine("m2.lab").spawn("c1", async (ctx) => {
    const call = async (body: Record<string, string>) => {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          return (await ctx.request<{ value?: string | null }>("kv@m1.lab", body, {
            timeout: 100,
          })).body;
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
        }
      }
      return undefined;
    };
    if (await call({ kind: "put", key: "x", value: "1", rid: "r1" }) === undefined) return;
    if (await call({ kind: "del", key: "x", rid: "r2" }) === undefined) return;
    const reply = await call({ kind: "get", key: "x", rid: "r3" });
    if (reply !== undefined) state.read = reply.value ?? null;
  });
  return state;
}

/**
 * At most once: after the put and the delete were acknowledged, the read finds nothing.
 *
 * @example A put run twice
 * ```ts
 * import assert from "node:assert/strict";
 * import { atMostOnceInvariant } from "./at_most_once_model.ts";
 * assert.match(atMostOnceInvariant({ read: "1" })!, /ran twice/);
 * ```
 */
export function atMostOnceInvariant(state: AtMostOnceState): string | undefined {
  if (state.read === undefined || state.read === null) return undefined;
  return `at-most-once: the read after the delete found x = ${state.read}: the put ran twice`;
}
