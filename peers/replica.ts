/**
 * A peer's replicated state: a last-writer-wins map and an observed-remove set, both CRDTs whose
 * merge is commutative, associative and idempotent, so peers that exchanged the same updates
 * hold the same state whatever the order. Every update carries a dot (Lamport counter, origin);
 * a version vector summarises which updates a replica has seen, so two peers compare digests
 * first and then ship only the missing records (a {@link Delta}). Deletes leave tombstones that
 * expire after a time to live.
 * @module
 */
import { hasNews, type VersionVector } from "./_version_vector.ts";
import { type Entry, newer, stateHash, type Tag } from "./_replica_state.ts";
import {
  type Delta,
  type Json,
  type MapRecord,
  recordKey,
  type SetRecord,
} from "./replica_records.ts";

export type { VersionVector };
export * from "./replica_records.ts";

/** Options of {@link Replica.merge}. */
export interface MergeOptions {
  /** Local time, stamped on tombstones first seen here. @default 0 */
  readonly now?: number;
  /** Receives the key ({@link recordKey}) of every record that changed this replica. @default none */
  readonly fresh?: string[];
  /** Receives the key of every record this replica already had. @default none */
  readonly known?: string[];
}

/**
 * A replica of the peers' shared state.
 *
 * @example Two replicas converge whatever the order of their merges
 * ```ts
 * import assert from "node:assert/strict";
 * import { Replica } from "./replica.ts";
 * const a = new Replica("a"), b = new Replica("b");
 * a.put("x", 1);
 * b.put("x", 2);            // concurrent write: the higher (counter, origin) wins
 * b.add("red");
 * a.merge(b.delta(a.digest()));
 * b.merge(a.delta(b.digest()));
 * assert.equal(a.get("x"), 2);
 * assert.deepEqual(a.elements(), ["red"]);
 * assert.equal(a.hash(), b.hash());
 * ```
 */
export class Replica {
  /** The origin id stamped on this replica's own updates. */
  readonly origin: string;
  #clock = 0;
  #version = 0;
  #vv: Record<string, number> = Object.create(null);
  /** The keys of `#vv`, in the order they came: a loop over them, not a for-in over a dictionary. */
  #origins: string[] = [];
  #map = new Map<string, Entry>();
  #set: Map<string, Map<string, Tag>> | undefined;
  #tombstones: Map<string, number> | undefined;
  #hash: string | undefined;
  /** The frozen copy {@link digest} hands out until the next change. */
  #digest: VersionVector | undefined;

  /** Creates an empty replica whose own updates carry `origin`. */
  constructor(origin: string) {
    if (typeof origin !== "string" || origin === "") {
      throw new TypeError(
        `Cannot create replica: origin ${JSON.stringify(origin)} must be a non-empty string`,
      );
    }
    this.origin = origin;
  }

  /** Grows on every change of state; equal versions mean nothing changed in between. */
  get version(): number {
    return this.#version;
  }

  /** The live value of `key`, or `undefined`. */
  get(key: string): Json | undefined {
    const entry = this.#map.get(key);
    return entry === undefined || entry.deleted ? undefined : entry.value;
  }

