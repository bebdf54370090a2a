/**
 * The peer-to-peer sync loop: every peer runs this same process, the {@link GossipProtocol}
 * run by core's `drive()` after the peer's join wait. Each round it picks random
 * partners and exchanges a digest first and then only the missing updates, merging them into
 * its CRDT {@link Replica}; in rumour mode it pushes hot updates and loses interest in one after
 * `k` partners already knew it. It also serves clients' reads and writes, so the peers together
 * are a replicated key-value store (and set) with no server.
 * @module
 */
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { drive, type DriveOptions } from "../core/protocol/drive.ts";
import type { MembershipKind } from "./_membership.ts";

export type { MembershipKind };
import { GossipProtocol } from "./gossip.ts";
import type { PeerReport } from "./gossip_messages.ts";

/** How peers spread updates. */
export type GossipMode = "push" | "pull" | "push-pull" | "rumour";

/** Options of {@link gossipPeer}. All are JSON except `report`. */
export interface GossipPeerOptions {
  /** Addresses of the initial peers (this one may be among them); shared, never copied. @default [] */
  readonly peers?: readonly string[];
  /** `push`, `pull`, `push-pull` (anti-entropy) or `rumour` (rumour mongering). @default "push-pull" */
  readonly mode?: GossipMode;
  /** Partners per round. @default 1 */
  readonly fanout?: number;
  /** Length of a round in ms. @default 100 */
  readonly period?: number;
  /** Rumour mode: a peer stops spreading an update after `k` partners already knew it. @default 2 */
  readonly k?: number;
  /**
   * `heartbeat` piggybacks heartbeat counters on digests (its own and at most 7 others, the
   * most recent changes first: a digest's size does not grow with the number of peers) and
   * suspects silent peers among the 8 it heard news of last; `static` does not (rumour mode,
   * which goes quiet, always uses `static`). @default "heartbeat"
   */
  readonly membership?: MembershipKind;
  /** Heartbeat membership: ms without a fresher heartbeat before a peer is suspected. @default 8 * period */
  readonly suspectAfter?: number;
  /** Heartbeat membership: chance per round of contacting a suspected peer anyway. @default 0.1 */
  readonly probe?: number;
  /** Ms a tombstone is kept before it expires. @default 60_000 */
  readonly tombstoneTtl?: number;
  /** The peer ends after this many rounds. @default Infinity */
  readonly maxRounds?: number;
  /** Ms after the process starts at which the peer joins; it waits until then. @default 0 */
  readonly joinAt?: number;
  /** Ms after the process starts at which it leaves gracefully, handing its state over. @default Infinity */
  readonly leaveAt?: number;
  /** The peer is not in the others' `peers` list: its digests ask them to learn it. @default false */
  readonly announce?: boolean;
  /**
   * Count the bytes of the gossip bodies it sends (serialising each body once more) for its
   * reports; `false` reports 0 bytes, for an observer that counts frames on its network
   * (`Simulator.bytesByKind()`). @default true
   */
  readonly countBytes?: boolean;
  /** Address of a monitor that gets a {@link PeerReport} every round. @default none */
  readonly monitor?: string;
  /** In-process observer that gets a {@link PeerReport} every round (simulator, tests). @default none */
  readonly report?: (report: PeerReport) => void;
}

/**
 * Builds the process of one peer. Run it on every peer's machine with the same options.
 *
 * @throws {RangeError} when a numeric option is out of range or `mode` is unknown.
 * @example Three peers converge on a write made at one of them
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { gossipPeer } from "./gossip_process.ts";
 * const sim = new Simulator({ seed: 1 });
 * const peers = ["peer@p1.lab", "peer@p2.lab", "peer@p3.lab"];
 * const hashes = new Map<string, string>();
 * const fn = gossipPeer({ peers, maxRounds: 10, report: (r) => hashes.set(r.peer, r.hash) });
 * for (const p of peers) sim.machine(p.split("@")[1]).spawn("peer", fn);
 * sim.machine("c.lab").spawn("client", async (ctx) => {
 *   await ctx.request("peer@p1.lab", { kind: "put", key: "x", value: 1 });
 * });
 * await sim.run();
 * assert.equal(new Set(hashes.values()).size, 1);
 * ```
 */
export function gossipPeer(options: GossipPeerOptions = {}): ProcessFn {
  const settings = GossipProtocol.settings(options);
  // One options object for every peer of this function: an idle peer costs as little as it can.
  const driving: DriveOptions<PeerReport, never> = {
    deliver: options.report,
    // A partner gone from its machine is gossip's ordinary loss (the trace has the drop).
    unreachable: ignoreLoss,
  };
  const run = (ctx: ProcessContext, startedAt: number): Promise<unknown> => {
    const peer = new GossipProtocol(settings, options, {
      self: ctx.self,
      machine: ctx.machine,
      startedAt,
      random: ctx.random,
    });
    return drive(ctx, peer, driving);
  };
  return (ctx) => {
    const startedAt = ctx.now();
    if (settings.joinAt <= 0) return run(ctx, startedAt) as Promise<void>;
    return ctx.sleep(settings.joinAt).then(() => run(ctx, startedAt)) as Promise<void>;
  };
}

/** Sends to a process gone from its machine are not an error for gossip. */
function ignoreLoss(): void {}
