/**
 * The g-counter workload's reference node: the counter is a grow-only set of adds, each named
 * by the id of the request that made it, and its value is the sum of their deltas. Naming adds
 * matters: a node that crashes before acknowledging a request at the transport level gets that
 * request again after its restart (the reliable channel retransmits it), and an add applied
 * twice must still count once.
 *
 * Every few milliseconds a node sends each peer the adds that peer has not acknowledged yet;
 * what is not acknowledged goes again in the next round, and adds learnt from a peer are passed
 * on. A client's add is acknowledged once a peer holds it, so a crash (which wipes a node's
 * memory) cannot lose it; a restarted node says hello, and its peers send it everything again.
 *
 *     deno task lab check g-counter examples/check/g_counter.ts --nemesis partition,crash,pause
 *
 * @module
 */
import { type Envelope, type ProcessContext, type ProcessFn, TimeoutError } from "../../mod.ts";

/** Adds by request id. */
type Adds = [string, number][];

/** What this node receives. */
type Body =
  | { kind: "init"; node: string; nodes: string[] }
  | { kind: "add"; delta: number }
  | { kind: "read" }
  | { kind: "adds"; adds: Adds }
  | { kind: "hello" };

/** Ms between gossip rounds. */
const ROUND = 25;
/** Ms a peer has to acknowledge a round. */
const PATIENCE = 200;

/** A timed-out request is retried in the next round; anything else is a bug and is thrown. */
function retryLater(error: unknown): void {
  if (!(error instanceof TimeoutError)) throw error;
}

class Counter {
  readonly adds = new Map<string, number>();
  value = 0;
  peers: string[] = [];
  /** Per peer, the adds it has not acknowledged. */
  readonly unacked = new Map<string, Set<string>>();
  readonly greeting = new Set<string>();
  readonly busy = new Set<string>();
  /** Client adds waiting for a peer to hold them. */
  readonly waiting = new Map<string, Envelope>();

  constructor(readonly ctx: ProcessContext) {}

  init(self: string, nodes: string[]): void {
    this.peers = nodes.filter((n) => n !== self);
    for (const peer of this.peers) {
      this.unacked.set(peer, new Set(this.adds.keys()));
      this.greeting.add(peer);
    }
  }

  /** Takes in adds (from a client or from `source`) and queues them for the other peers. */
  learn(adds: Adds, source?: string): void {
    for (const [id, delta] of adds) {
      if (source !== undefined) this.unacked.get(source)?.delete(id);
      if (this.adds.has(id)) continue;
      this.adds.set(id, delta);
      this.value += delta;
      for (const peer of this.peers) if (peer !== source) this.unacked.get(peer)!.add(id);
    }
  }

  /** Whether some peer acknowledged add `id`. */
  held(id: string): boolean {
    return this.peers.some((peer) => !this.unacked.get(peer)!.has(id));
  }

  async acknowledged(peer: string, ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      this.unacked.get(peer)?.delete(id);
      const request = this.waiting.get(id);
      if (request === undefined) continue;
      this.waiting.delete(id);
      await this.ctx.reply(request, { kind: "add_ok" });
    }
  }

  round(): void {
    const ctx = this.ctx;
    for (const peer of this.greeting) {
      ctx.request(peer, { kind: "hello" }, { timeout: PATIENCE })
        .then(() => this.greeting.delete(peer), retryLater);
    }
    for (const peer of this.peers) {
      const ids = [...this.unacked.get(peer)!];
      if (ids.length === 0 || this.busy.has(peer)) continue;
      this.busy.add(peer);
      const adds: Adds = ids.map((id) => [id, this.adds.get(id)!]);
      ctx.request(peer, { kind: "adds", adds }, { timeout: PATIENCE })
        .then(() => this.acknowledged(peer, ids), retryLater)
        .finally(() => this.busy.delete(peer));
    }
  }
}

/**
 * The node.
 *
 * @example Checked in the simulator with crashes
 * ```ts
 * import assert from "node:assert/strict";
 * import { gCounterWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { node } from "./g_counter.ts";
 * const workload = gCounterWorkload();
 * const run = await simulateCheck(node, workload, {
 *   ops: 60, nemesis: ["crash", "partition"], nemesisInterval: 100, recovery: 500,
 * });
 * assert.deepEqual(workload.check(run.history.ops).anomalies, []);
 * ```
 */
export const node: ProcessFn = async (ctx) => {
  const counter = new Counter(ctx);
  let next = ctx.now() + ROUND;
  for (;;) {
    if (ctx.now() >= next) {
      counter.round();
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
        counter.init(body.node, body.nodes);
        break;
      case "add": {
        const known = counter.adds.has(request.id);
        counter.learn([[request.id, body.delta]]);
        if (counter.peers.length === 0 || (known && counter.held(request.id))) {
          await ctx.reply(request, { kind: "add_ok" });
        } else counter.waiting.set(request.id, request);
        break;
      }
      case "read":
        await ctx.reply(request, { kind: "read_ok", value: counter.value });
        break;
      case "adds":
        counter.learn(body.adds, request.from);
        await ctx.reply(request, { kind: "adds_ok" });
        break;
      case "hello":
        // The peer restarted with nothing: everything goes to it again.
        counter.unacked.set(request.from, new Set(counter.adds.keys()));
        await ctx.reply(request, { kind: "hello_ok" });
        break;
    }
  }
};
