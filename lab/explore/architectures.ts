/**
 * The built-in configurations `lab explore ARCH` explores: small enough to exhaust, each with
 * its invariant, its default budgets and a broken variant that exploration finds.
 * @module
 */
import type { Simulator } from "../../core/simulator/simulator.ts";
import { atMostOnce, atMostOnceInvariant } from "./at_most_once_model.ts";
import type { ExploreOptions } from "./explore.ts";
import {
  type ExploredOrder,
  groupOrder,
  groupOrderInvariant,
  type GroupOrderState,
} from "./group_order_model.ts";
import { channelInvariant, reliableChannel } from "./reliable_channel_model.ts";
import { twoPhaseCommit, twoPhaseInvariant } from "./two_phase_commit_model.ts";

/** One explorable architecture. */
export interface ExplorableArchitecture {
  /** What it is and what it checks, one line. */
  readonly summary: string;
  /** What the broken variant gets wrong, one line. */
  readonly broken: string;
  /** Builds it on a simulator (the broken variant when asked) and returns its state. */
  readonly build: (sim: Simulator, broken: boolean) => unknown;
  /** The exploration's defaults (invariant, budgets, simulator settings). */
  readonly defaults: (broken: boolean) => ExploreOptions<unknown>;
}

/**
 * The architectures, by name on the command line.
 *
 * @example Every architecture has an invariant
 * ```ts
 * import assert from "node:assert/strict";
 * import { ARCHITECTURES } from "./architectures.ts";
 * assert.deepEqual(Object.keys(ARCHITECTURES), [
 *   "reliable-channel", "client-server", "2pc", "group-fifo", "group-causal", "group-total",
 * ]);
 * for (const arch of Object.values(ARCHITECTURES)) assert.ok(arch.defaults(false).invariant);
 * ```
 */
export const ARCHITECTURES: Readonly<Record<string, ExplorableArchitecture>> = {
  "reliable-channel": {
    summary: "tx@m1.lab sends 3 messages to rx@m2.lab over the reliable channel: FIFO, no " +
      "duplicate, none lost (1 drop, 1 duplicate)",
    broken: "the raw network instead of the reliable channel",
    build: (sim) => reliableChannel(sim),
    defaults: (broken) => ({
      invariant: (got, view) => channelInvariant(got as number[], view.quiescent),
      drops: 1,
      duplicates: 1,
      depth: 6,
      simulator: { reliable: !broken },
    }),
  },
  "client-server": {
    summary: "kv@m1.lab and a client c1@m2.lab that puts, deletes and reads x, retrying once " +
      "with the same request id: at most once (1 drop, 1 duplicate)",
    broken: "a server that remembers no reply, so a late copy of the put runs again",
    build: (sim, broken) => atMostOnce(sim, { broken }),
    defaults: () => ({
      invariant: (state) => atMostOnceInvariant(state as { read?: string | null }),
      drops: 1,
      duplicates: 1,
      depth: 10,
      simulator: { reliable: false },
    }),
  },
  "2pc": {
    summary: "two-phase commit, tm@coord.lab and p@p1.lab, p@p2.lab, the coordinator crashing " +
      "once anywhere: atomicity",
    broken: "a coordinator that logs its decision only after the acknowledgements",
    build: (sim, broken) => twoPhaseCommit(sim, { broken }),
    defaults: () => ({
      invariant: (state) => twoPhaseInvariant(state as Parameters<typeof twoPhaseInvariant>[0]),
      crash: ["coord.lab"],
      depth: 40,
      simulator: { reliable: false },
    }),
  },
  "group-fifo": groupArchitecture(
    "fifo",
    "g@m1.lab multicasts a1, pauses 20 ms, multicasts a2 to g@m2.lab, g@m3.lab: FIFO order",
    "no hold-back queue: a message is delivered as it arrives",
  ),
  "group-causal": groupArchitecture(
    "causal",
    "g@m1.lab multicasts q; g@m2.lab delivers it, pauses 20 ms, answers r: causal order",
    "a FIFO hold-back queue only: r may be delivered before the q it answers",
  ),
  "group-total": groupArchitecture(
    "total",
    "g@m1.lab multicasts a, g@m2.lab 20 ms later b, numbered by seq@s.lab: total order",
    "members deliver the sequencer's entries as they arrive, not by their number",
  ),
};

/** A group architecture: the group module's hold-back queues (or sequencer) for `order`. */
function groupArchitecture(
  order: ExploredOrder,
  summary: string,
  broken: string,
): ExplorableArchitecture {
  return {
    summary,
    broken,
    build: (sim, broken) => groupOrder(sim, { order, broken }),
    defaults: () => ({
      invariant: (state, view) => groupOrderInvariant(state as GroupOrderState, view.quiescent),
      depth: 40,
      simulator: { reliable: false },
    }),
  };
}
