/**
 * Where a post office keeps the messages it holds for absent receivers: a {@link MessageStore}
 * on a disk ({@link DiskMessageStore}), which outlives the process and survives the crash of the
 * office's machine.
 * @module
 */
import type { Address } from "../name.ts";
import type { DiskStore } from "./disk.ts";

/** A message held by a post office until its recipient acknowledges it. */
export interface Mail<B = unknown> {
  /** Store-wide id, increasing in deposit order and never reused. */
  readonly id: number;
  /** Who deposited it (canonical address). */
  readonly from: Address;
  /** Whose mailbox holds it (canonical address). */
  readonly to: Address;
  /** The payload (JSON-serialisable). */
  readonly body: B;
  /** The office's clock when it was stored, in ms. */
  readonly at: number;
}

/**
 * A persistent store of mailboxes. Every method is synchronous, so that a process in the
 * simulator can use it without awaiting real I/O; {@link DiskMessageStore} keeps it on a disk.
 */
export interface MessageStore {
  /** Stores a message; returns its id. The message is durable when this returns. */
  put(mail: Omit<Mail, "id">): number;
  /** The oldest `max` messages of mailbox `to`, oldest first; they stay in the store. */
  peek(to: Address, max: number): Mail[];
  /** Removes the messages `ids` of mailbox `to` (acknowledged); returns how many were removed. */
  remove(to: Address, ids: readonly number[]): number;
  /** Messages held for mailbox `to`, or in all mailboxes when `to` is left out. */
  count(to?: Address): number;
}

const SEQ = "seq", MAIL = "mail/";

/** Mail ids sort as keys: fixed width. */
function mailKey(to: Address, id: number): string {
  return `${MAIL}${to}/${String(id).padStart(12, "0")}`;
}

/**
 * Mailboxes in a store on a disk (`ctx.disk`): each deposit and each acknowledgement is one batch,
 * synced before it returns, so a stored message survives a crash of the machine (in the
 * simulator, even with its `loseUnsynced` fault) and, on a file disk, of the OS process.
 *
 * @example A store holds mail until it is removed
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskMessageStore } from "./message_store.ts";
 * import { MemoryDisk } from "./memory_disk.ts";
 * const store = new DiskMessageStore(new MemoryDisk().open("post-office"));
 * const id = store.put({ from: "a@m1.lab", to: "b@m2.lab", body: "hi", at: 0 });
 * assert.deepEqual(store.peek("b@m2.lab", 10).map((m) => m.body), ["hi"]);
 * assert.equal(store.remove("e@m3.lab", [id]), 0, "a mailbox cannot remove another's mail");
 * assert.equal(store.remove("b@m2.lab", [id]), 1);
 * assert.equal(store.count(), 0);
 * ```
 */
export class DiskMessageStore implements MessageStore {
  readonly #store: DiskStore;

  /** Mailboxes in `store` (a store on a disk: `ctx.disk.open("post-office")`). */
  constructor(store: DiskStore) {
    if (typeof store?.scan !== "function") {
      throw new TypeError(
        `Cannot open the message store: ${String(store)} is not a disk store; ` +
          'pass one, e.g. ctx.disk.open("post-office")',
      );
    }
    this.#store = store;
  }

  /** See {@link MessageStore.put}: ids grow and are never reused. */
  put(mail: Omit<Mail, "id">): number {
    const id = (this.#store.get<number>(SEQ) ?? 0) + 1;
    const stored: Mail = { id, from: mail.from, to: mail.to, body: mail.body, at: mail.at };
    this.#store.batch([
      { type: "put", key: SEQ, value: id },
      { type: "put", key: mailKey(mail.to, id), value: stored },
    ]);
    this.#store.sync();
    return id;
  }

  /** See {@link MessageStore.peek}. */
  peek(to: Address, max: number): Mail[] {
    return this.#store.scan<Mail>({ prefix: `${MAIL}${to}/`, limit: max }).map(([, m]) => m);
  }

  /** See {@link MessageStore.remove}. */
  remove(to: Address, ids: readonly number[]): number {
    const keys = [...new Set(ids)].map((id) => mailKey(to, id))
      .filter((key) => this.#store.get(key) !== undefined);
    if (keys.length === 0) return 0;
    this.#store.batch(keys.map((key) => ({ type: "del", key })));
    this.#store.sync();
    return keys.length;
  }

  /** See {@link MessageStore.count}. */
  count(to?: Address): number {
    return this.#store.scan({ prefix: to === undefined ? MAIL : `${MAIL}${to}/` }).length;
  }
}
