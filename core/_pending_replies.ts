/**
 * The requests of a machine's processes waiting for their answer, by correlation id: a map whose
 * most recent entry sits in a slot of its own, so that the common case (a process with one
 * request out at a time) neither hashes nor stores the correlation string. A reply handed back
 * on the same machine carries the very string its request did: the slot compares it by
 * reference.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { Runtime, TimerId, TimerTask } from "./runtime.ts";
import { type HostedProcess, Parked } from "./_process.ts";

/**
 * The timeout of a request as a timer task. It lets go of its request once that is answered: a
 * cancelled timer may stay in the runtime's queue until its time, and should not keep the
 * request, its envelope and its promise alive that long.
 */
class Deadline implements TimerTask {
  t = 0;
  seq = 0;
  cancelled = false;
  request: AwaitedReply | undefined;

  constructor(request: AwaitedReply) {
    this.request = request;
  }

  run(): void {
    const request = this.request;
    this.request = undefined;
    request?.expire();
  }
}

/**
 * A request (or synchronous send) waiting for its one answer: the promise its process awaits and
 * its timeout, a timer task on a runtime that has {@link Runtime.setTask} (no closure).
 */
export class AwaitedReply extends Parked<Envelope> {
  /** The process that waits. */
  readonly owner: HostedProcess;
  /** The request. */
  readonly env: Envelope;
  /** Its timeout in ms. */
  readonly timeout: number;
  /** What it is, for the timeout's message (`request`, `send synchronously`). */
  readonly action: string;
  /** Not a group call. */
  readonly collect: undefined = undefined;
  /** Its timeout timer. */
  readonly timer: TimerId;
  readonly #deadline: Deadline;
  readonly #expire: (awaited: AwaitedReply) => void;

  /** Parks `owner` on `env`'s answer; `expire` runs if none comes within `timeout` ms. */
  constructor(
    owner: HostedProcess,
    runtime: Runtime,
    request: { env: Envelope; timeout: number; action: string },
    expire: (awaited: AwaitedReply) => void,
  ) {
    super(owner, runtime);
    this.owner = owner;
    this.env = request.env;
    this.timeout = request.timeout;
    this.action = request.action;
    this.#expire = expire;
    const deadline = this.#deadline = new Deadline(this);
    this.timer = runtime.setTask !== undefined
      ? runtime.setTask(request.timeout, deadline)
      : runtime.setTimer(request.timeout, () => deadline.run());
  }

  /** What settles it: itself. */
  get parked(): Parked<Envelope> {
    return this;
  }

  /** Settles with the answer `value`, and lets go of the timeout. */
  override resolve(value: Envelope): void {
    this.#deadline.request = undefined;
    super.resolve(value);
  }

  /** Fails with `error` (an unknown target), and lets go of the timeout. */
  override reject(error: unknown): void {
    this.#deadline.request = undefined;
    super.reject(error);
  }

  /** The timeout fell due. */
  expire(): void {
    this.#expire(this);
  }
}

/** The empty map every {@link PendingReplies} starts with (never written to). */
const NONE: Map<string, unknown> = new Map();

/**
 * A map from correlation id to what waits for its answer, tuned for few entries.
 *
 * @example One entry in the slot, more in the map
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingReplies } from "./_pending_replies.ts";
 * const pending = new PendingReplies<number>();
 * pending.set("a#1.1", 1);
 * pending.set("a#1.2", 2);
 * assert.equal(pending.get("a#1.1"), 1);
 * assert.equal(pending.get("a#1.2"), 2);
 * pending.delete("a#1.1");
 * assert.equal(pending.get("a#1.1"), undefined);
 * assert.deepEqual([...pending.values()], [2]);
 * ```
 */
export class PendingReplies<V> {
  #key: string | undefined = undefined;
  #value: V | undefined = undefined;
  // Made on first use: most machines never have two requests out at once.
  #more: Map<string, V> = NONE as Map<string, V>;

  /** What waits for correlation id `key`, if anything. */
  get(key: string): V | undefined {
    if (this.#key === key) return this.#value;
    return this.#more.size === 0 ? undefined : this.#more.get(key);
  }

  /** Registers `value` under `key`, a key not registered yet (correlation ids are unique). */
  set(key: string, value: V): void {
    if (this.#key === undefined) {
      this.#key = key;
      this.#value = value;
    } else {
      if (this.#more === (NONE as Map<string, V>)) this.#more = new Map();
      this.#more.set(key, value);
    }
  }

  /** Removes what waits under `key`. */
  delete(key: string): void {
    if (this.#key === key) {
      this.#key = undefined;
      this.#value = undefined;
    } else if (this.#more.size > 0) {
      this.#more.delete(key);
    }
  }

  /** Everything that waits. */
  *values(): IterableIterator<V> {
    if (this.#key !== undefined) yield this.#value as V;
    yield* this.#more.values();
  }

  /** Removes everything. */
  clear(): void {
    this.#key = undefined;
    this.#value = undefined;
    if (this.#more !== (NONE as Map<string, V>)) this.#more.clear();
  }
}
