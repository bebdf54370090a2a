/**
 * One run of a gossip peer (a restart starts a new one with an empty replica): the round
 * timer, the digest/want/delta exchange, rumour mongering, leaving, reports and store requests.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { Membership, type MembershipKind } from "./_membership.ts";
import type {
  DigestMessage,
  DigestMode,
  GossipMessage,
  PeerReport,
  StopMessage,
  StoreRequest,
} from "./gossip_messages.ts";
import type { GossipMode, GossipPeerOptions } from "./gossip_peer.ts";
import { type Json, Replica } from "./replica.ts";

/** Checked options with defaults applied. */
export interface GossipSettings {
  readonly mode: GossipMode;
  readonly fanout: number;
  readonly period: number;
  readonly k: number;
  readonly membership: MembershipKind;
  readonly suspectAfter: number;
  readonly probe: number;
  readonly tombstoneTtl: number;
  readonly maxRounds: number;
  readonly joinAt: number;
  readonly leaveAt: number;
  readonly announce: boolean;
  readonly countBytes: boolean;
}

const MODES: readonly GossipMode[] = ["push", "pull", "push-pull", "rumour"];

function positive(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value) || value < min) {
    throw new RangeError(
      `Cannot create gossip peer: ${name} ${JSON.stringify(value)} must be a number >= ${min}`,
    );
  }
  return value;
}

/** The state of one gossip peer between two crashes. */
export class GossipRun {
  readonly #ctx: ProcessContext;
  readonly #s: GossipSettings;
  readonly #peers: readonly string[];
  readonly #report?: (report: PeerReport) => void;
  readonly #monitor?: string;
  #replica!: Replica;
  #members!: Membership;
  #joiner = false;
  #leaveAt = Infinity;
  #stopped = false;
  #round = 0;
  #version = 0;
  #changedRound = 0;
  #changedAt = 0;
  #messages = 0;
  #bytes = 0;
  #hot: Map<string, number> | undefined;
  #sendFailure: { error: unknown } | undefined;

  /** Checks `options` and applies defaults. */
  static settings(options: GossipPeerOptions): GossipSettings {
    const mode = options.mode ?? "push-pull";
    if (!MODES.includes(mode)) {
      throw new RangeError(
        `Cannot create gossip peer: mode "${mode}" is unknown; use ${MODES.join(", ")}`,
      );
    }
    // Rumour mongering goes quiet, so there are no exchanges to carry heartbeats.
    const membership = mode === "rumour" ? "static" : options.membership ?? "heartbeat";
    if (membership !== "static" && membership !== "heartbeat") {
      throw new RangeError(
        `Cannot create gossip peer: membership "${membership}" is unknown; use static or heartbeat`,
      );
    }
    const period = positive("period", options.period, 100, 1e-3);
    const probe = positive("probe", options.probe, 0.1);
    if (probe > 1) throw new RangeError(`Cannot create gossip peer: probe ${probe} must be <= 1`);
    return {
      mode,
      fanout: Math.floor(positive("fanout", options.fanout, 1, 1)),
      period,
      k: positive("k", options.k, 2, 1),
      membership,
      suspectAfter: positive("suspectAfter", options.suspectAfter, 8 * period, 0),
      probe,
      tombstoneTtl: positive("tombstoneTtl", options.tombstoneTtl, 60_000),
      maxRounds: positive("maxRounds", options.maxRounds, Infinity),
      joinAt: positive("joinAt", options.joinAt, 0),
      leaveAt: positive("leaveAt", options.leaveAt, Infinity),
      announce: options.announce ?? false,
      countBytes: options.countBytes ?? true,
    };
  }

  /** Creates the run of `ctx`'s process. */
  constructor(ctx: ProcessContext, settings: GossipSettings, options: GossipPeerOptions) {
    this.#ctx = ctx;
    this.#s = settings;
    this.#peers = options.peers ?? [];
    this.#report = options.report;
    this.#monitor = options.monitor;
  }

  /** Waits for the join time, then starts the round timer. */
  async init(ctx: ProcessContext): Promise<void> {
    this.#leaveAt = ctx.now() + this.#s.leaveAt;
    if (this.#s.joinAt > 0) await ctx.sleep(this.#s.joinAt);
    const now = ctx.now();
    this.#replica = new Replica(`${ctx.machine}@${Math.floor(now)}`);
    this.#version = this.#replica.version;
    this.#changedAt = now;
    this.#joiner = this.#s.announce;
    this.#members = new Membership(ctx.self, {
      peers: this.#peers,
      kind: this.#s.membership,
      suspectAfter: this.#s.suspectAfter,
      probe: this.#s.probe,
      now,
    });
    if (this.#s.mode === "rumour") this.#hot = new Map();
  }

