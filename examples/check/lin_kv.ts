/**
 * The lin-kv workload's reference node: a linearizable key-value store with one fixed leader
 * (the first node) and majority replication.
 *
 * - Every operation runs at the leader, one at a time per key; other nodes forward to it and
 *   relay its answer (no answer in time: the client's outcome stays unknown, never an error).
 * - A write or compare-and-set is applied, and answered, only once a majority (the leader
 *   included) holds the new value, stamped with a version (leader's life, counter). A read is
 *   answered from the leader's state, which holds only such committed values, and the leader is
 *   the only node that ever answers: so a partition can make operations time out, never make
 *   them disagree. A write that gets no majority is not applied and not answered.
 * - A crash wipes a node's memory (there is no disk). A value committed to a majority is then
 *   sent to the remaining followers too, and a restarted follower says hello until the leader
 *   has sent it the whole store again. A restarted leader asks every follower for its values,
 *   keeps the newest version of each key, writes that back to a majority, and only then
 *   serves. So a committed value survives as long as one node that holds it has not crashed
 *   before passing it on; without a disk nothing can do better.
 * - A request can arrive twice: the reliable channel retransmits a request whose frame was not
 *   acknowledged to a node that crashed, and its new life sees it for the first time. So every
 *   write and cas is answered only once its outcome (a failure too) is replicated with its
 *   request's id, and a request that comes again gets the same answer, never a second run.
 *
 *     deno task lab check lin-kv examples/check/lin_kv.ts --nemesis partition,crash,pause
 *
 * `linKvNode({ localReads: true })` is the classic mistake of serving reads from the local
 * replica (see `lin_kv_stale.ts`).
 * @module
 */
import { type Envelope, type ProcessContext, type ProcessFn, TimeoutError } from "../../mod.ts";

/** A version: the leader's life (its boot time) and a counter within it. */
type Version = readonly [number, number];

/** A key's value and version. */
interface Entry {
  readonly value: unknown;
  readonly version: Version;
}

/** A client operation. */
type Op =
  | { kind: "read"; key: unknown }
  | { kind: "write"; key: unknown; value: unknown }
  | { kind: "cas"; key: unknown; from: unknown; to: unknown };

/** A reply to a client. */
type Reply = Record<string, unknown>;

/** A store as it travels: each key's entry (if any) and the writes and cas run on it, by id. */
type Snapshot = [string, Entry | null, [string, Reply][]][];

/** What this node receives. */
type Body =
  | { kind: "init"; node: string; nodes: string[] }
  | Op
  | { kind: "forward"; op: Op; id: string }
  | { kind: "replicate"; key: string; entry: Entry | null; id: string; reply: Reply }
  | { kind: "snapshot"; entries: Snapshot }
  | { kind: "fetch" }
  | { kind: "hello" };

/** Ms between rounds of recovery, hellos and snapshots. */
const ROUND = 25;
/** Ms a peer has to answer one request. */
const PATIENCE = 200;
/** Ms a write keeps trying to reach a majority before it is abandoned (unanswered). */
const COMMIT = 600;
/** Ms a follower waits for the leader's answer to a forwarded operation. */
const FORWARD = 900;

function newer(a: Version, b: Version | undefined): boolean {
  return b === undefined || a[0] > b[0] || (a[0] === b[0] && a[1] > b[1]);
}

/** A timed-out request is retried or given up on by its caller; anything else is a bug. */
function timedOut(error: unknown): undefined {
  if (!(error instanceof TimeoutError)) throw error;
  return undefined;
}

class KvNode {
  readonly store = new Map<string, Entry>();
  /** Per key, the writes and cas run on it, by request id, with their replies. */
  readonly outcomes = new Map<string, Map<string, Reply>>();
  self = "";
  leader = "";
  followers: string[] = [];
  /** The leader's life and next version counter. */
  life = 0;
  counter = 0;
  ready = false;
  readonly #readyWaiters: (() => void)[] = [];
  /** Leader recovery: followers' answers; then the followers the write-back reached. */
  readonly fetched = new Map<string, Snapshot>();
  writtenBack: Set<string> | undefined;
  /** Followers that need the whole store (restarted, missed a write, or the write-back). */
  readonly behind = new Map<string, number>();
  generation = 0;
  greeted = true;
  readonly chains = new Map<string, Promise<unknown>>();

  constructor(readonly ctx: ProcessContext, readonly localReads: boolean) {}

  get isLeader(): boolean {
    return this.self === this.leader;
  }

