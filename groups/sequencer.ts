/**
 * The sequencer of a total-order group, as a pure state machine: submissions in, numbered
 * entries out. It numbers each sender's submissions in that sender's order (FIFO hold-back on
 * the per-view sequence number), so total order keeps FIFO order too. One member of the view
 * runs it; when that member crashes, the view change (see `group_flush.ts`) recovers the order
 * and the lowest-address live member takes over at the next free number.
 * @module
 */
import type { GroupMessage, OrderedEntry } from "./types.ts";
import type { Address } from "../core/name.ts";

/**
 * Assigns global sequence numbers to the submissions of one view.
 *
 * @example Numbers follow each sender's order
 * ```ts
 * import assert from "node:assert/strict";
 * import { Sequencer } from "./sequencer.ts";
 * const msg = (sender: string, seq: number) => ({
 *   id: `${sender}/${seq}`, sender, stream: sender, view: 1, seq, index: seq, hb: {}, sentAt: 0,
 *   body: null,
 * });
 * const sequencer = new Sequencer(10);
 * assert.deepEqual(sequencer.submit(msg("b@m2.lab", 2)), []);
 * assert.deepEqual(sequencer.submit(msg("a@m1.lab", 1)).map((e) => e.gseq), [10]);
 * assert.deepEqual(sequencer.submit(msg("b@m2.lab", 1)).map((e) => [e.gseq, e.message.seq]), [[11, 1], [12, 2]]);
 * assert.equal(sequencer.next, 13);
 * ```
 */
export class Sequencer {
  #next: number;
  #expected = new Map<Address, number>();
  #held = new Map<Address, Map<number, GroupMessage>>();

  /** Creates a sequencer whose first number is `start`. */
  constructor(start: number) {
    if (!Number.isInteger(start) || start < 1) {
      throw new RangeError(`Cannot create sequencer: start ${start} must be a whole number >= 1`);
    }
    this.#next = start;
  }

  /** The number the next entry gets. */
  get next(): number {
    return this.#next;
  }

  /** Takes one submission; returns the entries it lets the sequencer number, in order. */
  submit(message: GroupMessage): OrderedEntry[] {
    const sender = message.sender;
    const expected = this.#expected.get(sender) ?? 1;
    if (message.seq < expected) return [];
    let held = this.#held.get(sender);
    if (held === undefined) this.#held.set(sender, held = new Map());
    held.set(message.seq, message);
    const out: OrderedEntry[] = [];
    let seq = expected;
    for (let m = held.get(seq); m !== undefined; m = held.get(seq)) {
      held.delete(seq++);
      out.push({ gseq: this.#next++, message: m });
    }
    this.#expected.set(sender, seq);
    return out;
  }
}
