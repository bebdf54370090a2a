/**
 * A post office: a store-and-forward mailbox process. Senders deposit messages for a recipient;
 * the office keeps them in a {@link MessageStore} until the recipient collects and acknowledges
 * them. Sender and recipient never need to be up at the same time (temporal decoupling), and they
 * know only the office (no referential coupling between them): the persistent communication
 * through an intermediary of seed 000. Direct `ctx.send` stays the transient default. The
 * office's logic is the {@link PostOfficeMachine} protocol, run by core's `drive()`.
 * @module
 */
import type { MessageStore } from "./message_store.ts";
import type { ProcessFn } from "../process.ts";
import { drive } from "../protocol/drive.ts";
import { PostOfficeMachine } from "./post_office_machine.ts";

/** Options of {@link postOffice}. */
export interface PostOfficeOptions {
  /**
   * Where mail is kept (required). It must outlive the office: a file, or in the simulator a
   * `:memory:` store the harness owns and passes in, so that it survives a crash of the office.
   */
  readonly store: MessageStore;
  /** Most messages handed over by one collect. @default 64 */
  readonly maxBatch?: number;
}

/**
 * The post office process. Requests (see {@link PostOfficeRequest}): `po-deposit` stores a
 * message and answers `po-stored` once it is durable; `po-collect` answers the oldest mail of
 * the caller's mailbox, holding the request up to `wait` ms while the mailbox is empty;
 * `po-ack` removes mail the caller has taken. Unacknowledged mail is handed out again by the next
 * collect, so a recipient that crashes before acknowledging loses nothing (at-least-once).
 * The office holds no state of its own beyond held collects: restarted, it carries on from its
 * store. One collector per mailbox: a second collect replaces a held one, which gets no mail.
 *
 * @example A message waits in the office for a recipient that starts later
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostOfficeClient, postOffice, Simulator, SqliteMessageStore } from "../mod.ts";
 * const store = new SqliteMessageStore(":memory:");
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("post.lab").spawn("po", postOffice({ store }));
 * sim.machine("m1.lab").spawn("alice", async (ctx) => {
 *   await new PostOfficeClient(ctx, "po@post.lab").deposit("bob@m2.lab", "see you");
 * });
 * const got: unknown[] = [];
 * sim.at(1000, () => sim.machine("m2.lab").spawn("bob", async (ctx) => {
 *   for (const mail of await new PostOfficeClient(ctx, "po@post.lab").collect()) got.push(mail.body);
 * }));
 * await sim.run();
 * assert.deepEqual(got, ["see you"]);
 * assert.equal(store.count(), 0);
 * store.close();
 * ```
 */
export function postOffice(options: PostOfficeOptions): ProcessFn {
  const store = options?.store;
  if (typeof store?.put !== "function") {
    throw new TypeError(
      `Cannot create post office: store ${String(store)} is not a MessageStore; ` +
        'pass one, e.g. new SqliteMessageStore(":memory:")',
    );
  }
  const maxBatch = options.maxBatch ?? 64;
  if (!(maxBatch >= 1)) {
    throw new RangeError(`Cannot create post office: maxBatch ${maxBatch} must be 1 or more`);
  }
  return async (ctx) => {
    await drive(ctx, new PostOfficeMachine(store, maxBatch));
  };
}
