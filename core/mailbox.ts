/**
 * Bounded mailboxes with filtered receive, backpressure and rendezvous (capacity 0).
 * @module
 */
import type { Envelope } from "./envelope.ts";

/** What a receiver is willing to take. Omitted fields match anything. */
export interface ReceiveFilter {
  /** Only messages from this canonical address. */
  readonly from?: string;
  /** Only messages of this kind (or of one of these kinds). */
  readonly kind?: string | readonly string[];
}

/**
 * Whether `envelope` passes `filter`.
 *
 * @example Filter by kind
 * ```ts
 * import assert from "node:assert/strict";
 * import { matches } from "./mailbox.ts";
 * const env = { id: "a#1", from: "a@m.lab", to: "b@m.lab", kind: "get", body: {}, lamport: 1 };
 * assert.ok(matches(env, { kind: ["get", "put"] }));
 * assert.ok(!matches(env, { from: "c@m.lab" }));
 * ```
 */
export function matches(envelope: Envelope, filter: ReceiveFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.from !== undefined && envelope.from !== filter.from) return false;
  const kind = filter.kind;
  if (kind === undefined) return true;
  return typeof kind === "string" ? envelope.kind === kind : kind.includes(envelope.kind);
}

// deno-lint-ignore no-explicit-any
const NONE: any[] = Object.freeze([]) as unknown as any[];

/** A receiver waiting in a mailbox: handed the first message its filter matches. */
export interface MailboxTaker {
  /** What it takes; `undefined` takes anything. */
  readonly filter: ReceiveFilter | undefined;
  /** Called with the message it takes (once; it is then no longer waiting). */
  take(envelope: Envelope): void;
}

interface BlockedPut {
  readonly envelope: Envelope;
  readonly admitted: () => void;
}

/**
 * A process's mailbox. With capacity `c > 0` it buffers up to `c` messages and further puts wait
 * for room (backpressure); with capacity 0 nothing is buffered and a put waits until a receiver
 * takes the message (rendezvous). Slots can be reserved for messages still on their way (the
 * credits granted to senders on other machines): a reserved slot counts as taken until its
 * message is {@link Mailbox.admit admitted}.
 *
 * @example Rendezvous: the put is admitted only when taken
 * ```ts
 * import assert from "node:assert/strict";
 * import { Mailbox } from "./mailbox.ts";
 * const box = new Mailbox(0);
 * let admitted = false;
 * const env = { id: "a#1", from: "a@m.lab", to: "b@m.lab", kind: "data", body: 1, lamport: 1 };
 * assert.equal(box.put(env, () => admitted = true), false);
 * assert.equal(box.size, 0);
 * assert.equal(box.take()?.body, 1);
 * assert.ok(admitted);
 * ```
 */
export class Mailbox {
  /** Maximum number of buffered messages; 0 is a rendezvous. */
  readonly capacity: number;
  // Arrays start as the shared empty NONE and are allocated on first use: most mailboxes of idle
  // processes never buffer anything or block a sender.
  #items: Envelope[] = NONE;
  #head = 0;
  #takers: MailboxTaker[] = NONE;
  #blocked: BlockedPut[] = NONE;
  #reserved = 0;
  /** Called with each message a receiver takes, once it has it (when set). */
  onTake: ((envelope: Envelope) => void) | undefined;

  /** Creates a mailbox; `capacity` defaults to unbounded. */
  constructor(capacity: number = Infinity) {
    if (!(capacity >= 0)) {
      throw new RangeError(`Cannot create mailbox: capacity ${capacity} must be 0 or more`);
    }
    this.capacity = capacity;
  }

  /** Buffered messages. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Puts waiting for room (or, at capacity 0, for a receiver). */
  get waitingSenders(): number {
    return this.#blocked.length;
  }

  /** Slots reserved for messages on their way. */
  get reserved(): number {
    return this.#reserved;
  }