  /** The live keys, sorted. */
  keys(): string[] {
    const keys: string[] = [];
    for (const [key, entry] of this.#map) if (!entry.deleted) keys.push(key);
    return keys.sort();
  }

  /** Writes `key`. */
  put(key: string, value: Json): void {
    if (typeof key !== "string") {
      throw new TypeError(`Cannot put key ${JSON.stringify(key)}: keys are strings`);
    }
    const c = this.#tick();
    this.#map.set(key, { value, c, o: this.origin, deleted: false });
  }

  /** Deletes `key`, leaving a tombstone stamped `now`; `false` when it was not live. */
  delete(key: string, now = 0): boolean {
    const entry = this.#map.get(key);
    if (entry === undefined || entry.deleted) return false;
    const c = this.#tick();
    this.#map.set(key, { value: null, c, o: this.origin, deleted: true });
    this.#stone(`m\0${key}`, now);
    return true;
  }

  /** Adds `element` to the set (a new tag: an add concurrent with a remove survives it). */
  add(element: string): void {
    if (typeof element !== "string") {
      throw new TypeError(`Cannot add element ${JSON.stringify(element)}: elements are strings`);
    }
    const c = this.#tick();
    this.#tags(element).set(`${this.origin}:${c}`, { c, o: this.origin, rc: 0, ro: "" });
  }

  /** Removes the tags of `element` observed here; `false` when it was not present. */
  remove(element: string, now = 0): boolean {
    const tags = this.#set?.get(element);
    if (tags === undefined) return false;
    let live = false;
    for (const tag of tags.values()) if (tag.rc === 0) live = true;
    if (!live) return false;
    const c = this.#tick();
    for (const [key, tag] of tags) {
      if (tag.rc !== 0) continue;
      tag.rc = c;
      tag.ro = this.origin;
      this.#stone(`s\0${element}\0${key}`, now);
    }
    return true;
  }

  /** Whether `element` is in the set. */
  has(element: string): boolean {
    const tags = this.#set?.get(element);
    if (tags === undefined) return false;
    for (const tag of tags.values()) if (tag.rc === 0) return true;
    return false;
  }

  /** The elements of the set, sorted. */
  elements(): string[] {
    const out: string[] = [];
    if (this.#set) {
      for (const element of this.#set.keys()) if (this.has(element)) out.push(element);
    }
    return out.sort();
  }

  /**
   * A copy of the version vector: the digest sent before any update. Frozen, and the same
   * object until the replica changes (a peer sends one to every partner of a round).
   */
  digest(): VersionVector {
    return this.#digest ??= Object.freeze({ ...this.#vv });
  }

  /** How many updates the replica has seen: the sum of its version vector. */
  get seen(): number {
    let total = 0;
    for (const origin of this.#origins) total += this.#vv[origin];
    return total;
  }

  /** Whether this replica has an update that a replica with digest `vv` lacks. */
  hasNewsFor(vv: VersionVector): boolean {
    const mine = this.#vv, origins = this.#origins;
    for (let i = 0; i < origins.length; i++) {
      const origin = origins[i];
      if (mine[origin] > (vv[origin] ?? 0)) return true;
    }
    return false;
  }

  /** Whether a replica with digest `vv` has an update this one lacks. */
  isBehind(vv: VersionVector): boolean {
    return hasNews(vv, this.#vv);
  }

  /** The records a replica with digest `since` lacks, and this replica's version vector. */
  delta(since: VersionVector): Delta {
    const map: MapRecord[] = [];
    for (const [key, e] of this.#map) {
      if (e.c > (since[e.o] ?? 0)) {
        map.push(e.deleted ? [key, null, e.c, e.o, 1] : [key, e.value, e.c, e.o]);
      }
    }
    const set: SetRecord[] = [];
    if (this.#set) {
      for (const [element, tags] of this.#set) {
        for (const t of tags.values()) {
          const fresh = t.c > (since[t.o] ?? 0) || (t.rc !== 0 && t.rc > (since[t.ro] ?? 0));
          if (fresh) set.push(t.rc === 0 ? [element, t.c, t.o] : [element, t.c, t.o, t.rc, t.ro]);
        }
      }
    }
    const delta: { vv: VersionVector; map?: MapRecord[]; set?: SetRecord[] } = {
      vv: this.digest(),
    };
    if (map.length > 0) delta.map = map;
    if (set.length > 0) delta.set = set;
    return delta;
  }

  /** Everything this replica holds, tombstones included. */
  snapshot(): Delta {
    return this.delta({});
  }

  /** The records whose {@link recordKey} is in `keys` (for rumour mongering); an empty vector. */
  select(keys: ReadonlySet<string>): Delta {
    const all = this.snapshot();
    const map = all.map?.filter((r) => keys.has(recordKey(r)));
    const set = all.set?.filter((r) => keys.has(recordKey(r, true)));
    const delta: { vv: VersionVector; map?: MapRecord[]; set?: SetRecord[] } = { vv: {} };
    if (map && map.length > 0) delta.map = map;
    if (set && set.length > 0) delta.set = set;
    return delta;
  }

  /** Merges `delta`; returns the number of records that changed this replica. */
  merge(delta: Delta, options: MergeOptions = {}): number {
    const now = options.now ?? 0;
    let fresh = 0;
    const vv = this.#vv;
    let changed = false;
    for (const record of delta.map ?? []) {
      const [key, value, c, o, deleted] = record;
      this.#see(c, o) && (changed = true);
      const current = this.#map.get(key);
      if (current === undefined || newer(c, o, current.c, current.o)) {
        this.#map.set(key, { value: deleted ? null : value, c, o, deleted: deleted === 1 });
        if (deleted) this.#stone(`m\0${key}`, now);
        else this.#tombstones?.delete(`m\0${key}`);
        fresh++;
        options.fresh?.push(recordKey(record));
      } else {
        options.known?.push(recordKey(record));
      }
    }
    for (const record of delta.set ?? []) {
      const [element, c, o, rc = 0, ro = ""] = record;
      this.#see(c, o) && (changed = true);
      if (rc !== 0) this.#see(rc, ro) && (changed = true);
      const tags = this.#tags(element);
      const key = `${o}:${c}`;
      const tag = tags.get(key);
      if (tag === undefined || (rc !== 0 && newer(rc, ro, tag.rc, tag.ro))) {
        if (tag === undefined) tags.set(key, { c, o, rc, ro });
        else {
          tag.rc = rc;
          tag.ro = ro;
        }
        if (rc !== 0) this.#stone(`s\0${element}\0${key}`, now);
        fresh++;
        options.fresh?.push(recordKey(record, true));
      } else {
        options.known?.push(recordKey(record, true));
      }
    }
    for (const origin in delta.vv) {
      const c = delta.vv[origin];
      if (c > (vv[origin] ?? 0)) {
        if (vv[origin] === undefined) this.#origins.push(origin);
        vv[origin] = c;
        changed = true;
      }
      if (c > this.#clock) this.#clock = c;
    }
    if (changed || fresh > 0) this.#changed();
    return fresh;
  }

  /** Drops tombstones first seen `ttl` ms or more before `now`; returns how many. */
  expire(now: number, ttl: number): number {
    const stones = this.#tombstones;
    if (stones === undefined || stones.size === 0) return 0;
    let dropped = 0;
    for (const [id, seen] of stones) {
      if (now - seen < ttl) continue;
      stones.delete(id);
      dropped++;
      const parts = id.split("\0");
      if (parts[0] === "m") {
        if (this.#map.get(parts[1])?.deleted) this.#map.delete(parts[1]);
      } else {
        const tags = this.#set?.get(parts[1]);
        if (tags?.get(parts[2])?.rc) tags.delete(parts[2]);
        if (tags?.size === 0) this.#set?.delete(parts[1]);
      }
    }
    return dropped;
  }

  /** Tombstones currently kept. */
  get tombstones(): number {
    return this.#tombstones?.size ?? 0;
  }

  /**
   * A deterministic hash (SHA-256, 16 hex digits) of the canonical state: the version vector
   * and the live entries with their dots. Tombstones are left out unless asked for, since they
   * expire at different times on different peers.
   */
  hash(options: { tombstones?: boolean } = {}): string {
    if (!options.tombstones && this.#hash !== undefined) return this.#hash;
    const hash = stateHash(this.#vv, this.#map, this.#set, options.tombstones);
    if (!options.tombstones) this.#hash = hash;
    return hash;
  }

  #tick(): number {
    const c = ++this.#clock;
    if (this.#vv[this.origin] === undefined) this.#origins.push(this.origin);
    this.#vv[this.origin] = c;
    this.#changed();
    return c;
  }

  #see(c: number, o: string): boolean {
    if (c > this.#clock) this.#clock = c;
    if (c > (this.#vv[o] ?? 0)) {
      if (this.#vv[o] === undefined) this.#origins.push(o);
      this.#vv[o] = c;
      return true;
    }
    return false;
  }

  #changed(): void {
    this.#version++;
    this.#hash = undefined;
    this.#digest = undefined;
  }

  #tags(element: string): Map<string, Tag> {
    const set = this.#set ??= new Map();
    let tags = set.get(element);
    if (tags === undefined) set.set(element, tags = new Map());
    return tags;
  }

  #stone(id: string, now: number): void {
    const stones = this.#tombstones ??= new Map();
    if (!stones.has(id)) stones.set(id, now);
  }
}
