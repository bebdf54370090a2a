/**
 * The requests (and synchronous sends) of a machine's processes that wait for an answer, by
 * correlation id: one answer settles a request (or its timeout fails it); a group request takes
 * every answer until it ends. A request's correlation id is its envelope's id, and the most
 * recent request sits in a slot of its own: the common case (a process with one request out at a
 * time) neither hashes nor stores the id, and a reply handed back on the same machine carries
 * the very string its request did, which the slot compares by reference.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { TimeoutError, UnknownProcessError } from "./errors.ts";
import { type HostedProcess, Parked } from "./_process.ts";
import type { Runtime, TimerId, TimerTask } from "./runtime.ts";
import type { TraceSink } from "./trace.ts";

/** Kind of the reply a machine sends for a request to a process it does not host. */
export const UNKNOWN_KIND = "$unknown";

/**
 * The timeout of a request as a timer task. It lets go of its request once that is answered: a
 * cancelled timer may stay in the runtime's queue until its time, and should not keep the
 * request, its envelope and its promise alive that long. A request answered and asked again
 * sets the same task again (the runtime takes a task set again as a new timer, its cancelled
 * earlier place left behind).
 */
class Deadline implements TimerTask {
  t = 0;
  seq = 0;
  cancelled = false;
  slot = -1;
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
 * its timeout, a timer task on a runtime that has {@link Runtime.setTask} (no closure). The
 * timer is its own, not among the machine's timers: {@link PendingReplies.clear} cancels it.
 */
class AwaitedReply extends Parked<Envelope> {
  /** The request. */
  env: Envelope;
  /** Its timeout in ms. */
  timeout: number;
  /** What it is, for the timeout's message (`request`, `send synchronously`). */
  action: string;
  /** Not a group call. */
  readonly collect: undefined = undefined;
  /** Its timeout timer. */
  timer: TimerId;
  readonly #deadline: Deadline;
  readonly #runtime: Runtime;
  readonly #expire: (awaited: AwaitedReply) => void;

  /** Parks `owner` on `env`'s answer; `expire` runs if none comes within `timeout` ms. */
  constructor(
    owner: HostedProcess,
    runtime: Runtime,
    request: { env: Envelope; timeout: number; action: string },
    expire: (awaited: AwaitedReply) => void,
  ) {
    super(owner, runtime);
    this.#runtime = runtime;
    this.#expire = expire;
    this.env = request.env;
    this.timeout = request.timeout;
    this.action = request.action;
    this.#deadline = new Deadline(this);
    this.timer = this.#arm();
  }

  /** Waits again, for the answer to another request of its process (it was answered). */
  again(env: Envelope, timeout: number, action: string): void {
    this.repark(true);
    this.env = env;
    this.timeout = timeout;
    this.action = action;
    this.#deadline.request = this;
    this.timer = this.#arm();
  }

  #arm(): TimerId {
    const runtime = this.#runtime, deadline = this.#deadline;
    return runtime.setTask !== undefined
      ? runtime.setTask(this.timeout, deadline)
      : runtime.setTimer(this.timeout, () => deadline.run());
  }

  /** Settles with the answer `value`, and lets go of the timeout. */
  override resolve(value: Envelope): void {
    this.#deadline.request = undefined;
    super.resolve(value);
  }

  /** Fails with `error`, and lets go of the timeout. */
  override reject(error: unknown): void {
    this.#deadline.request = undefined;
    super.reject(error);
  }

  /** The timeout fell due. */
  expire(): void {
    this.#expire(this);
  }
}

/** A group request taking every answer until it ends. */
interface Collecting {
  readonly collect: (env: Envelope, unknown: boolean) => void;
}

/** The waiting requests of one machine. */
export class PendingReplies {
  readonly #runtime: Runtime;
  readonly #trace: TraceSink | undefined;
  readonly #pending = new SlotMap<AwaitedReply | Collecting>();
  /** The last request answered, reused by its process's next one (one object, not one each). */
  #spare: AwaitedReply | undefined = undefined;

  /** Requests timed on `runtime`, their timeouts traced to `trace`. */
  constructor(runtime: Runtime, trace: TraceSink | undefined) {
    this.#runtime = runtime;
    this.#trace = trace;
  }

  /** Waits for the answer to `env` (by its `corr`), failing after `timeout` ms. */
  expect(proc: HostedProcess, env: Envelope, timeout: number, action: string): Promise<Envelope> {
    let awaited = this.#spare;
    if (awaited !== undefined && awaited.owner === proc) {
      this.#spare = undefined;
      awaited.again(env, timeout, action);
    } else {
      awaited = new AwaitedReply(proc, this.#runtime, { env, timeout, action }, this.#expired);
    }
    this.#pending.set(env.corr!, awaited);
    return awaited.promise;
  }

  /** Hands every answer to `corr` to `collect` until the returned function is called. */
  collect(corr: string, collect: (env: Envelope, unknown: boolean) => void): () => void {
    const entry: Collecting = { collect };
    this.#pending.set(corr, entry);
    return () => {
      if (this.#pending.get(corr) === entry) this.#pending.delete(corr);
    };
  }

  /** Whether a request waits for answers to `corr`. */
  has(corr: string): boolean {
    return this.#pending.get(corr) !== undefined;
  }

  /** Hands the answer `env` to the request waiting for it (see {@link PendingReplies.has}). */
  settle(env: Envelope): void {
    const corr = env.replyTo!;
    const pending = this.#pending.get(corr);
    if (pending === undefined) return;
    if (pending.collect !== undefined) {
      pending.collect(env, env.kind === UNKNOWN_KIND);
      return;
    }
    this.#pending.delete(corr);
    this.#runtime.clearTimer(pending.timer);
    if (env.kind === UNKNOWN_KIND) {
      pending.reject(new UnknownProcessError(env.from));
    } else {
      pending.owner.observe(env);
      pending.resolve(env);
      // Answered: kept for its process's next request (its timeout no longer reaches it).
      this.#spare = pending;
    }
  }

  /** Forgets every waiting request and cancels its timeout (their machine crashed or shut down). */
  clear(): void {
    for (const pending of this.#pending.values()) {
      if (pending.collect === undefined) this.#runtime.clearTimer(pending.timer);
    }
    this.#pending.clear();
    this.#spare = undefined;
  }

  /** A request's timeout fell due: it ends with a `TimeoutError`. */
  readonly #expired = (awaited: AwaitedReply): void => {
    const env = awaited.env;
    this.#pending.delete(env.corr!);
    this.#trace?.record({
      t: this.#runtime.now(),
      ev: "timer",
      at: awaited.owner.self,
      id: env.id,
      note: `timeout: ${awaited.action} to ${env.to} after ${awaited.timeout} ms`,
    });
    awaited.reject(new TimeoutError(awaited.action, awaited.timeout, `to "${env.to}"`));
  };
}

/** The empty map every {@link SlotMap} starts with (never written to). */
const NONE: Map<string, unknown> = new Map();

/**
 * A map from correlation id to what waits for its answer, tuned for few entries: the first entry
 * in a slot, more in a map made on first use (most machines never have two requests out).
 */
class SlotMap<V> {
  #key: string | undefined = undefined;
  #value: V | undefined = undefined;
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

  /** Removes everything (and lets go of the map). */
  clear(): void {
    this.#key = undefined;
    this.#value = undefined;
    this.#more = NONE as Map<string, V>;
  }
}
