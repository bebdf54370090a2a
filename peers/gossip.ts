/**
 * The gossip peer's protocol, one run of it (a restart starts a new one with an empty replica):
 * the round timer, the digest/want/delta exchange, rumour mongering, leaving, reports and store
 * requests. A core {@link Protocol}: `gossipPeer` runs it with `drive()`.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { Effect, Input, Protocol } from "../core/protocol/protocol.ts";
import { Membership, type MembershipKind } from "./_membership.ts";
import type {
  DigestMessage,
  DigestMode,
  GossipMessage,
  PeerReport,
  StopMessage,
  StoreRequest,
} from "./gossip_messages.ts";
import type { GossipMode, GossipPeerOptions } from "./gossip_process.ts";
import { type Json, Replica } from "./replica.ts";

/** Checked options with defaults applied. */
export interface GossipSettings {
  /** How updates spread (see {@link GossipPeerOptions.mode}). */
  readonly mode: GossipMode;
  /** Partners per round. */
  readonly fanout: number;
  /** Length of a round in ms. */
  readonly period: number;
  /** Rumour mode: partners that already knew an update before it cools down. */
  readonly k: number;
  /** Heartbeat or static membership. */
  readonly membership: MembershipKind;
  /** Heartbeat membership: ms of silence before a peer is suspected. */
  readonly suspectAfter: number;
  /** Heartbeat membership: chance per round of contacting a suspected peer. */
  readonly probe: number;
  /** Ms a tombstone is kept. */
  readonly tombstoneTtl: number;
  /** Rounds before the peer ends. */
  readonly maxRounds: number;
  /** Ms after the process starts at which the peer joins. */
  readonly joinAt: number;
  /** Ms after the process starts at which the peer leaves. */
  readonly leaveAt: number;
  /** Whether the peer asks the others to learn its address. */
  readonly announce: boolean;
  /** Whether the peer counts the bytes of what it sends (when the network cannot). */
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

/** Between two steps the protocol holds no effects (never pushed to: each step starts anew). */
const NO_EFFECTS: GossipEffect[] = [];

/** What the gossip protocol hands up: a report each round (to `options.report`). */
export type GossipEffect = Effect<unknown, PeerReport, never>;

/** Where and when one run of a gossip peer starts, and its source of randomness. */
export interface GossipStart {
  /** The peer's own address. */
  readonly self: string;
  /** The peer's machine (its replica's origin is named after it and the start time). */
  readonly machine: string;
  /** When the peer's process started (`leaveAt` counts from it), in ms. */
  readonly startedAt: number;
  /** The runtime's seeded random numbers in [0, 1) (the choice of partners). */
  readonly random: () => number;
}

/**
 * The state of one gossip peer between two crashes, as a protocol: a tick every `period` ms
 * starts a round (report, then digests or rumours to random partners); messages are gossip,
 * store requests from clients, or a stop. It stops when it left, ran its rounds or was told to.
 *
 * @example A round sends a digest to the one other peer
 * ```ts
 * import assert from "node:assert/strict";
 * import { GossipProtocol } from "./gossip.ts";
 * const options = { peers: ["peer@p1.lab", "peer@p2.lab"], period: 100 };
 * const peer = new GossipProtocol(GossipProtocol.settings(options), options,
 *   { self: "peer@p1.lab", machine: "p1.lab", startedAt: 0, random: () => 0.5 });
 * assert.deepEqual(peer.start(0), [{ kind: "deadline", at: 100 }]);
 * const round = peer.step({ kind: "tick", now: 100 });
 * assert.deepEqual(round.map((e) => e.kind === "send" && e.to), ["peer@p2.lab", false]);
 * ```
 */
export class GossipProtocol implements Protocol<unknown, PeerReport, never> {
  readonly #self: string;
  readonly #machine: string;
  readonly #random: () => number;
  readonly #s: GossipSettings;
  readonly #peers: readonly string[];
  readonly #reports: boolean;
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
  #nextRound = Infinity;
  /** The effects of the step under way (none between steps). */
  #out: GossipEffect[] = NO_EFFECTS;

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

  /**
   * Creates the run described by `start` (after the peer's join wait), with the checked
   * `settings` and the `peers`, `report` and `monitor` of `options`.
   */
  constructor(settings: GossipSettings, options: GossipPeerOptions, start: GossipStart) {
    this.#self = start.self;
    this.#machine = start.machine;
    this.#random = start.random;
    this.#leaveAt = start.startedAt + settings.leaveAt;
    this.#s = settings;
    this.#peers = options.peers ?? [];
    this.#reports = options.report !== undefined;
    this.#monitor = options.monitor;
  }

