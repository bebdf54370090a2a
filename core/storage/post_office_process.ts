/**
 * A post office: a store-and-forward mailbox process. Senders deposit messages for a recipient;
 * the office keeps them in a {@link MessageStore} on its machine's disk until the recipient
 * collects and acknowledges
 * them. Sender and recipient never need to be up at the same time (temporal decoupling), and they
 * know only the office (no referential coupling between them): the persistent communication
 * through an intermediary of seed 000. Direct `ctx.send` stays the transient default. The
 * office's logic is the {@link PostOfficeMachine} protocol, run by core's `drive()`.
 * @module
 */
import { DiskMessageStore, type MessageStore } from "./message_store.ts";
import type { ProcessFn } from "../process.ts";
import { drive } from "../protocol/drive.ts";
import { PostOfficeMachine } from "./post_office.ts";

/** Options of {@link postOffice}. */
export interface PostOfficeOptions {
  /**
   * Where mail is kept. It must outlive the office, as its machine's disk does.
   * @default the store `post-office` on the machine's disk (`ctx.disk`)
   */
  readonly store?: MessageStore;
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
 * import { DiskMessageStore, PostOfficeClient, postOffice, Simulator } from "../mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("post.lab").spawn("po", postOffice());
 * sim.machine("m1.lab").spawn("alice", async (ctx) => {
 *   await new PostOfficeClient(ctx, "po@post.lab").deposit("bob@m2.lab", "see you");
 * });
 * const got: unknown[] = [];
 * sim.at(1000, () => sim.machine("m2.lab").spawn("bob", async (ctx) => {
 *   for (const mail of await new PostOfficeClient(ctx, "po@post.lab").collect()) got.push(mail.body);
 * }));
 * await sim.run();
 * assert.deepEqual(got, ["see you"]);
 * // The office's mail lives on its machine's disk, which a harness can look at too.
 * assert.equal(new DiskMessageStore(sim.disk("post.lab").open("post-office")).count(), 0);
 * ```
 */
export function postOffice(options: PostOfficeOptions = {}): ProcessFn {
  const store = options.store;
  if (store !== undefined && typeof store?.put !== "function") {
    throw new TypeError(
      `Cannot create post office: store ${String(store)} is not a MessageStore; ` +
        "leave it out (the machine's disk) or pass one, e.g. new DiskMessageStore(disk.open(name))",
    );
  }
  const maxBatch = options.maxBatch ?? 64;
  if (!(maxBatch >= 1)) {
    throw new RangeError(`Cannot create post office: maxBatch ${maxBatch} must be 1 or more`);
  }
  return async (ctx) => {
    const mail = store ?? new DiskMessageStore(ctx.disk.open("post-office"));
    await drive(ctx, new PostOfficeMachine(mail, maxBatch));
  };
}
