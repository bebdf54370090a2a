/**
 * A peer's view of who else is there, and the choice of random partners.
 *
 * `static` membership is the shared list of initial peers (never copied, so 10,000 peers cost
 * one array) plus the senders it hears from, minus those that said goodbye. `heartbeat`
 * membership gossips heartbeat counters (van Renesse's gossip-style failure detector): a peer
 * whose counter has not grown for `suspectAfter` ms is suspected and no longer chosen, except for
 * an occasional probe so that a healed partition is noticed. A negative counter marks a peer that
 * left; a peer that finds itself marked left or behind refutes it by jumping its own counter (as
 * SWIM's incarnation numbers do), so a restarted peer rejoins.
 *
 * Digests stay bounded, SWIM-style: a digest carries the sender's own counter and at most
 * `piggyback - 1` others, the most recent changes first; while the whole table fits (at most
 * `piggyback` peers) it carries the whole table. A peer tracks at most `piggyback` others, the
 * ones it heard news of last; a peer it does not track is presumed alive until it is heard of as
 * gone. Beyond `piggyback` peers, then, a crash is suspected only by the peers that still track
 * the crashed one, and every message stays the same size whatever the number of peers.
 * @module
 */

import { type Numbering, numberingOf, Tracked } from "./_tracked.ts";

/** How peers know each other. */
export type MembershipKind = "static" | "heartbeat";

/**
 * A heartbeat table as it travels: addresses and counters in turn (`[address, counter, ...]`;
 * negative: the peer left). A flat list, not an object keyed by address: every table has its own
 * set of addresses, and V8 makes hidden classes for each set of keys (parsing one such object
 * cost several times a list's). Its JSON is exactly as long as the object's.
 */
export type HeartbeatTable = readonly (string | number)[];

/** The numbers {@link Membership.table} picked so far: scratch, shared (a table is made at once). */
const PICKED: number[] = [];

/** Most heartbeat entries a digest carries, and most peers a view tracks, by default. */
export const PIGGYBACK = 8;

/** The membership view of one peer. */
export class Membership {
  readonly #self: string;
  readonly #peers: readonly string[];
  /** Every address met, numbered (shared by every view of the same list of initial peers). */
  readonly #numbering: Numbering;
  readonly #selfId: number;
  readonly #suspectAfter: number;
  readonly #probe: number;
  readonly #piggyback: number;
  #extra: string[] | undefined;
  #checked: Set<string> | undefined;
  #gone: Set<string> | undefined;
  /** Heartbeat: tracked peers, oldest news first. */
  #table: Tracked | undefined;
  #ownHb = 0;
  #ownAt = 0;
  /** Heartbeat: peers heard of with a negative counter (they left). */
  #out: Set<string> | undefined;
  /** Heartbeat: suspected peers (all tracked), in the order they were suspected. */
  #suspected: string[] | undefined;
  /** Heartbeat: numbers of the peers whose entry changed, newest last (may repeat). */
  #recent: number[] = [];
  /** Heartbeat: the table holds every peer this view knows, so a digest can carry it whole. */
  #whole = false;

