/**
 * The broadcast workload's reference node: gossip with acknowledgements and retransmission.
 *
 * Every few milliseconds a node sends each peer, in one request, the messages that peer has
 * not acknowledged yet; what is not acknowledged (lost, partitioned, paused peer) goes again in
 * the next round. A node that learns a message from a peer passes it on to the others, so a
 * message spreads even if its first node crashes. A client's broadcast is acknowledged once at
 * least one peer holds the message, so a crash (which wipes a node's memory) cannot lose it.
 * A restarted node says hello to its peers, and they send it everything again.
 *
 *     deno task lab check broadcast examples/check/broadcast.ts --node-count 5 --nemesis partition,crash
 *
 * @module
 */
import { type Envelope, type ProcessContext, type ProcessFn, TimeoutError } from "../../mod.ts";

/** What this node receives. */
type Body =
  | { kind: "init"; node: string; nodes: string[] }
  | { kind: "broadcast"; message: number }
  | { kind: "read" }
  | { kind: "gossip"; messages: number[] }
  | { kind: "hello" };

/** Ms between gossip rounds. */
const ROUND = 25;
/** Ms a peer has to acknowledge a round. */
const PATIENCE = 200;

/** A timed-out request is retried in the next round; anything else is a bug and is thrown. */
function retryLater(error: unknown): void {
  if (!(error instanceof TimeoutError)) throw error;
}

class Gossip {
  readonly messages = new Set<number>();
  peers: string[] = [];
  /** Per peer, the messages it has not acknowledged. */
  readonly unacked = new Map<string, Set<number>>();
  /** Peers that have not yet answered this node's hello (sent after every boot). */
  readonly greeting = new Set<string>();
  /** Peers with a round in flight. */
  readonly busy = new Set<string>();
  /** Client broadcasts waiting for a peer to hold their message. */
  readonly waiting = new Map<number, Envelope[]>();

  constructor(readonly ctx: ProcessContext) {}

  init(self: string, nodes: string[]): void {
    this.peers = nodes.filter((n) => n !== self);
    for (const peer of this.peers) {
      this.unacked.set(peer, new Set(this.messages));
      this.greeting.add(peer);
    }
  }

  /** Takes in messages (from a client or from `source`) and queues them for the other peers. */
  learn(messages: readonly number[], source?: string): void {
    for (const m of messages) {
      if (source !== undefined) this.unacked.get(source)?.delete(m);
      if (this.messages.has(m)) continue;
      this.messages.add(m);
      for (const peer of this.peers) if (peer !== source) this.unacked.get(peer)!.add(m);
    }
  }

  async acknowledged(peer: string, batch: readonly number[]): Promise<void> {
    for (const m of batch) {
      this.unacked.get(peer)?.delete(m);
      const waiters = this.waiting.get(m);
      if (waiters === undefined) continue;
      this.waiting.delete(m);
      for (const request of waiters) await this.ctx.reply(request, { kind: "broadcast_ok" });
    }
  }

  round(): void {
    const ctx = this.ctx;
    for (const peer of this.greeting) {
      ctx.request(peer, { kind: "hello" }, { timeout: PATIENCE })
        .then(() => this.greeting.delete(peer), retryLater);
    }
    for (const peer of this.peers) {
      const batch = [...this.unacked.get(peer)!];
      if (batch.length === 0 || this.busy.has(peer)) continue;
      this.busy.add(peer);
      ctx.request(peer, { kind: "gossip", messages: batch }, { timeout: PATIENCE })
        .then(() => this.acknowledged(peer, batch), retryLater)
        .finally(() => this.busy.delete(peer));
    }
  }
}

/**
 * The node.
 *
 * @example Checked in the simulator with partitions
 * ```ts
 * import assert from "node:assert/strict";
 * import { broadcastWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { node } from "./broadcast.ts";
 * const workload = broadcastWorkload();
 * const run = await simulateCheck(node, workload, {
 *   nodeCount: 5, ops: 60, nemesis: ["partition", "crash"], nemesisInterval: 100, recovery: 500,
 * });
 * assert.deepEqual(workload.check(run.history.ops).anomalies, []);
 * ```
 */
export const node: ProcessFn = async (ctx) => {
  const gossip = new Gossip(ctx);
  let next = ctx.now() + ROUND;
  for (;;) {
    if (ctx.now() >= next) {
      gossip.round();
      next = ctx.now() + ROUND;
    }
    let request: Envelope<Body>;
    try {
      request = await ctx.receive<Body>({ timeout: next - ctx.now() });
    } catch (error) {
      retryLater(error); // no message before the next round is due
      continue;
    }
    const body = request.body;
    switch (body.kind) {
      case "init":
        gossip.init(body.node, body.nodes);
        break;
      case "broadcast": {
        const m = body.message;
        const held = gossip.messages.has(m) &&
          gossip.peers.some((peer) => !gossip.unacked.get(peer)!.has(m));
        gossip.learn([m]);
        if (gossip.peers.length === 0 || held) await ctx.reply(request, { kind: "broadcast_ok" });
        else {
          const waiters = gossip.waiting.get(body.message) ?? [];
          gossip.waiting.set(m, [...waiters, request]);
        }
        break;
      }
      case "read":
        await ctx.reply(request, { kind: "read_ok", messages: [...gossip.messages] });
        break;
      case "gossip":
        gossip.learn(body.messages, request.from);
        await ctx.reply(request, { kind: "gossip_ok" });
        break;
      case "hello":
        // The peer restarted with nothing: everything goes to it again.
        gossip.unacked.set(request.from, new Set(gossip.messages));
        await ctx.reply(request, { kind: "hello_ok" });
        break;
    }
  }
};