  init(self: string, nodes: string[]): void {
    this.self = self;
    this.leader = nodes[0];
    this.followers = nodes.filter((n) => n !== nodes[0]);
    this.life = this.ctx.now();
    if (this.isLeader && this.followers.length === 0) this.#becomeReady();
    if (!this.isLeader) this.greeted = false;
  }

  accept(key: string, entry: Entry | null, outcomes: readonly [string, Reply][]): void {
    if (entry !== null && newer(entry.version, this.store.get(key)?.version)) {
      this.store.set(key, entry);
    }
    let known = this.outcomes.get(key);
    if (known === undefined) this.outcomes.set(key, known = new Map());
    for (const [id, reply] of outcomes) known.set(id, reply);
  }

  snapshot(): Snapshot {
    return [...this.outcomes].map(([key, known]) => [key, this.store.get(key) ?? null, [...known]]);
  }

  #becomeReady(): void {
    this.ready = true;
    for (const wake of this.#readyWaiters.splice(0)) wake();
  }

  /** One round: hello (restarted follower), recovery and write-back (restarted leader), snapshots. */
  round(): void {
    const ctx = this.ctx;
    if (!this.greeted) {
      ctx.request(this.leader, { kind: "hello" }, { timeout: PATIENCE })
        .then(() => this.greeted = true, timedOut);
    }
    if (!this.isLeader || this.ready) {
      if (this.isLeader) this.#snapshots();
      return;
    }
    if (this.writtenBack === undefined) {
      for (const peer of this.followers) {
        if (this.fetched.has(peer)) continue;
        ctx.request<{ entries: Snapshot }>(peer, { kind: "fetch" }, { timeout: PATIENCE })
          .then((reply) => this.fetched.set(peer, reply.body.entries), timedOut);
      }
      if (this.fetched.size < this.followers.length) return;
      for (const entries of this.fetched.values()) {
        for (const [key, entry, ids] of entries) this.accept(key, entry, ids);
      }
      this.writtenBack = new Set();
      for (const peer of this.followers) this.lagging(peer);
    }
    this.#snapshots();
    const majority = Math.floor((this.followers.length + 1) / 2);
    if (this.writtenBack.size >= majority) this.#becomeReady();
  }

  /** Marks `peer` as needing the whole store, as it is from now on. */
  lagging(peer: string): void {
    this.behind.set(peer, ++this.generation);
  }

  /** Sends the store to every follower behind, every round until one that is current arrives. */
  #snapshots(): void {
    for (const [peer, generation] of this.behind) {
      this.ctx.request(peer, { kind: "snapshot", entries: this.snapshot() }, { timeout: PATIENCE })
        .then(() => {
          if (this.behind.get(peer) === generation) this.behind.delete(peer);
          this.writtenBack?.add(peer);
        }, timedOut);
    }
  }

  /**
   * Sends `key`'s `entry` and the outcome of request `id` to every follower until a majority
   * (with the leader) holds them; resolves with the followers that acknowledged, or
   * `undefined` when no majority did in time.
   */
  replicate(
    key: string,
    entry: Entry | null,
    id: string,
    reply: Reply,
  ): Promise<Set<string> | undefined> {
    const needed = Math.floor((this.followers.length + 1) / 2);
    const acked = new Set<string>();
    if (needed === 0) return Promise.resolve(acked);
    const deadline = this.ctx.now() + COMMIT;
    let settled = false, trying = this.followers.length;
    return new Promise((resolve) => {
      const finish = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        resolve(ok ? acked : undefined);
      };
      const done = (): void => {
        if (--trying === 0) finish(acked.size >= needed);
      };
      const send = (peer: string): void => {
        const body = { kind: "replicate", key, entry, id, reply };
        this.ctx.request(peer, body, { timeout: PATIENCE }).then(
          () => {
            acked.add(peer);
            if (acked.size >= needed) finish(true);
            done();
          },
          (error) => {
            timedOut(error);
            if (!settled && this.ctx.now() < deadline) return send(peer);
            done();
          },
        );
      };
      for (const peer of this.followers) send(peer);
    });
  }

  /**
   * Runs `op` (request `id`) at the leader, after the operations on its key queued before it.
   * A write or cas is answered once its outcome, failures included, is held by a majority: a
   * request delivered again after a crash then gets the same answer instead of running again.
   */
  execute(op: Op, id: string): Promise<Reply | undefined> {
    const key = JSON.stringify(op.key);
    const previous = this.chains.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (!this.ready) await new Promise<void>((wake) => this.#readyWaiters.push(wake));
      const current = this.store.get(key);
      if (op.kind === "read") {
        return current === undefined
          ? { kind: "error", code: 20, text: "key does not exist" }
          : { kind: "read_ok", value: current.value };
      }
      const known = this.outcomes.get(key)?.get(id);
      if (known !== undefined) return known;
      let entry = current ?? null, reply: Reply;
      if (op.kind === "cas" && current === undefined) {
        reply = { kind: "error", code: 20, text: "key does not exist" };
      } else if (op.kind === "cas" && JSON.stringify(current!.value) !== JSON.stringify(op.from)) {
        reply = { kind: "error", code: 22, text: `expected ${op.from}, found ${current!.value}` };
      } else {
        entry = {
          value: op.kind === "write" ? op.value : op.to,
          version: [this.life, ++this.counter],
        };
        reply = { kind: op.kind === "write" ? "write_ok" : "cas_ok" };
      }
      const acked = await this.replicate(key, entry, id, reply);
      if (acked === undefined) return undefined;
      this.accept(key, entry, [[id, reply]]);
      // The followers the majority did without get the store again in the next rounds.
      for (const peer of this.followers) if (!acked.has(peer)) this.lagging(peer);
      return reply;
    });
    this.chains.set(key, run);
    return run;
  }

  /** Answers a client's operation: at the leader, or forwarded to it. */
  serve(request: Envelope, op: Op): void {
    const ctx = this.ctx;
    let answer: Promise<Reply | undefined>;
    if (this.isLeader) answer = this.execute(op, request.id);
    else if (this.localReads && op.kind === "read") {
      const current = this.store.get(JSON.stringify(op.key));
      answer = Promise.resolve(
        current === undefined
          ? { kind: "error", code: 20, text: "key does not exist" }
          : { kind: "read_ok", value: current.value },
      );
    } else {
      const forward = { kind: "forward", op, id: request.id };
      answer = ctx.request<Reply>(this.leader, forward, { timeout: FORWARD })
        .then((reply) => reply.body, timedOut);
    }
    // No answer (no majority, leader unreachable): the client's outcome stays unknown.
    answer.then((body) => body === undefined ? undefined : ctx.reply(request, body));
  }
}

