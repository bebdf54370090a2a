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

/** How peers know each other. */
export type MembershipKind = "static" | "heartbeat";

/**
 * A heartbeat table as it travels: addresses and counters in turn (`[address, counter, ...]`;
 * negative: the peer left). A flat list, not an object keyed by address: every table has its own
 * set of addresses, and V8 makes hidden classes for each set of keys (parsing one such object
 * cost several times a list's). Its JSON is exactly as long as the object's.
 */
export type HeartbeatTable = readonly (string | number)[];

/** Most heartbeat entries a digest carries, and most peers a view tracks, by default. */
export const PIGGYBACK = 8;

interface Beat {
  hb: number;
  at: number;
}

const memberSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** One set per shared list of initial peers (not one per peer). */
function setOf(list: readonly string[]): ReadonlySet<string> {
  let set = memberSets.get(list);
  if (set === undefined) memberSets.set(list, set = new Set(list));
  return set;
}

/** The membership view of one peer. */
export class Membership {
  readonly #self: string;
  readonly #peers: readonly string[];
  readonly #suspectAfter: number;
  readonly #probe: number;
  readonly #piggyback: number;
  #extra: string[] | undefined;
  #checked: Set<string> | undefined;
  #gone: Set<string> | undefined;
  /** Heartbeat: tracked peers, oldest news first (news moves an entry to the end). */
  #table: Map<string, Beat> | undefined;
  #own: Beat | undefined;
  /** Heartbeat: tracked peers whose counter is negative (they left). */
  #out: Set<string> | undefined;
  #suspected: Set<string> | undefined;
  /** Heartbeat: addresses whose entry changed, newest last (may repeat). */
  #recent: string[] = [];
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
    this.#suspectAfter = options.suspectAfter;
    this.#probe = options.probe;
    this.#piggyback = Math.max(2, options.piggyback ?? PIGGYBACK);
    if (options.kind === "heartbeat") {
      this.#table = new Map();
      this.#own = { hb: 0, at: options.now };
      this.#out = new Set();
      this.#suspected = new Set();
      const others = options.peers.length - (setOf(options.peers).has(self) ? 1 : 0);
      this.#whole = others < this.#piggyback;
      if (this.#whole) {
        for (const peer of options.peers) {
          if (peer !== self) this.#table.set(peer, { hb: 0, at: options.now });
        }
      }
    }
  }

  /** Heard from `address` (any gossip message): a static view learns joiners this way. */
  learn(address: string, now: number): void {
    if (address === this.#self) return;
    if (this.#table) {
      this.#know(address);
      if (!this.#table.has(address)) this.#track(address, { hb: 0, at: now });
      return;
    }
    const checked = this.#checked ??= new Set();
    if (checked.has(address) || this.#gone?.has(address)) return;
    checked.add(address);
    this.#know(address);
  }

  /** `address` said goodbye. */
  leave(address: string): void {
    (this.#gone ??= new Set()).add(address);
    const table = this.#table;
    if (table === undefined) return;
    const beat = table.get(address);
    if (beat === undefined) this.#track(address, { hb: -1, at: this.#own!.at });
    else if (beat.hb >= 0) {
      beat.hb = -(beat.hb + 1);
      this.#out!.add(address);
      this.#suspected!.delete(address);
      this.#recent.push(address);
    }
  }

  /** Starts a round: bumps this peer's heartbeat and suspects the tracked peers gone silent. */
  tick(now: number): void {
    const own = this.#own;
    if (own === undefined) return;
    own.hb++;
    own.at = now;
    // Oldest news first: stop at the first peer heard of within suspectAfter.
    for (const [address, beat] of this.#table!) {
      if (now - beat.at < this.#suspectAfter) break;
      if (beat.hb >= 0) this.#suspected!.add(address);
    }
  }

  /** The heartbeat table to piggyback on a digest, or `undefined` with static membership. */
  table(): HeartbeatTable | undefined {
    const table = this.#table;
    if (table === undefined) return undefined;
    const out: (string | number)[] = [this.#self, this.#own!.hb];
    if (this.#whole && table.size < this.#piggyback) {
      for (const [address, beat] of table) out.push(address, beat.hb);
      return out;
    }
    // The most recent changes first, each once.
    const recent = this.#recent;
    const picked: string[] = [];
    for (let i = recent.length - 1; i >= 0 && picked.length < this.#piggyback - 1; i--) {
      const address = recent[i];
      if (address !== this.#self && !picked.includes(address) && table.has(address)) {
        picked.push(address);
      }
    }
    for (const address of picked) out.push(address, table.get(address)!.hb);
    if (recent.length > 4 * this.#piggyback) recent.splice(0, recent.length - this.#piggyback);
    return out;
  }

  /** This peer's table with itself marked as leaving. */
  farewell(): HeartbeatTable | undefined {
    const own = this.#own;
    if (own) own.hb = -(Math.abs(own.hb) + 1);
    return this.table();
  }

  /** Merges a received table: higher counters (by magnitude; a leave wins a tie) count as news. */
  merge(table: HeartbeatTable, now: number): void {
    const mine = this.#table;
    if (mine === undefined) return;
    for (let i = 0; i + 1 < table.length; i += 2) {
      const address = table[i] as string, hb = table[i + 1] as number;
      if (address === this.#self) {
        const own = this.#own!;
        const behind = hb < 0 ? -hb >= Math.abs(own.hb) : hb > own.hb;
        if (own.hb >= 0 && behind) own.hb = Math.abs(hb) + 1;
        continue;
      }
      const beat = mine.get(address);
      if (beat === undefined) {
        this.#know(address);
        this.#track(address, { hb, at: now });
      } else if (
        Math.abs(hb) > Math.abs(beat.hb) || (Math.abs(hb) === Math.abs(beat.hb) && hb < beat.hb)
      ) {
        // News: the entry moves to the end (the newest), and its peer is no longer suspected.
        mine.delete(address);
        beat.hb = hb;
        beat.at = now;
        mine.set(address, beat);
        this.#suspected!.delete(address);
        if (hb < 0) this.#out!.add(address);
        else this.#out!.delete(address);
        this.#recent.push(address);
      }
    }
  }

  /** How many peers are currently suspected of having failed (heartbeat membership only). */
  suspectCount(): number {
    return this.#suspected?.size ?? 0;
  }

  /** Up to `count` distinct partners other than this peer, drawn with `random`. */
  pick(count: number, random: () => number): string[] {
    const suspected = this.#suspected;
    if (suspected === undefined) {
      return sample(this.#peers, count, random, this.#self, this.#gone, undefined, this.#extra);
    }
    const out = sample(this.#peers, count, random, this.#self, this.#out, suspected, this.#extra);
    if (suspected.size > 0 && random() < this.#probe) {
      let i = Math.floor(random() * suspected.size);
      let probe = "";
      for (const address of suspected) {
        if (i-- === 0) {
          probe = address;
          break;
        }
      }
      if (out.length < count) out.push(probe);
      else out[out.length - 1] = probe;
    }
    return out;
  }

  /** Adds `address` to the known peers when it is not an initial one. */
  #know(address: string): void {
    if (setOf(this.#peers).has(address) || this.#extra?.includes(address)) return;
    (this.#extra ??= []).push(address);
  }

  /** Starts tracking `address` (newest), forgetting the peer with the oldest news beyond the bound. */
  #track(address: string, beat: Beat): void {
    const table = this.#table!;
    table.set(address, beat);
    if (beat.hb < 0) this.#out!.add(address);
    this.#recent.push(address);
    if (this.#whole && table.size < this.#piggyback) return;
    this.#whole = false;
    for (const oldest of table.keys()) {
      if (table.size <= this.#piggyback) break;
      table.delete(oldest);
      this.#suspected!.delete(oldest);
    }
  }
}

/** Draws up to `count` distinct members of `list` and `extra`, skipping `self` and the excluded. */
function sample(
  list: readonly string[],
  count: number,
  random: () => number,
  self: string,
  gone: ReadonlySet<string> | undefined,
  suspected: ReadonlySet<string> | undefined,
  extra: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const first = list.length, n = first + extra.length;
  const skip = (p: string) =>
    p === self || gone?.has(p) === true || suspected?.has(p) === true || out.includes(p);
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
