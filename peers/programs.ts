/**
 * Programs of the peers architecture, by name, for the lab to start on any machine (in the
 * simulator or inside a machine that is its own OS process). Arguments are JSON.
 * @module
 */
import type { Program } from "../core/process.ts";
import { gossipPeer, type GossipPeerOptions } from "./gossip_process.ts";
import { spmdRank, type SpmdRankOptions } from "./spmd.ts";

/**
 * Every program of this architecture, by name: `gossip-peer` (the sync loop, with
 * {@link GossipPeerOptions} as arguments) and `spmd-rank` (one rank of an SPMD program loaded by
 * URL, with {@link SpmdRankOptions} as arguments).
 *
 * @example Starting a peer by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.equal(typeof programs["gossip-peer"]({ peers: [], mode: "push" }), "function");
 * assert.throws(() => programs["spmd-rank"]({ ranks: [] }), TypeError);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "gossip-peer": (args) => gossipPeer(args as GossipPeerOptions),
  "spmd-rank": (args) => spmdRank(args as unknown as SpmdRankOptions),
};