  /**
   * Whether the peer has stopped (left, reached its round limit or was told to stop). Throws
   * what a fire-and-forget send failed with, so that the failure ends the peer's process.
   */
  get stopped(): boolean {
    if (this.#sendFailure !== undefined) throw this.#sendFailure.error;
    return this.#stopped;
  }

  /** Starts a round: report, then digests (or rumours) to random partners. */
  round(): void {
    const ctx = this.#ctx, s = this.#s;
    const now = ctx.now();
    this.#round++;
    if (this.#round > s.maxRounds) return this.#end("done");
    if (now >= this.#leaveAt) return this.#leave();
    this.#members.tick(now);
    if (this.#replica.tombstones > 0) this.#replica.expire(now, s.tombstoneTtl);
    this.#emit("live");
    // Push with nothing to push (static membership): the partner could only answer "I lack
    // nothing of yours"; rumour mongering with nothing hot: nothing to say.
    const mode = s.mode as DigestMode;
    if (mode === "push" && this.#replica.version === 0 && s.membership === "static") return;
    if (this.#hot !== undefined && this.#hot.size === 0) return;
    const partners = this.#members.pick(s.fanout, () => ctx.random());
    if (partners.length === 0) return;
    if (this.#hot !== undefined) {
      const delta = this.#replica.select(new Set(this.#hot.keys()));
      for (const p of partners) this.#send(p, { kind: "g-rumour", delta });
      return;
    }
    const hb = this.#members.table();
    for (const p of partners) {
      const digest: DigestMessage = { kind: "g-digest", mode, vv: this.#replica.digest() };
      if (hb !== undefined) (digest as { hb?: typeof hb }).hb = hb;
      if (this.#joiner) (digest as { joiner?: true }).joiner = true;
      this.#send(p, digest);
    }
  }

  /** Handles a gossip message, a store request or a stop. */
  message(msg: Envelope): void {
    const body = msg.body as GossipMessage | StoreRequest | StopMessage;
    const replica = this.#replica;
    const now = this.#ctx.now();
    switch (body.kind) {
      case "g-digest": {
        if (body.hb) this.#members.merge(body.hb, now);
        else if (body.joiner) this.#members.learn(msg.from, now);
        const theirs = body.vv;
        const iHaveNews = replica.hasNewsFor(theirs);
        const theyHaveNews = replica.isBehind(theirs);
        if (body.mode === "push") {
          if (theyHaveNews) this.#send(msg.from, { kind: "g-want", vv: replica.digest() });
        } else if (iHaveNews) {
          const delta = replica.delta(theirs);
          const want = body.mode === "push-pull" && theyHaveNews ? replica.digest() : undefined;
          this.#send(
            msg.from,
            want ? { kind: "g-delta", delta, want } : { kind: "g-delta", delta },
          );
        } else if (body.mode === "push-pull" && theyHaveNews) {
          this.#send(msg.from, { kind: "g-want", vv: replica.digest() });
        }
        break;
      }
      case "g-want":
        if (replica.hasNewsFor(body.vv)) {
          this.#send(msg.from, { kind: "g-delta", delta: replica.delta(body.vv) });
        }
        break;
      case "g-delta":
        replica.merge(body.delta, { now });
        if (body.want && replica.hasNewsFor(body.want)) {
          this.#send(msg.from, { kind: "g-delta", delta: replica.delta(body.want) });
        }
        break;
      case "g-rumour": {
        const fresh: string[] = [], known: string[] = [];
        replica.merge(body.delta, { now, fresh, known });
        if (this.#hot) { for (const key of fresh) this.#hot.set(key, 0); }
        this.#send(msg.from, { kind: "g-feedback", known });
        break;
      }
      case "g-feedback":
        for (const key of body.known) {
          const count = this.#hot?.get(key);
          if (count === undefined) continue;
          if (count + 1 >= this.#s.k) this.#hot!.delete(key);
          else this.#hot!.set(key, count + 1);
        }
        break;
      case "g-leave":
        replica.merge(body.delta, { now });
        if (body.hb) this.#members.merge(body.hb, now);
        this.#members.leave(msg.from);
        break;
      case "g-stop":
        this.#stopped = true;
        break;
      default:
        if (msg.corr !== undefined) this.#serve(msg, body);
    }
    this.#noteChange(now);
  }

  #serve(msg: Envelope, body: StoreRequest): void {
    const replica = this.#replica, ctx = this.#ctx;
    const now = ctx.now();
    const answer = (body: unknown) => void ctx.reply(msg, body).catch(this.#unsent);
    const bad = (what: string, value: unknown) =>
      answer({
        kind: "error",
        message: `Cannot ${body.kind}: ${what} ${JSON.stringify(value)} must be a string`,
      });
    let value: Json | undefined;
    switch (body.kind) {
      case "get":
        if (typeof body.key !== "string") return bad("key", body.key);
        value = replica.get(body.key) ?? null;
        break;
      case "put":
        if (typeof body.key !== "string") return bad("key", body.key);
        replica.put(body.key, body.value ?? null);
        this.#heat();
        break;
      case "del":
        if (typeof body.key !== "string") return bad("key", body.key);
        value = replica.delete(body.key, now);
        if (value) this.#heat();
        break;
      case "add":
        if (typeof body.element !== "string") return bad("element", body.element);
        replica.add(body.element);
        this.#heat();
        break;
      case "remove":
        if (typeof body.element !== "string") return bad("element", body.element);
        value = replica.remove(body.element, now);
        if (value) this.#heat();
        break;
      case "elements":
        value = replica.elements();
        break;
      default:
        return answer({
          kind: "error",
          message: `Cannot serve "${(body as { kind?: string }).kind}": unknown request; ` +
            "use put, get, del, add, remove or elements",
        });
    }
    answer(value === undefined ? { kind: "ok" } : { kind: "ok", value });
  }

  /** A local write is a hot rumour in rumour mode. */
  #heat(): void {
    const origin = this.#replica.origin;
    this.#hot?.set(`${origin}:${this.#replica.digest()[origin]}`, 0);
  }

  #noteChange(now: number): void {
    const version = this.#replica.version;
    if (version === this.#version) return;
    this.#version = version;
    this.#changedRound = this.#round;
    this.#changedAt = now;
  }

  #leave(): void {
    const farewell = this.#members.farewell();
    const partners = this.#members.pick(Math.max(this.#s.fanout, 2), () => this.#ctx.random());
    const delta = this.#replica.snapshot();
    for (const p of partners) {
      this.#send(
        p,
        farewell ? { kind: "g-leave", delta, hb: farewell } : { kind: "g-leave", delta },
      );
    }
    this.#end("left");
  }

  #end(status: "left" | "done"): void {
    this.#emit(status);
    this.#stopped = true;
  }

  #emit(status: PeerReport["status"]): void {
    if (this.#report === undefined && this.#monitor === undefined) return;
    const report: PeerReport = {
      kind: "g-report",
      peer: this.#ctx.self,
      status,
      round: this.#round,
      t: this.#ctx.now(),
      hash: this.#replica.hash(),
      changedRound: this.#changedRound,
      changedAt: this.#changedAt,
      messages: this.#messages,
      bytes: this.#bytes,
      seen: sum(this.#replica.digest()),
      hot: this.#hot?.size ?? 0,
      suspects: this.#members.suspectCount(),
    };
    this.#report?.(report);
    if (this.#monitor !== undefined) this.#ctx.send(this.#monitor, report).catch(this.#unsent);
  }

  #send(to: string, body: GossipMessage): void {
    this.#messages++;
    // A second serialisation, only for whoever cannot count the frames on its network.
    if (this.#s.countBytes) this.#bytes += JSON.stringify(body).length;
    this.#ctx.send(to, body).catch(this.#unsent);
  }

  /** Where fire-and-forget sends fail: the peer's process fails at its next step. */
  readonly #unsent = (error: unknown): void => {
    // A partner that left its machine is gossip's ordinary loss (the trace has the drop).
    if (error instanceof UnknownProcessError) return;
    this.#sendFailure ??= { error };
  };
}

function sum(vv: Readonly<Record<string, number>>): number {
  let total = 0;
  for (const origin in vv) total += vv[origin];
  return total;
}
