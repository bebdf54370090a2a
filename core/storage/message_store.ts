/**
 * Where a post office keeps the messages it holds for absent receivers: a {@link MessageStore}
 * that lives outside any process, so it survives the crash of the office that writes to it.
 * @module
 */
import type { Address } from "../name.ts";

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
 * simulator can use it without awaiting real I/O; {@link SqliteMessageStore} is the durable one.
 *
 * @example A store holds mail until it is removed
 * ```ts
 * import assert from "node:assert/strict";
 * import { SqliteMessageStore } from "./sqlite_message_store.ts";
 * const store = new SqliteMessageStore(":memory:");
 * const id = store.put({ from: "a@m1.lab", to: "b@m2.lab", body: "hi", at: 0 });
 * assert.deepEqual(store.peek("b@m2.lab", 10).map((m) => m.body), ["hi"]);
 * assert.equal(store.remove("b@m2.lab", [id]), 1);
 * assert.equal(store.count(), 0);
 * store.close();
 * ```
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
