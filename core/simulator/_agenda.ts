/**
 * The simulator's pending events: a binary heap for events at any time, plus lanes for timers.
 * Timers of one delay set at a time that never goes back fall due in the order they were set,
 * so each such delay gets a first-in first-out lane: setting a timer appends to its lane and
 * cancelling one only marks it, with no sifting through a heap (a request's timeout, set and
 * cancelled once per request, costs an append). The earliest event is the least, by (time,
 * sequence), of the heap's top and the lanes' fronts: the order is exactly the one heap's.
 * @module
 */
import { EventHeap, type Scheduled } from "./_heap.ts";

/** At most this many lanes at once; timers of further delays go to the heap. */
const MAX_LANES = 8;

/** A run of events whose (time, sequence) only grows: the front is the earliest. */
class Lane {
  readonly delay: number;
  items: Scheduled[] = [];
  head = 0;

  constructor(delay: number) {
    this.delay = delay;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  front(): Scheduled | undefined {
    return this.items[this.head];
  }

  shift(): void {
    this.items[this.head++] = undefined as unknown as Scheduled;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** Whether `a` comes before `b`. */
function before(a: Scheduled, b: Scheduled): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
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
  readonly #heap = new EventHeap();
  readonly #lanes = new Map<number, Lane>();
  #active: Lane[] = [];
  #laneItems = 0;
  /** The lane of the last timer (a run sets timers of one delay in a row). */
  #last: Lane | undefined = undefined;

  /** Number of events, cancelled ones included. */
  get size(): number {
    return this.#heap.size + this.#laneItems;
  }

  /** Every event (not sorted), cancelled ones included. */
  all(): readonly Scheduled[] {
    if (this.#laneItems === 0) return this.#heap.all();
    const all = [...this.#heap.all()];
    for (const lane of this.#active) all.push(...lane.items.slice(lane.head));
    return all;
  }

  /** Adds an event. */
  push(item: Scheduled): void {
    this.#heap.push(item);
  }

  /**
   * Adds a timer set `delay` ms after the current time: `item.t` must not be below that of any
   * timer of the same delay added before (time does not go back).
   */
  pushTimer(item: Scheduled, delay: number): void {
    let lane = this.#last;
    if (lane === undefined || lane.delay !== delay) lane = this.#lanes.get(delay);
    if (lane === undefined) {
      if (this.#active.length >= MAX_LANES) return this.#heap.push(item);
      lane = new Lane(delay);
      this.#lanes.set(delay, lane);
      this.#active.push(lane);
    }
    lane.items.push(item);
    this.#laneItems++;
    this.#last = lane;
  }

  /** The earliest event, without removing it. */
  peek(): Scheduled | undefined {
    let best = this.#heap.peek();
    const active = this.#active;
    for (let i = 0; i < active.length; i++) {
      const front = active[i].front()!;
      if (best === undefined || before(front, best)) best = front;
    }
    return best;
  }

  /** Removes and returns the earliest event. */
  pop(): Scheduled | undefined {
    let best = this.#heap.peek();
    let from: Lane | undefined;
    const active = this.#active;
    for (let i = 0; i < active.length; i++) {
      const front = active[i].front()!;
      if (best === undefined || before(front, best)) {
        best = front;
        from = active[i];
      }
    }
    if (from === undefined) return this.#heap.pop();
    from.shift();
    this.#laneItems--;
    if (from.size === 0) this.#drop(from);
    return best;
  }

  /** Drops every cancelled event. */
  compact(): void {
    this.#heap.compact();
    for (const lane of [...this.#active]) {
      // In place: the events kept move down over the cancelled ones, in order.
      const items = lane.items;
      let kept = 0;
      for (let i = lane.head; i < items.length; i++) {
        const item = items[i];
        if (!item.cancelled) items[kept++] = item;
      }
      this.#laneItems -= lane.size - kept;
      items.length = kept;
      lane.head = 0;
      if (kept === 0) this.#drop(lane);
    }
  }

  #drop(lane: Lane): void {
    if (this.#last === lane) this.#last = undefined;
    this.#lanes.delete(lane.delay);
    this.#active = this.#active.filter((l) => l !== lane);
  }
}
