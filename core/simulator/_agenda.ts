/**
 * The simulator's pending events: a binary heap for events at any time, plus lanes for timers.
 * Timers of one delay set at a time that never goes back fall due in the order they were set,
 * so each such delay gets a first-in first-out lane: setting a timer appends to its lane and
 * cancelling one ({@link Agenda.cancel}) leaves only its time and sequence in its place, with no
 * sifting through a heap (a request's timeout, set and cancelled once per request, costs an
 * append, and its object dies young). The earliest event is the least, by (time, sequence), of
 * the heap's top and the lanes' fronts: the order is exactly the one heap's, cancelled events
 * surfacing (and compaction dropping them) as they would from it, so runs that stop at a time
 * or an event count end exactly as before. An emptied lane stays for the next timer of its
 * delay; past {@link MAX_LANES}, an empty one takes a new delay. Only whole-ms delays get lanes
 * (a wait until a deadline is a fraction, seldom twice the same: it goes to the heap).
 *
 * An event is its object only while the object's sequence is the one it was scheduled under: a
 * timer task cancelled and then set again (re-armed in place, with a new time and sequence, no
 * new object) leaves its earlier place a ghost, as a cancelled event it surfaces as (see
 * {@link Agenda.takeDue}). So an owner may reuse a timer object once it is cancelled or has run.
 * @module
 */
import { KeyedHeap, type Scheduled } from "./_heap.ts";

/** At most this many lanes at once; timers of further delays go to the heap. */
const MAX_LANES = 8;

/** Places a lane's ring starts with (it doubles when full). */
const LANE_RING = 1024;

/** The run of a cancelled event: nothing. */
const NOTHING = (): void => {};

/**
 * A run of events whose (time, sequence) only grows: the front is the earliest. A ring: setting
 * and taking the front move indices only. A timer cancelled through {@link Lane.cancel} stays in
 * its place as its time and sequence only (a ghost): it surfaces and is counted exactly as the
 * cancelled timer would, but the timer's object is let go at once (a request's timeout, set and
 * cancelled once per request, dies young instead of waiting for compaction).
 */
class Lane {
  /** The delay of its timers (an empty lane may take another, see `Agenda.pushTimer`). */
  delay: number;
  /** Its place among the agenda's lanes (below {@link MAX_LANES}). */
  readonly index: number;
  #ring: (Scheduled | undefined)[] = new Array(LANE_RING);
  #t = new Float64Array(LANE_RING);
  #seq = new Float64Array(LANE_RING);
  #mask = LANE_RING - 1;
  #head = 0;
  size = 0;
  /** How many of its events are ghosts. */
  #ghosts = 0;
  /** What {@link Lane.front} shows for a ghost (one object, refilled). */
  readonly #ghost: Scheduled = { t: 0, seq: 0, run: NOTHING, cancelled: true };

  constructor(delay: number, index: number) {
    this.delay = delay;
    this.index = index;
  }

  front(): Scheduled | undefined {
    if (this.size === 0) return undefined;
    return this.#at(this.#head);
  }

  /** The front when it is a live event (the lane is not empty), else `undefined`. */
  frontLive(): Scheduled | undefined {
    const head = this.#head, item = this.#ring[head];
    return item !== undefined && !item.cancelled && item.seq === this.#seq[head] ? item : undefined;
  }

  /** The time of the front (the lane is not empty). */
  frontT(): number {
    return this.#t[this.#head];
  }

  /** The sequence of the front (the lane is not empty). */
  frontSeq(): number {
    return this.#seq[this.#head];
  }