/**
 * The node, with reads at the leader (`localReads: false`, linearizable) or from the replica
 * that receives them (`localReads: true`, stale reads).
 *
 * @example Checked in the simulator with partitions and crashes
 * ```ts
 * import assert from "node:assert/strict";
 * import { linKvWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { linKvNode } from "./lin_kv.ts";
 * const workload = linKvWorkload();
 * const run = await simulateCheck(linKvNode(), workload, {
 *   ops: 100, nemesis: ["partition", "crash"], nemesisInterval: 100,
 * });
 * assert.deepEqual(workload.check(run.history.ops).anomalies, []);
 * ```
 */
export function linKvNode(options: { localReads?: boolean } = {}): ProcessFn {
  return async (ctx) => {
    const kv = new KvNode(ctx, options.localReads ?? false);
    let next = ctx.now() + ROUND;
    for (;;) {
      if (ctx.now() >= next) {
        kv.round();
        next = ctx.now() + ROUND;
      }
      let request: Envelope<Body>;
      try {
        request = await ctx.receive<Body>({ timeout: next - ctx.now() });
      } catch (error) {
        timedOut(error); // no message before the next round is due
        continue;
      }
      const body = request.body;
      switch (body.kind) {
        case "init":
          kv.init(body.node, body.nodes);
          break;
        case "read":
        case "write":
        case "cas":
          kv.serve(request, body);
          break;
        case "forward":
          kv.execute(body.op, body.id).then((answer) =>
            answer === undefined ? undefined : ctx.reply(request, answer)
          );
          break;
        case "replicate":
          kv.accept(body.key, body.entry, [[body.id, body.reply]]);
          await ctx.reply(request, { kind: "replicate_ok" });
          break;
        case "snapshot":
          for (const [key, entry, ids] of body.entries) kv.accept(key, entry, ids);
          await ctx.reply(request, { kind: "snapshot_ok" });
          break;
        case "fetch":
          await ctx.reply(request, { kind: "fetch_ok", entries: kv.snapshot() });
          break;
        case "hello":
          // A follower restarted with nothing: it gets the whole store again.
          kv.lagging(request.from);
          await ctx.reply(request, { kind: "hello_ok" });
          break;
      }
    }
  };
}

/** The linearizable node that `lab check lin-kv examples/check/lin_kv.ts` runs. */
export const node: ProcessFn = linKvNode();
