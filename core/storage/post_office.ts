/**
 * A post office: a store-and-forward mailbox process. Senders deposit messages for a recipient;
 * the office keeps them in a {@link MessageStore} until the recipient collects and acknowledges
 * them. Sender and recipient never need to be up at the same time (temporal decoupling), and they
 * know only the office (no referential coupling between them): the persistent communication
 * through an intermediary of seed 000. Direct `ctx.send` stays the transient default.
 * @module
 */
import type { Envelope } from "../envelope.ts";
import { TimeoutError } from "../errors.ts";
import type { MessageStore } from "./message_store.ts";
import { type Address, canonical } from "../name.ts";
import type { ProcessContext, ProcessFn } from "../process.ts";
import { isPostOfficeRequest, type PostOfficeReply } from "./post_office_protocol.ts";

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

interface Waiting {
  readonly request: Envelope;
  readonly max: number;
  readonly deadline: number;
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
    const waiting = new Map<Address, Waiting>();
    for (;;) {
      let env: Envelope;
      try {
        env = await ctx.receive({ timeout: nextWait(waiting, ctx.now()) });
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        await expire(ctx, waiting);
        continue;
      }
      await handle(ctx, env, { store, maxBatch, waiting });
      await expire(ctx, waiting);
    }
  };
}

interface OfficeState {
  readonly store: MessageStore;
  readonly maxBatch: number;
  readonly waiting: Map<Address, Waiting>;
}

async function handle(ctx: ProcessContext, env: Envelope, state: OfficeState): Promise<void> {
  const body = env.body;
  if (!isPostOfficeRequest(body)) {
    const message = `Cannot handle message: kind "${env.kind}" is not a post office request; ` +
      "use po-deposit, po-collect or po-ack";
    if (env.corr !== undefined) await answer(ctx, env, { kind: "po-error", message });
    else ctx.log(message);
    return;
  }
  const { store, waiting } = state;
  try {
    switch (body.kind) {
      case "po-deposit": {
        const to = canonical(body.to);
        const id = store.put({ from: env.from, to, body: body.body, at: ctx.now() });
        ctx.log(`stored #${id} for ${to}`);
        await answer(ctx, env, { kind: "po-stored", id });
        const held = waiting.get(to);
        if (held !== undefined) {
          waiting.delete(to);
          await answer(ctx, held.request, { kind: "po-mail", mail: store.peek(to, held.max) });
        }
        return;
      }
      case "po-collect": {
        const max = Math.max(1, Math.min(Math.floor(body.max), state.maxBatch));
        const held = waiting.get(env.from);
        if (held !== undefined) {
          waiting.delete(env.from);
          await answer(ctx, held.request, { kind: "po-mail", mail: [] });
        }
        const mail = store.peek(env.from, max);
        if (mail.length > 0 || !(body.wait > 0)) {
          await answer(ctx, env, { kind: "po-mail", mail });
        } else {
          waiting.set(env.from, { request: env, max, deadline: ctx.now() + body.wait });
        }
        return;
      }
      case "po-ack":
        await answer(ctx, env, { kind: "po-acked", removed: store.remove(env.from, body.ids) });
        return;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await answer(ctx, env, { kind: "po-error", message: `Cannot ${body.kind}: ${message}` });
  }
}

function answer(ctx: ProcessContext, request: Envelope, reply: PostOfficeReply): Promise<void> {
  return ctx.reply(request, reply);
}

function nextWait(waiting: ReadonlyMap<Address, Waiting>, now: number): number {
  let deadline = Infinity;
  for (const held of waiting.values()) deadline = Math.min(deadline, held.deadline);
  return deadline === Infinity ? Infinity : Math.max(0, deadline - now);
}

async function expire(ctx: ProcessContext, waiting: Map<Address, Waiting>): Promise<void> {
  if (waiting.size === 0) return;
  const now = ctx.now();
  for (const [recipient, held] of [...waiting]) {
    if (held.deadline > now) continue;
    waiting.delete(recipient);
    await answer(ctx, held.request, { kind: "po-mail", mail: [] });
  }
}