  push(item: Scheduled): void {
    if (this.size > this.#mask) this.#grow();
    const at = (this.#head + this.size++) & this.#mask;
    // Where it is, for a cancel: its place in the ring and the lane's (moved by a compaction or
    // a growth of the ring: then checked and found stale).
    item.slot = at * MAX_LANES + this.index;
    this.#ring[at] = item;
    this.#t[at] = item.t;
    this.#seq[at] = item.seq;
  }

  shift(): void {
    if (this.#ring[this.#head] === undefined) this.#ghosts--;
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.size--;
  }

  /** {@link Lane.cancel} when `item` waits at place `at` of the ring, else `false`. */
  cancelAt(at: number, item: Scheduled): boolean {
    const ring = this.#ring;
    if (ring[at] !== item || this.#seq[at] !== item.seq) return false;
    ring[at] = undefined;
    this.#ghosts++;
    return true;
  }

  /**
   * Makes `item` a ghost when it waits in this lane (marked cancelled, its place kept); `false`
   * when it is not here.
   */
  cancel(item: Scheduled): boolean {
    const size = this.size;
    if (size === 0) return false;
    const ring = this.#ring, mask = this.#mask, head = this.#head;
    // The newest (a request answered before the next one) or the oldest, else by sequence.
    const seq = item.seq, seqs = this.#seq;
    let at = (head + size - 1) & mask;
    if (ring[at] !== item || seqs[at] !== seq) {
      at = head;
      if (ring[at] !== item || seqs[at] !== seq) {
        const place = this.#find(seq);
        if (place < 0) return false;
        at = (head + place) & mask;
        if (ring[at] !== item) return false;
      }
    }
    item.cancelled = true;
    ring[at] = undefined;
    this.#ghosts++;
    return true;
  }

  /** The place (from the front) of the event of sequence `target` (they grow along the lane), or -1. */
  #find(target: number): number {
    const seqs = this.#seq, mask = this.#mask, head = this.#head;
    let low = 0, high = this.size - 1;
    // Outside the lane's span (most of the events asked for in another lane): no search.
    if (high < 0 || target < seqs[head] || target > seqs[(head + high) & mask]) return -1;
    while (low <= high) {
      const mid = (low + high) >> 1, seq = seqs[(head + mid) & mask];
      if (seq === target) return mid;
      if (seq < target) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }

  /** The events in order, ghosts as cancelled events of their own. */
  items(): Scheduled[] {
    const out: Scheduled[] = [];
    for (let i = 0; i < this.size; i++) {
      const at = (this.#head + i) & this.#mask, item = this.#ring[at];
      out.push(
        item !== undefined && item.seq === this.#seq[at]
          ? item
          : this.#ghostAt(at, { t: 0, seq: 0, run: NOTHING, cancelled: true }),
      );
    }
    return out;
  }

  /** Drops the cancelled events and ghosts, in place; returns how many. */
  compact(): number {
    const ring = this.#ring, mask = this.#mask, size = this.size, head = this.#head;
    const ghosts = this.#ghosts;
    this.#ghosts = 0;
    if (ghosts === size) {
      // Ghosts only (requests answered while time stood still): nothing to move.
      this.size = 0;
      return size;
    }
    let kept = 0;
    for (let i = 0; i < size; i++) {
      const from = (head + i) & mask, item = ring[from];
      ring[from] = undefined;
      if (item === undefined || item.cancelled || item.seq !== this.#seq[from]) continue;
      const to = (head + kept++) & mask;
      ring[to] = item;
      this.#t[to] = this.#t[from];
      this.#seq[to] = this.#seq[from];
    }
    this.size = kept;
    return size - kept;
  }

  #at(at: number): Scheduled {
    const item = this.#ring[at];
    return item !== undefined && item.seq === this.#seq[at] ? item : this.#ghostAt(at, this.#ghost);
  }

  #ghostAt(at: number, ghost: Scheduled): Scheduled {
    ghost.t = this.#t[at];
    ghost.seq = this.#seq[at];
    return ghost;
  }

  #grow(): void {
    const n = this.#ring.length, mask = this.#mask, head = this.#head;
    const ring = new Array<Scheduled | undefined>(2 * n);
    const t = new Float64Array(2 * n), seq = new Float64Array(2 * n);
    for (let i = 0; i < this.size; i++) {
      const from = (head + i) & mask;
      ring[i] = this.#ring[from];
      t[i] = this.#t[from];
      seq[i] = this.#seq[from];
    }
    this.#ring = ring;
    this.#t = t;
    this.#seq = seq;
    this.#mask = 2 * n - 1;
    this.#head = 0;
  }
}

/**
 * Pending events in (time, sequence) order, cancelled ones included until they surface.
 *
 * @example Timers in lanes and events in the heap come out in one order
 * ```ts
 * import assert from "node:assert/strict";
 * import { Agenda } from "./_agenda.ts";
 * const agenda = new Agenda();
 * const run = () => {};
 * agenda.pushTimer({ t: 5, seq: 0, run, cancelled: false }, 5);
 * agenda.push({ t: 3, seq: 1, run, cancelled: false });
 * agenda.pushTimer({ t: 5, seq: 2, run, cancelled: false }, 5);
 * const order: number[] = [];
 * while (agenda.size > 0) order.push(agenda.pop()!.seq);
 * assert.deepEqual(order, [1, 0, 2]);
 * ```
 */
export class Agenda {
  /** Events that are not lane timers, and the front of each lane that has one. */
  readonly #heap = new KeyedHeap<Scheduled | Lane>();
  readonly #lanes = new Map<number, Lane>();
  #active: Lane[] = [];
  #laneItems = 0;
  /** How many events the heap holds (the lanes' fronts aside). */
  #plain = 0;
  /** The lane of the last timer (a run sets timers of one delay in a row). */
  #last: Lane | undefined = undefined;
  /** The lane of the last timer cancelled. */
  #hit: Lane | undefined = undefined;
  /** What {@link Agenda.peek} shows for a ghost in the heap (one object, refilled). */
  readonly #ghost: Scheduled = { t: 0, seq: 0, run: NOTHING, cancelled: true };
  /** How many cancelled events the last {@link Agenda.takeDue} took out. */
  skipped = 0;

  /** Number of events, cancelled ones included. */
  get size(): number {
    return this.#plain + this.#laneItems;
  }

  /** Every event (not sorted), cancelled ones included. */
  all(): readonly Scheduled[] {
    const all: Scheduled[] = [];
    const heap = this.#heap;
    for (let i = 0; i < heap.size; i++) {
      const ref = heap.at(i);
      if (ref instanceof Lane) continue;
      const seq = heap.seqAt(i);
      all.push(ref.seq === seq ? ref : { t: heap.tAt(i), seq, run: NOTHING, cancelled: true });
    }
    for (const lane of this.#active) all.push(...lane.items());
    return all;
  }

  /** Adds an event. */
  push(item: Scheduled): void {
    item.slot = -1;
    this.#plain++;
    this.#heap.push(item.t, item.seq, item);
  }

  /**
   * Adds a timer set `delay` ms after the current time: `item.t` must not be below that of any
   * timer of the same delay added before (time does not go back).
   */
  pushTimer(item: Scheduled, delay: number): void {
    // A wait left until a deadline (a fraction of a ms, seldom the same twice) would take a lane
    // for a timer or two, and crowd out the delays that recur: it goes to the heap.
    if (!Number.isInteger(delay)) return this.push(item);
    let lane = this.#last;
    if (lane === undefined || lane.delay !== delay) lane = this.#lanes.get(delay);
    if (lane === undefined) {
      if (this.#active.length < MAX_LANES) {
        lane = new Lane(delay, this.#active.length);
        this.#active.push(lane);
      } else {
        // An empty lane takes the new delay (its ring kept): no lane is made and dropped per delay.
        lane = this.#active.find((l) => l.size === 0);
        if (lane === undefined) return this.push(item);
        this.#lanes.delete(lane.delay);
        lane.delay = delay;
      }
      this.#lanes.set(delay, lane);
    }
    lane.push(item);
    // A lane's front is in the heap while the lane holds events: a new front goes in.
    if (lane.size === 1) this.#heap.push(item.t, item.seq, lane);
    this.#laneItems++;
    this.#last = lane;
  }

  /** The earliest event, without removing it. */
  peek(): Scheduled | undefined {
    const heap = this.#heap, top = heap.top();
    if (top instanceof Lane) return top.front();
    return top === undefined || top.seq === heap.topSeq() ? top : this.#heapGhost();
  }

  /** Removes and returns the earliest event. */
  pop(): Scheduled | undefined {
    const heap = this.#heap;
    const top = heap.top();
    if (!(top instanceof Lane)) {
      if (top === undefined) return undefined;
      const item = top.seq === heap.topSeq() ? top : this.#heapGhost();
      heap.removeTop();
      this.#plain--;
      return item;
    }
    const item = top.front();
    top.shift();
    this.#laneItems--;
    if (top.size > 0) heap.rekeyTop(top.frontT(), top.frontSeq());
    else heap.removeTop();
    return item;
  }

  /**
   * Removes and returns the earliest event that is not cancelled when it is due by `until`,
   * taking out the cancelled events before it that are due by then too, as many
   * {@link Agenda.pop}s would (their number in {@link Agenda.skipped}); `undefined` when none
   * is, the agenda then empty or its earliest event, cancelled or not, after `until`.
   */
  takeDue(until: number): Scheduled | undefined {
    const heap = this.#heap;
    let skipped = 0;
    for (let top = heap.top(); top !== undefined; top = heap.top()) {
      if (heap.topT() > until) break;
      let item: Scheduled | undefined;
      if (top instanceof Lane) {
        item = top.frontLive();
        top.shift();
        this.#laneItems--;
        if (top.size > 0) heap.rekeyTop(top.frontT(), top.frontSeq());
        else heap.removeTop();
      } else {
        item = top.cancelled || top.seq !== heap.topSeq() ? undefined : top;
        heap.removeTop();
        this.#plain--;
      }
      if (item !== undefined) {
        this.skipped = skipped;
        return item;
      }
      skipped++;
    }
    this.skipped = skipped;
    return undefined;
  }

  /** The ghost of the heap's top event: an event cancelled, its object set again since. */
  #heapGhost(): Scheduled {
    const ghost = this.#ghost, heap = this.#heap;
    ghost.t = heap.topT();
    ghost.seq = heap.topSeq();
    return ghost;
  }

  /**
   * Cancels `item`: it is skipped when it surfaces. A timer in a lane leaves only its time and
   * sequence there (see `Lane`); the order of events, cancelled ones included, is unchanged.
   */
  cancel(item: Scheduled): void {
    item.cancelled = true;
    // Where the timer was put in a lane, when it is still there.
    const slot = item.slot;
    if (slot !== undefined) {
      // In the heap: it stays there, cancelled, until it surfaces.
      if (slot < 0) return;
      const lane = this.#active[slot % MAX_LANES];
      if (lane !== undefined && lane.cancelAt(Math.floor(slot / MAX_LANES), item)) return;
    }
    // Else the lane of the last timer cancelled (a run cancels timers of one kind in a row), then
    // the lane of the last timer set, then the others.
    const hit = this.#hit, last = this.#last;
    if (hit !== undefined && hit.cancel(item)) return;
    if (last !== undefined && last !== hit && last.cancel(item)) {
      this.#hit = last;
      return;
    }
    const active = this.#active;
    for (let i = 0; i < active.length; i++) {
      const lane = active[i];
      if (lane !== hit && lane !== last && lane.cancel(item)) {
        this.#hit = lane;
        return;
      }
    }
  }

  /** Drops every cancelled event. */
  compact(): void {
    const heap = this.#heap;
    const kept: Scheduled[] = [];
    for (let i = 0; i < heap.size; i++) {
      const ref = heap.at(i);
      if (!(ref instanceof Lane) && !ref.cancelled && ref.seq === heap.seqAt(i)) kept.push(ref);
    }
    heap.clear();
    this.#plain = kept.length;
    for (const item of kept) heap.push(item.t, item.seq, item);
    for (const lane of this.#active) {
      this.#laneItems -= lane.compact();
      if (lane.size > 0) heap.push(lane.frontT(), lane.frontSeq(), lane);
    }
  }
}