  /** Creates the view; with `heartbeat`, every initial peer starts as heard-from at `now`. */
  constructor(
    self: string,
    options: {
      peers: readonly string[];
      kind: MembershipKind;
      suspectAfter: number;
      probe: number;
      now: number;
      piggyback?: number;
    },
  ) {
    this.#self = self;
    this.#peers = options.peers;
    this.#numbering = numberingOf(options.peers);
    this.#selfId = this.#numbering.idOf(self);
    this.#suspectAfter = options.suspectAfter;
    this.#probe = options.probe;
    this.#piggyback = Math.max(2, options.piggyback ?? PIGGYBACK);
    if (options.kind === "heartbeat") {
      const table = this.#table = new Tracked();
      this.#ownAt = options.now;
      this.#out = new Set();
      this.#suspected = [];
      const others = options.peers.length - (this.#selfId < this.#numbering.initial ? 1 : 0);
      this.#whole = others < this.#piggyback;
      if (this.#whole) {
        for (const peer of options.peers) {
          const id = this.#numbering.idOf(peer);
          if (id !== this.#selfId && table.indexOf(id) < 0) table.push(id, 0, options.now);
        }
      }
    }
  }

  /** Heard from `address` (any gossip message): a static view learns joiners this way. */
  learn(address: string, now: number): void {
    if (address === this.#self) return;
    if (this.#table) {
      const id = this.#numbering.idOf(address);
      this.#know(address, id);
      if (this.#table.indexOf(id) < 0) this.#track(id, 0, now);
      return;
    }
    const checked = this.#checked ??= new Set();
    if (checked.has(address) || this.#gone?.has(address)) return;
    checked.add(address);
    this.#know(address, this.#numbering.idOf(address));
  }

  /** `address` said goodbye. */
  leave(address: string): void {
    (this.#gone ??= new Set()).add(address);
    const table = this.#table;
    if (table === undefined) return;
    const id = this.#numbering.idOf(address);
    const i = table.indexOf(id);
    if (i < 0) this.#track(id, -1, this.#ownAt);
    else if (table.hbs[i] >= 0) {
      table.hbs[i] = -(table.hbs[i] + 1);
      this.#out!.add(address);
      this.#unsuspect(address);
      this.#recent.push(id);
    }
  }

  /** Starts a round: bumps this peer's heartbeat and suspects the tracked peers gone silent. */
  tick(now: number): void {
    const table = this.#table;
    if (table === undefined) return;
    this.#ownHb++;
    this.#ownAt = now;
    // Oldest news first: stop at the first peer heard of within suspectAfter.
    const suspected = this.#suspected!;
    for (let i = 0; i < table.size; i++) {
      if (now - table.ats[i] < this.#suspectAfter) break;
      const address = this.#numbering.names[table.ids[i]];
      if (table.hbs[i] >= 0 && !suspected.includes(address)) suspected.push(address);
    }
  }

  /** The heartbeat table to piggyback on a digest, or `undefined` with static membership. */
  table(): HeartbeatTable | undefined {
    const table = this.#table;
    if (table === undefined) return undefined;
    const names = this.#numbering.names;
    const out: (string | number)[] = [this.#self, this.#ownHb];
    const size = table.size;
    if (this.#whole && size < this.#piggyback) {
      for (let i = 0; i < size; i++) out.push(names[table.ids[i]], table.hbs[i]);
      return out;
    }
    // The most recent changes first, each once.
    const recent = this.#recent;
    const picks = this.#piggyback - 1;
    // Each number stands for one address: numbers compared, not the addresses' characters.
    const pickedIds = PICKED;
    for (let i = recent.length - 1, picked = 0; i >= 0 && picked < picks; i--) {
      const id = recent[i];
      if (id === this.#selfId || _picked(pickedIds, picked, id)) continue;
      const at = table.indexOf(id);
      if (at < 0) continue;
      out.push(names[id], table.hbs[at]);
      pickedIds[picked++] = id;
    }
    if (recent.length > 4 * this.#piggyback) recent.splice(0, recent.length - this.#piggyback);
    return out;
  }

  /** This peer's table with itself marked as leaving. */
  farewell(): HeartbeatTable | undefined {
    if (this.#table) this.#ownHb = -(Math.abs(this.#ownHb) + 1);
    return this.table();
  }

  /** Merges a received table: higher counters (by magnitude; a leave wins a tie) count as news. */
  merge(table: HeartbeatTable, now: number): void {
    const mine = this.#table;
    if (mine === undefined) return;
    for (let i = 0; i + 1 < table.length; i += 2) {
      const address = table[i] as string, hb = table[i + 1] as number;
      const id = this.#numbering.idOf(address);
      if (id === this.#selfId) {
        const own = this.#ownHb;
        const behind = hb < 0 ? -hb >= Math.abs(own) : hb > own;
        if (own >= 0 && behind) this.#ownHb = Math.abs(hb) + 1;
        continue;
      }
      const at = mine.indexOf(id);
      if (at < 0) {
        this.#know(address, id);
        this.#track(id, hb, now);
        continue;
      }
      const old = mine.hbs[at];
      if (Math.abs(hb) > Math.abs(old) || (Math.abs(hb) === Math.abs(old) && hb < old)) {
        // News: the entry moves to the end (the newest), and its peer is no longer suspected.
        mine.renew(at, hb, now);
        this.#unsuspect(address);
        const out = this.#out!;
        if (hb < 0) out.add(address);
        else if (out.size > 0) out.delete(address);
        this.#recent.push(id);
      }
    }
  }

  /** How many peers are currently suspected of having failed (heartbeat membership only). */
  suspectCount(): number {
    return this.#suspected?.length ?? 0;
  }

  /** Up to `count` distinct partners other than this peer, drawn with `random`. */
  pick(count: number, random: () => number): string[] {
    const suspected = this.#suspected;
    if (suspected === undefined) {
      return sample(this.#peers, count, random, this.#self, this.#gone, undefined, this.#extra);
    }
    const out = sample(this.#peers, count, random, this.#self, this.#out, suspected, this.#extra);
    if (suspected.length > 0 && random() < this.#probe) {
      const probe = suspected[Math.floor(random() * suspected.length)];
      if (out.length < count) out.push(probe);
      else out[out.length - 1] = probe;
    }
    return out;
  }

  /** Adds `address` (numbered `id`) to the known peers when it is not an initial one. */
  #know(address: string, id: number): void {
    if (id < this.#numbering.initial || this.#extra?.includes(address)) return;
    (this.#extra ??= []).push(address);
  }

  /** No longer suspects `address`. */
  #unsuspect(address: string): void {
    const suspected = this.#suspected!;
    if (suspected.length === 0) return;
    const i = suspected.indexOf(address);
    if (i >= 0) suspected.splice(i, 1);
  }

  /** Starts tracking peer `id` (newest), forgetting the peer with the oldest news beyond the bound. */
  #track(id: number, hb: number, at: number): void {
    const table = this.#table!;
    table.push(id, hb, at);
    if (hb < 0) this.#out!.add(this.#numbering.names[id]);
    this.#recent.push(id);
    if (this.#whole && table.size < this.#piggyback) return;
    this.#whole = false;
    while (table.size > this.#piggyback) {
      this.#unsuspect(this.#numbering.names[table.shift()]);
    }
  }
}

/** Whether `id` is among the first `count` numbers of `ids`. */
function _picked(ids: readonly number[], count: number, id: number): boolean {
  for (let i = 0; i < count; i++) if (ids[i] === id) return true;
  return false;
}

/** Draws up to `count` distinct members of `list` and `extra`, skipping `self` and the excluded. */
function sample(
  list: readonly string[],
  count: number,
  random: () => number,
  self: string,
  gone: ReadonlySet<string> | undefined,
  suspected: readonly string[] | undefined,
  extra: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const first = list.length, n = first + extra.length;
  // Most views exclude no one: no lookup of the candidate's address then.
  const excluding = (gone !== undefined && gone.size > 0) ||
    (suspected !== undefined && suspected.length > 0);
  const skip = (p: string) =>
    p === self || out.includes(p) ||
    (excluding && (gone?.has(p) === true || suspected?.includes(p) === true));
  if (n > 4 * count + 8) {
    // Rejection sampling: cheap and allocation-free for large views.
    for (let tries = 0; out.length < count && tries < 8 * count + 16; tries++) {
      const i = Math.floor(random() * n);
      const candidate = i < first ? list[i] : extra[i - first];
      if (skip(candidate)) continue;
      out.push(candidate);
    }
    if (out.length === count) return out;
  }
  const pool = [...list, ...extra].filter((p) => !skip(p));
  while (out.length < count && pool.length > 0) {
    const i = Math.floor(random() * pool.length);
    out.push(pool[i]);
    pool[i] = pool[pool.length - 1];
    pool.pop();
  }
  return out;
}
