/**
 * The post office's protocol logic: deposits, collects held as long polls, acknowledgements.
 * A core {@link Protocol} run by `drive()` inside the {@link postOffice} process. Its state is
 * the {@link MessageStore} (synchronous, durable when a call returns: on the machine's disk) plus the collects it holds,
 * so a reply listed after a write leaves after the write is stored.
 * @module
 */
import type { Envelope } from "../envelope.ts";
import { type Address, canonical } from "../name.ts";
import { DeadlineKeeper, type Effect, type Input, type Protocol } from "../protocol/protocol.ts";
import type { MessageStore } from "./message_store.ts";
import { isPostOfficeRequest, type PostOfficeReply } from "./post_office_messages.ts";

interface Waiting {
  readonly request: Envelope;
  readonly max: number;
  readonly deadline: number;
}

/** What the post office answers with: replies, trace lines and its deadline. */
export type PostOfficeEffect = Effect<PostOfficeReply, never, never>;

/**
 * The post office state machine over `store`, handing out at most `maxBatch` messages per
 * collect. A held collect is answered when mail arrives for its mailbox, when the same caller
 * collects again (with no mail), or empty when its wait runs out.
 *
 * @example A collect waits for the deposit that fills its mailbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { PostOfficeMachine } from "./post_office.ts";
 * import { DiskMessageStore } from "./message_store.ts";
 * import { MemoryDisk } from "./memory_disk.ts";
 * const store = new DiskMessageStore(new MemoryDisk().open("post-office"));
 * const office = new PostOfficeMachine(store, 64);
 * const message = (from: string, body: unknown, now: number) =>
 *   ({ kind: "message" as const, now, envelope: { id: `${from}${now}`, from, to: "po@post.lab", kind: "po", body, lamport: 0, corr: "c" } });
 * assert.deepEqual(office.step(message("bob@m2.lab", { kind: "po-collect", max: 10, wait: 100 }, 0)), [{ kind: "deadline", at: 100 }]);
 * const effects = office.step(message("alice@m1.lab", { kind: "po-deposit", to: "bob@m2.lab", body: "hi" }, 5));
 * assert.deepEqual(effects.map((e) => e.kind), ["log", "reply", "reply", "deadline"]);
 * ```
 */
export class PostOfficeMachine implements Protocol<unknown, never, never> {
  readonly #store: MessageStore;
  readonly #maxBatch: number;
  readonly #waiting = new Map<Address, Waiting>();
  readonly #deadline = new DeadlineKeeper();

  /** Creates the office over `store`. */
  constructor(store: MessageStore, maxBatch: number) {
    this.#store = store;
    this.#maxBatch = maxBatch;
  }

  /** Takes a request (or a tick), then answers the held collects whose wait ran out. */
  step(input: Input): PostOfficeEffect[] {
    const effects = input.kind === "message" ? this.#handle(input.envelope, input.now) : [];
    effects.push(...this.#expire(input.now));
    let due = Infinity;
    for (const held of this.#waiting.values()) due = Math.min(due, held.deadline);
    return [...effects, ...this.#deadline.update(input, due)];
  }

  #handle(env: Envelope, now: number): PostOfficeEffect[] {
    const body = env.body;
    const effects: PostOfficeEffect[] = [];
    const answer = (request: Envelope, reply: PostOfficeReply) =>
      effects.push({ kind: "reply", request, body: reply });
    if (!isPostOfficeRequest(body)) {
      const message = `Cannot handle message: kind "${env.kind}" is not a post office request; ` +
        "use po-deposit, po-collect or po-ack";
      if (env.corr !== undefined) answer(env, { kind: "po-error", message });
      else effects.push({ kind: "log", text: message });
      return effects;
    }
    const store = this.#store, waiting = this.#waiting;
    try {
      switch (body.kind) {
        case "po-deposit": {
          const to = canonical(body.to);
          const id = store.put({ from: env.from, to, body: body.body, at: now });
          effects.push({ kind: "log", text: `stored #${id} for ${to}` });
          answer(env, { kind: "po-stored", id });
          const held = waiting.get(to);
          if (held !== undefined) {
            waiting.delete(to);
            answer(held.request, { kind: "po-mail", mail: store.peek(to, held.max) });
          }
          break;
        }
        case "po-collect": {
          const max = Math.max(1, Math.min(Math.floor(body.max), this.#maxBatch));
          const held = waiting.get(env.from);
          if (held !== undefined) {
            waiting.delete(env.from);
            answer(held.request, { kind: "po-mail", mail: [] });
          }
          const mail = store.peek(env.from, max);
          if (mail.length > 0 || !(body.wait > 0)) answer(env, { kind: "po-mail", mail });
          else waiting.set(env.from, { request: env, max, deadline: now + body.wait });
          break;
        }
        case "po-ack":
          answer(env, { kind: "po-acked", removed: store.remove(env.from, body.ids) });
          break;
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      answer(env, { kind: "po-error", message: `Cannot ${body.kind}: ${message}` });
    }
    return effects;
  }

  /** Answers, empty, the held collects whose wait ran out by `now`. */
  #expire(now: number): PostOfficeEffect[] {
    const effects: PostOfficeEffect[] = [];
    for (const [recipient, held] of [...this.#waiting]) {
      if (held.deadline > now) continue;
      this.#waiting.delete(recipient);
      effects.push({ kind: "reply", request: held.request, body: { kind: "po-mail", mail: [] } });
    }
    return effects;
  }
}
