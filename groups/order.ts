/**
 * Hold-back queues: pure state machines that decide when a received group message may be
 * delivered. None delivers at once, FIFO holds a message until every earlier one of its sender
 * was delivered (per-sender sequence numbers), causal until everything its vector clock says
 * its sender had seen was delivered, total until every smaller global sequence number was.
 * A message in, the messages it makes deliverable out, in delivery order.
 * @module
 */
import type { GroupMessage, OrderedEntry } from "./types.ts";
import type { Address } from "../core/name.ts";

/** A view-scoped hold-back queue for none, FIFO or causal order. */
export interface HoldBack {
  /** Offers a message of the view; returns what it makes deliverable, in order (nothing for a duplicate). */
  offer(message: GroupMessage): GroupMessage[];
  /** Whether `message` was delivered or is held already. */
  has(message: GroupMessage): boolean;
  /** Messages held back: received but not deliverable yet. */
  held(): GroupMessage[];
  /** Messages delivered per sender, counted from seq 1 without gaps. */
  delivered(): Record<Address, number>;
}

class NoneQueue implements HoldBack {
  #count: Record<Address, number> = {};
  #beyond = new Map<Address, Set<number>>();
  offer(message: GroupMessage): GroupMessage[] {
    if (this.has(message)) return [];
    const sender = message.sender;
    let beyond = this.#beyond.get(sender);
    if (beyond === undefined) this.#beyond.set(sender, beyond = new Set());
    beyond.add(message.seq);
    let count = this.#count[sender] ?? 0;
    while (beyond.delete(count + 1)) count++;
    this.#count[sender] = count;
    return [message];
  }
  has(message: GroupMessage): boolean {
    return message.seq <= (this.#count[message.sender] ?? 0) ||
      (this.#beyond.get(message.sender)?.has(message.seq) ?? false);
  }
  held(): GroupMessage[] {
    return [];
  }
  delivered(): Record<Address, number> {
    return { ...this.#count };
  }
}

class FifoQueue implements HoldBack {
  #count: Record<Address, number> = {};
  #held = new Map<Address, Map<number, GroupMessage>>();
  offer(message: GroupMessage): GroupMessage[] {
    if (this.has(message)) return [];
    const sender = message.sender;
    let held = this.#held.get(sender);
    if (held === undefined) this.#held.set(sender, held = new Map());
    held.set(message.seq, message);
    const out: GroupMessage[] = [];
    let count = this.#count[sender] ?? 0;
    for (let next = held.get(count + 1); next !== undefined; next = held.get(count + 1)) {
      held.delete(++count);
      out.push(next);
    }
    this.#count[sender] = count;
    return out;
  }
  has(message: GroupMessage): boolean {
    return message.seq <= (this.#count[message.sender] ?? 0) ||
      (this.#held.get(message.sender)?.has(message.seq) ?? false);
  }
  held(): GroupMessage[] {
    return [...this.#held.values()].flatMap((m) => [...m.values()]);
  }
  delivered(): Record<Address, number> {
    return { ...this.#count };
  }
}

class CausalQueue implements HoldBack {
  #count: Record<Address, number> = {};
  #held: GroupMessage[] = [];
  #ids = new Set<string>();
  offer(message: GroupMessage): GroupMessage[] {
    if (this.has(message)) return [];
    this.#held.push(message);
    this.#ids.add(message.id);
    const out: GroupMessage[] = [];
    for (let progress = true; progress;) {
      progress = false;
      for (let i = 0; i < this.#held.length; i++) {
        const candidate = this.#held[i];
        if (!this.#deliverable(candidate)) continue;
        this.#held.splice(i--, 1);
        this.#ids.delete(candidate.id);
        this.#count[candidate.sender] = candidate.seq;
        out.push(candidate);
        progress = true;
      }
    }
    return out;
  }
  #deliverable(message: GroupMessage): boolean {
    if (message.seq !== (this.#count[message.sender] ?? 0) + 1) return false;
    for (const [member, n] of Object.entries(message.vc ?? {})) {
      if (member !== message.sender && n > (this.#count[member] ?? 0)) return false;
    }
    return true;
  }
  has(message: GroupMessage): boolean {
    return message.seq <= (this.#count[message.sender] ?? 0) || this.#ids.has(message.id);
  }
  held(): GroupMessage[] {
    return [...this.#held];
  }
  delivered(): Record<Address, number> {
    return { ...this.#count };
  }
}

/**
 * Creates the hold-back queue of one view for `order`.
 *
 * @example FIFO holds a message until the earlier one arrives
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHoldBack } from "./order.ts";
 * const msg = (seq: number) => ({
 *   id: `a#1/${seq}`, sender: "a@m1.lab", stream: "a@m1.lab#1", view: 1, seq, index: seq,
 *   hb: {}, sentAt: 0, body: seq,
 * });
 * const fifo = createHoldBack("fifo");
 * assert.deepEqual(fifo.offer(msg(2)), []);
 * assert.deepEqual(fifo.offer(msg(1)).map((m) => m.seq), [1, 2]);
 * assert.deepEqual(createHoldBack("none").offer(msg(2)).map((m) => m.seq), [2]);
 * ```
 */
export function createHoldBack(order: "none" | "fifo" | "causal"): HoldBack {
  switch (order) {
    case "none":
      return new NoneQueue();
    case "fifo":
      return new FifoQueue();
    case "causal":
      return new CausalQueue();
    default:
      throw new TypeError(
        `Cannot create hold-back queue: order ${
          JSON.stringify(order)
        } is not "none", "fifo" or "causal"`,
      );
  }
}

/**
 * The total-order hold-back queue: delivers entries by global sequence number without gaps.
 *
 * @example Entries wait for the smaller numbers
 * ```ts
 * import assert from "node:assert/strict";
 * import { TotalQueue } from "./order.ts";
 * const entry = (gseq: number) => ({ gseq, message: { id: `m${gseq}` } as never });
 * const queue = new TotalQueue(1);
 * assert.deepEqual(queue.offer(entry(2)), []);
 * assert.deepEqual(queue.offer(entry(1)).map((e) => e.gseq), [1, 2]);
 * assert.equal(queue.next, 3);
 * ```
 */
export class TotalQueue {
  #next: number;
  #held = new Map<number, OrderedEntry>();

  /** Creates the queue expecting `start` first. */
  constructor(start: number) {
    this.#next = start;
  }

  /** Next global sequence number to deliver. */
  get next(): number {
    return this.#next;
  }

  /** Offers an entry; returns the entries now deliverable, in order (nothing for a duplicate). */
  offer(entry: OrderedEntry): OrderedEntry[] {
    if (entry.gseq < this.#next || this.#held.has(entry.gseq)) return [];
    this.#held.set(entry.gseq, entry);
    const out: OrderedEntry[] = [];
    for (let e = this.#held.get(this.#next); e !== undefined; e = this.#held.get(this.#next)) {
      this.#held.delete(this.#next++);
      out.push(e);
    }
    return out;
  }

  /** Entries held back. */
  held(): OrderedEntry[] {
    return [...this.#held.values()];
  }
}
