/**
 * A peer's view of who else is there, and the choice of random partners.
 *
 * `static` membership is the shared list of initial peers (never copied, so 10,000 peers cost
 * one array) plus the senders it hears from, minus those that said goodbye. `heartbeat`
 * membership gossips a table of heartbeat counters (van Renesse's gossip-style failure
 * detector): a peer whose counter has not grown for `suspectAfter` ms is suspected and no longer
 * chosen, except for an occasional probe so that a healed partition is noticed. A negative
 * counter marks a peer that left; a peer that finds itself marked left or behind refutes it by
 * jumping its own counter (as SWIM's incarnation numbers do), so a restarted peer rejoins.
 * @module
 */

/** How peers know each other. */
export type MembershipKind = "static" | "heartbeat";

/** A heartbeat table as it travels: address to counter (negative: the peer left). */
export type HeartbeatTable = Readonly<Record<string, number>>;

interface Beat {
  hb: number;
  at: number;
}

/** The membership view of one peer. */
export class Membership {
  readonly #self: string;
  readonly #peers: readonly string[];
  readonly #suspectAfter: number;
  readonly #probe: number;
  #extra: string[] | undefined;
  #checked: Set<string> | undefined;
  #gone: Set<string> | undefined;
  #table: Map<string, Beat> | undefined;
  #alive: string[] = [];
  #suspects: string[] = [];

  /** Creates the view; with `heartbeat`, every initial peer starts as heard-from at `now`. */
  constructor(
    self: string,
    options: {
      peers: readonly string[];
      kind: MembershipKind;
      suspectAfter: number;
      probe: number;
      now: number;
    },
  ) {
    this.#self = self;
    this.#peers = options.peers;
    this.#suspectAfter = options.suspectAfter;
    this.#probe = options.probe;
    if (options.kind === "heartbeat") {
      this.#table = new Map();
      for (const peer of options.peers) this.#table.set(peer, { hb: 0, at: options.now });
      this.#table.set(self, { hb: 0, at: options.now });
      this.#refresh(options.now);
    }
  }

  /** Heard from `address` (any gossip message): a static view learns joiners this way. */
  learn(address: string, now: number): void {
    if (address === this.#self) return;
    if (this.#table) {
      if (!this.#table.has(address)) {
        this.#table.set(address, { hb: 0, at: now });
        this.#alive.push(address);
      }
      return;
    }
    const checked = this.#checked ??= new Set();
    if (checked.has(address) || this.#gone?.has(address)) return;
    checked.add(address);
    if (!this.#peers.includes(address)) (this.#extra ??= []).push(address);
  }

  /** `address` said goodbye. */
  leave(address: string): void {
    (this.#gone ??= new Set()).add(address);
    const beat = this.#table?.get(address);
    if (beat && beat.hb >= 0) beat.hb = -(beat.hb + 1);
  }

  /** Starts a round: bumps this peer's heartbeat and recomputes who is suspected. */
  tick(now: number): void {
    const own = this.#table?.get(this.#self);
    if (own === undefined) return;
    own.hb++;
    own.at = now;
    this.#refresh(now);
  }

  /** The heartbeat table to piggyback on a digest, or `undefined` with static membership. */
  table(): HeartbeatTable | undefined {
    if (this.#table === undefined) return undefined;
    const out: Record<string, number> = {};
    for (const [address, beat] of this.#table) out[address] = beat.hb;
    return out;
  }

  /** This peer's table with itself marked as leaving. */
  farewell(): HeartbeatTable | undefined {
    const own = this.#table?.get(this.#self);
    if (own) own.hb = -(Math.abs(own.hb) + 1);
    return this.table();
  }

  /** Merges a received table: higher counters (by magnitude; a leave wins a tie) count as news. */
  merge(table: HeartbeatTable, now: number): void {
    const mine = this.#table;
    if (mine === undefined) return;
    let added = false;
    for (const address in table) {
      const hb = table[address];
      const beat = mine.get(address);
      if (address === this.#self) {
        const behind = hb < 0 ? -hb >= Math.abs(beat?.hb ?? 0) : hb > (beat?.hb ?? 0);
        if (beat && beat.hb >= 0 && behind) beat.hb = Math.abs(hb) + 1;
        continue;
      }
      if (beat === undefined) {
        mine.set(address, { hb, at: now });
        added = true;
      } else if (
        Math.abs(hb) > Math.abs(beat.hb) || (Math.abs(hb) === Math.abs(beat.hb) && hb < beat.hb)
      ) {
        beat.hb = hb;
        beat.at = now;
        added = true;
      }
    }
    if (added) this.#refresh(now);
  }

  /** Peers currently suspected of having failed (heartbeat membership only). */
  suspects(): readonly string[] {
    return this.#suspects;
  }

  /** Up to `count` distinct partners other than this peer, drawn with `random`. */
  pick(count: number, random: () => number): string[] {
    if (this.#table) {
      const out = sample(this.#alive, count, random, this.#self, undefined);
      if (this.#suspects.length > 0 && random() < this.#probe) {
        const probe = this.#suspects[Math.floor(random() * this.#suspects.length)];
        if (out.length < count) out.push(probe);
        else out[out.length - 1] = probe;
      }
      return out;
    }
    return sample(this.#peers, count, random, this.#self, this.#gone, this.#extra);
  }

  #refresh(now: number): void {
    const alive: string[] = [], suspects: string[] = [];
    for (const [address, beat] of this.#table!) {
      if (address === this.#self || beat.hb < 0) continue;
      if (now - beat.at >= this.#suspectAfter) suspects.push(address);
      else alive.push(address);
    }
    this.#alive = alive;
    this.#suspects = suspects;
  }
}

/** Draws up to `count` distinct members of `list` and `extra`, skipping `self` and `gone`. */
function sample(
  list: readonly string[],
  count: number,
  random: () => number,
  self: string,
  gone: ReadonlySet<string> | undefined,
  extra: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const first = list.length, n = first + extra.length;
  if (n > 4 * count + 8) {
    // Rejection sampling: cheap and allocation-free for large views.
    for (let tries = 0; out.length < count && tries < 8 * count + 16; tries++) {
      const i = Math.floor(random() * n);
      const candidate = i < first ? list[i] : extra[i - first];
      if (candidate === self || gone?.has(candidate) || out.includes(candidate)) continue;
      out.push(candidate);
    }
    if (out.length === count) return out;
  }
  const pool = [...list, ...extra].filter((p) => p !== self && !gone?.has(p) && !out.includes(p));
  while (out.length < count && pool.length > 0) {
    const i = Math.floor(random() * pool.length);
    out.push(pool[i]);
    pool[i] = pool[pool.length - 1];
    pool.pop();
  }
  return out;
}