  /** Slots neither buffered, reserved nor claimed by a waiting put. */
  get free(): number {
    if (this.#blocked.length > 0) return 0;
    return Math.max(0, this.capacity - this.size - this.#reserved);
  }

  /** Reserves `count` slots (at most {@link Mailbox.free}). */
  reserve(count: number): void {
    if (!(count >= 0 && count <= this.free)) {
      throw new RangeError(`Cannot reserve ${count} slots: ${this.free} are free`);
    }
    this.#reserved += count;
  }

  /** Gives back `count` reserved slots whose messages will not come; waiting puts may enter. */
  release(count: number): void {
    this.#reserved = Math.max(0, this.#reserved - count);
    this.#admitBlocked();
  }

  /**
   * Admits a message that holds a reserved slot: hands it to a waiting receiver or buffers it,
   * whatever waits for room. `admitting` runs just before (as for {@link Mailbox.offer}).
   */
  admit(envelope: Envelope, admitting?: (envelope: Envelope) => void): void {
    if (this.#reserved > 0) this.#reserved--;
    if (this.#handOver(envelope, admitting)) return;
    admitting?.(envelope);
    if (this.#items === NONE) this.#items = [envelope];
    else this.#items.push(envelope);
  }

  /**
   * Offers a message. Returns `true` when it was admitted at once (handed to a waiting receiver
   * or buffered); otherwise it waits and `admitted` is called once it is buffered or taken.
   */
  put(envelope: Envelope, admitted?: () => void): boolean {
    if (this.offer(envelope)) return true;
    this.block(envelope, admitted ?? (() => {}));
    return false;
  }

  /**
   * Hands the message to a waiting receiver or buffers it; `false` when there is no room.
   * `admitting`, when given, runs just before the message is admitted (before a receiver
   * sees it).
   */
  offer(envelope: Envelope, admitting?: (envelope: Envelope) => void): boolean {
    if (this.#handOver(envelope, admitting)) return true;
    if (this.size + this.#reserved < this.capacity && this.#blocked.length === 0) {
      admitting?.(envelope);
      if (this.#items === NONE) this.#items = [envelope];
      else this.#items.push(envelope);
      return true;
    }
    return false;
  }

  #handOver(envelope: Envelope, admitting?: (envelope: Envelope) => void): boolean {
    const takers = this.#takers;
    for (let i = 0; i < takers.length; i++) {
      const taker = takers[i];
      if (taker.filter === undefined || matches(envelope, taker.filter)) {
        if (i === 0 && takers.length === 1) takers.pop();
        else takers.splice(i, 1);
        admitting?.(envelope);
        taker.take(envelope);
        this.onTake?.(envelope);
        return true;
      }
    }
    return false;
  }

  /** Queues a message that found no room; `admitted` runs once it is buffered or taken. */
  block(envelope: Envelope, admitted: () => void): void {
    if (this.#blocked === NONE) this.#blocked = [{ envelope, admitted }];
    else this.#blocked.push({ envelope, admitted });
  }

  /** Takes the oldest message matching `filter`, or `undefined` when there is none. */
  take(filter?: ReceiveFilter): Envelope | undefined {
    const items = this.#items;
    for (let i = this.#head; i < items.length; i++) {
      const envelope = items[i];
      if (!matches(envelope, filter)) continue;
      if (i === this.#head) {
        items[i] = undefined as unknown as Envelope;
        this.#head++;
        if (this.#head > 1024 && this.#head * 2 > items.length) {
          this.#items = items.slice(this.#head);
          this.#head = 0;
        }
      } else {
        items.splice(i, 1);
      }
      this.#admitBlocked();
      this.onTake?.(envelope);
      return envelope;
    }
    const blocked = this.#blocked;
    for (let i = 0; i < blocked.length; i++) {
      if (!matches(blocked[i].envelope, filter)) continue;
      const [put] = blocked.splice(i, 1);
      put.admitted();
      this.#admitBlocked();
      this.onTake?.(put.envelope);
      return put.envelope;
    }
    return undefined;
  }

  /** Registers a receiver to be handed the next matching message; returns a cancel function. */
  wait(filter: ReceiveFilter | undefined, take: (envelope: Envelope) => void): () => void {
    const taker: MailboxTaker = { filter, take };
    this.enqueue(taker);
    return () => this.cancel(taker);
  }

  /**
   * Registers `taker` to be handed the next message its filter matches (what
   * {@link Mailbox.wait} does, without a closure per wait).
   *
   * @example A waiting taker gets the next message
   * ```ts
   * import assert from "node:assert/strict";
   * import { Mailbox, type MailboxTaker } from "./mailbox.ts";
   * import type { Envelope } from "./envelope.ts";
   * const box = new Mailbox();
   * const got: unknown[] = [];
   * const taker: MailboxTaker = { filter: undefined, take: (env: Envelope) => got.push(env.body) };
   * box.enqueue(taker);
   * box.put({ id: "a#1", from: "a@m.lab", to: "b@m.lab", kind: "data", body: 1, lamport: 1 });
   * assert.deepEqual(got, [1]);
   * ```
   */
  enqueue(taker: MailboxTaker): void {
    if (this.#takers === NONE) this.#takers = [taker];
    else this.#takers.push(taker);
  }

  /** Stops `taker` waiting (nothing when it is not waiting any more). */
  cancel(taker: MailboxTaker): void {
    const i = this.#takers.indexOf(taker);
    if (i >= 0) this.#takers.splice(i, 1);
  }

  /** Drops every buffered message, waiting receiver and waiting sender (a crash). */
  clear(): void {
    this.#items = NONE;
    this.#head = 0;
    this.#takers = NONE;
    this.#blocked = NONE;
    this.#reserved = 0;
  }

  #admitBlocked(): void {
    while (this.#blocked.length > 0 && this.size + this.#reserved < this.capacity) {
      const put = this.#blocked.shift()!;
      if (this.#items === NONE) this.#items = [put.envelope];
      else this.#items.push(put.envelope);
      put.admitted();
    }
  }
}
