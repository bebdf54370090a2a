/**
 * The client side of a {@link postOffice}: deposit mail for a recipient, collect and acknowledge
 * one's own mail.
 * @module
 */
import type { Mail } from "./message_store.ts";
import { type Address, canonical } from "../name.ts";
import type { ProcessContext } from "../process.ts";
import type { PostOfficeReply, PostOfficeRequest } from "./post_office_messages.ts";

/** Options of {@link PostOfficeClient.deposit} and {@link PostOfficeClient.acknowledge}. */
export interface DepositOptions {
  /** Ms to wait for the office's answer before failing with a `TimeoutError`. @default 5000 */
  readonly timeout?: number;
}

/** Options of {@link PostOfficeClient.collect}. */
export interface CollectOptions {
  /** Most messages to take. @default 16 */
  readonly max?: number;
  /** Ms to wait for mail when the mailbox is empty; 0 asks without waiting. @default 5000 */
  readonly timeout?: number;
  /** Ms more to wait for the office's answer before failing with a `TimeoutError`. @default 2000 */
  readonly grace?: number;
  /**
   * Acknowledge the mail before returning it. `false` leaves it in the store until
   * {@link PostOfficeClient.acknowledge}: mail taken by a recipient that crashes before it
   * acknowledges is handed out again. @default true
   */
  readonly ack?: boolean;
}

/**
 * A process's handle on a post office.
 *
 * @example Deposit, then collect (the recipient's own mailbox)
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiskMessageStore, MemoryDisk, PostOfficeClient, postOffice, Simulator } from "../mod.ts";
 * const store = new DiskMessageStore(new MemoryDisk().open("mail"));
 * const sim = new Simulator({ seed: 2 });
 * sim.machine("post.lab").spawn("po", postOffice({ store }));
 * let ids: number[] = [], removed = 0;
 * sim.machine("m1.lab").spawn("me", async (ctx) => {
 *   const po = new PostOfficeClient(ctx, "post.lab:po");
 *   await po.deposit("me@m1.lab", { kind: "note", text: "to self" });
 *   ids = (await po.collect({ ack: false })).map((mail) => mail.id);
 *   removed = await po.acknowledge(ids);
 * });
 * await sim.run();
 * assert.deepEqual(ids, [1]);
 * assert.equal(removed, 1);
 * assert.equal(store.count(), 0);
 * ```
 */
export class PostOfficeClient {
  /** The office's canonical address. */
  readonly office: Address;
  readonly #ctx: ProcessContext;

  /** A client for process `ctx` of the office at `office` (any accepted name form). */
  constructor(ctx: ProcessContext, office: string) {
    this.#ctx = ctx;
    this.office = canonical(office);
  }

  /**
   * Deposits `body` for `to`; resolves with the message's id once the office has stored it.
   * The recipient may be down, or not exist yet.
   */
  async deposit(to: string, body: unknown, options: DepositOptions = {}): Promise<number> {
    const request: PostOfficeRequest = { kind: "po-deposit", to: canonical(to), body };
    const reply = await this.#ask(request, options.timeout ?? 5000);
    return expect(reply, "po-stored", `deposit for "${to}"`).id;
  }

  /**
   * Takes up to `max` messages of this process's mailbox, oldest first, waiting up to
   * `timeout` ms for the first one; resolves with `[]` when none came.
   */
  async collect<B = unknown>(options: CollectOptions = {}): Promise<Mail<B>[]> {
    const max = options.max ?? 16;
    const wait = options.timeout ?? 5000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Cannot collect mail: max ${max} must be an integer of 1 or more`);
    }
    if (!(wait >= 0)) {
      throw new RangeError(`Cannot collect mail: timeout ${wait} must be 0 or more ms`);
    }
    const request: PostOfficeRequest = { kind: "po-collect", max, wait };
    const reply = await this.#ask(request, wait + (options.grace ?? 2000));
    const mail = expect(reply, "po-mail", "collect mail").mail as Mail<B>[];
    if (mail.length > 0 && (options.ack ?? true)) await this.acknowledge(mail.map((m) => m.id));
    return mail;
  }

  /** Removes the mail `ids` (taken from this process's mailbox) from the office; returns how many. */
  async acknowledge(ids: readonly number[], options: DepositOptions = {}): Promise<number> {
    const request: PostOfficeRequest = { kind: "po-ack", ids: [...ids] };
    const reply = await this.#ask(request, options.timeout ?? 5000);
    return expect(reply, "po-acked", "acknowledge mail").removed;
  }

  async #ask(request: PostOfficeRequest, timeout: number): Promise<PostOfficeReply> {
    return (await this.#ctx.request<PostOfficeReply>(this.office, request, { timeout })).body;
  }
}

function expect<K extends PostOfficeReply["kind"]>(
  reply: PostOfficeReply,
  kind: K,
  action: string,
): Extract<PostOfficeReply, { kind: K }> {
  if (reply?.kind === kind) return reply as Extract<PostOfficeReply, { kind: K }>;
  const detail = reply?.kind === "po-error" ? reply.message : `answer ${JSON.stringify(reply)}`;
  throw new Error(`Cannot ${action}: the post office refused (${detail})`);
}
