/**
 * A binary min-heap of timed entries ordered by time, then by insertion (two entries due at once
 * come out in the order they were pushed, as two runtime timers would fire). Entries are never
 * removed from the middle: their owner forgets them and pops them when they reach the top.
 * @module
 */

/** An entry of a {@link DeadlineHeap}. */
export interface Timed {
  /** When it is due, in ms. */
  readonly at: number;
  /** Insertion order (set by the heap). */
  order: number;
}

/** A min-heap of {@link Timed} entries. */
export class DeadlineHeap<T extends Timed> {
  readonly #items: T[] = [];
  #pushed = 0;

  /** How many entries it holds, forgotten ones included. */
  get size(): number {
    return this.#items.length;
  }

  /** The earliest entry, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Adds `entry`. */
  push(entry: T): void {
    entry.order = ++this.#pushed;
    const items = this.#items;
    let i = items.length;
    items.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent])) break;
      items[i] = items[parent];
      i = parent;
    }
    items[i] = entry;
  }

  /** Removes and returns the earliest entry. */
  pop(): T | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1, right = left + 1;
      let least = i;
      let item = last;
      if (left < items.length && before(items[left], item)) {
        least = left;
        item = items[left];
      }
      if (right < items.length && before(items[right], item)) least = right;
      if (least === i) break;
      items[i] = items[least];
      i = least;
    }
    items[i] = last;
    return top;
  }
}

function before(a: Timed, b: Timed): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