  /** Joins at `now`: a new replica, the membership, and the first round one period later. */
  start(now: number): GossipEffect[] {
    this.#replica = new Replica(`${this.#machine}@${Math.floor(now)}`);
    this.#version = this.#replica.version;
    this.#changedAt = now;
    this.#joiner = this.#s.announce;
    this.#members = new Membership(this.#self, {
      peers: this.#peers,
      kind: this.#s.membership,
      suspectAfter: this.#s.suspectAfter,
      probe: this.#s.probe,
      now,
    });
    if (this.#s.mode === "rumour") this.#hot = new Map();
    this.#nextRound = now + this.#s.period;
    return [{ kind: "deadline", at: this.#nextRound }];
  }

  /** A tick starts a round; a message is handled. Stops once the peer stopped. */
  step(input: Input): GossipEffect[] {
    this.#out = [];
    if (input.kind === "tick") {
      this.#nextRound += this.#s.period;
      this.#roundAt(input.now);
    } else this.#message(input.envelope, input.now);
    const out = this.#out;
    this.#out = NO_EFFECTS;
    if (this.#stopped) out.push({ kind: "stop", reason: "stopped" });
    else if (input.kind === "tick") out.push({ kind: "deadline", at: this.#nextRound });
    return out;
  }

  /** Starts a round: report, then digests (or rumours) to random partners. */
  #roundAt(now: number): void {
    const s = this.#s;
    this.#round++;
    if (this.#round > s.maxRounds) return this.#end("done", now);
    if (now >= this.#leaveAt) return this.#leave(now);
    this.#members.tick(now);
    if (this.#replica.tombstones > 0) this.#replica.expire(now, s.tombstoneTtl);
    this.#emit("live", now);
    // Push with nothing to push (static membership): the partner could only answer "I lack
    // nothing of yours"; rumour mongering with nothing hot: nothing to say.
    const mode = s.mode as DigestMode;
    if (mode === "push" && this.#replica.version === 0 && s.membership === "static") return;
    if (this.#hot !== undefined && this.#hot.size === 0) return;
    const partners = this.#members.pick(s.fanout, this.#random);
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
  #message(msg: Envelope, now: number): void {
    const body = msg.body as GossipMessage | StoreRequest | StopMessage;
    const replica = this.#replica;
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
            want
              ? { kind: "g-delta", delta, want, since: theirs }
              : { kind: "g-delta", delta, since: theirs },
          );
        } else if (body.mode === "push-pull" && theyHaveNews) {
          this.#send(msg.from, { kind: "g-want", vv: replica.digest() });
        }
        break;
      }
      case "g-want":
        if (replica.hasNewsFor(body.vv)) {
          this.#send(msg.from, {
            kind: "g-delta",
            delta: replica.delta(body.vv),
            since: body.vv,
          });
        }
        break;
      case "g-delta":
        // An answer to a digest this peer sent before it restarted empty: its version vector
        // covers records left out because the old state had them. The next exchange brings them.
        if (body.since && replica.isBehind(body.since)) break;
        replica.merge(body.delta, { now });
        if (body.want && replica.hasNewsFor(body.want)) {
          this.#send(msg.from, {
            kind: "g-delta",
            delta: replica.delta(body.want),
            since: body.want,
          });
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
        if (msg.corr !== undefined) this.#serve(msg, body, now);
    }
    this.#noteChange(now);
  }

  #serve(msg: Envelope, body: StoreRequest, now: number): void {
    const replica = this.#replica;
    const answer = (body: unknown) => void this.#out.push({ kind: "reply", request: msg, body });
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

  #leave(now: number): void {
    const farewell = this.#members.farewell();
    const partners = this.#members.pick(Math.max(this.#s.fanout, 2), this.#random);
    const delta = this.#replica.snapshot();
    for (const p of partners) {
      this.#send(
        p,
        farewell ? { kind: "g-leave", delta, hb: farewell } : { kind: "g-leave", delta },
      );
    }
    this.#end("left", now);
  }

  #end(status: "left" | "done", now: number): void {
    this.#emit(status, now);
    this.#stopped = true;
  }

  /** The round's report: delivered (to `options.report`) and sent to the monitor. */
  #emit(status: PeerReport["status"], now: number): void {
    if (!this.#reports && this.#monitor === undefined) return;
    const report: PeerReport = {
      kind: "g-report",
      peer: this.#self,
      status,
      round: this.#round,
      t: now,
      hash: this.#replica.hash(),
      changedRound: this.#changedRound,
      changedAt: this.#changedAt,
      messages: this.#messages,
      bytes: this.#bytes,
      seen: this.#replica.seen,
      hot: this.#hot?.size ?? 0,
      suspects: this.#members.suspectCount(),
    };
    if (this.#reports) this.#out.push({ kind: "deliver", value: report });
    if (this.#monitor !== undefined) {
      this.#out.push({ kind: "send", to: this.#monitor, body: report });
    }
  }

  #send(to: string, body: GossipMessage): void {
    this.#messages++;
    // A second serialisation, only for whoever cannot count the frames on its network.
    if (this.#s.countBytes) this.#bytes += JSON.stringify(body).length;
    this.#out.push({ kind: "send", to, body });
  }
}
