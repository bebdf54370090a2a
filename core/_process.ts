/**
 * A hosted process: its mailbox, Lamport clock and scheduling state, and the
 * {@link ProcessContext} its code sees. Everything that crosses the process boundary goes through
 * the {@link ProcessHost} its machine provides.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { ProcessStoppedError, TimeoutError } from "./errors.ts";
import type { GroupCall, GroupRequestOptions } from "./group_request.ts";
import { Mailbox, type MailboxTaker, type ReceiveFilter } from "./mailbox.ts";
import { type Address, canonical } from "./name.ts";
import type {
  ProcessContext,
  ProcessFn,
  ReceiveOptions,
  RequestOptions,
  SendOptions,
  SpawnOptions,
} from "./process.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import type { Disk } from "./storage/disk.ts";
import { Trace, type TraceEvent, type TraceSink } from "./trace.ts";
import type { ClockSpace, VectorStamp } from "./vector_stamp.ts";
import { GROUP_CALL_MARK, GroupCallState } from "./_group_call.ts";
import { copyBody } from "./_wire_body.ts";
import { isPlainText, notePlain } from "./_plain_ids.ts";

/**
 * A promise a process waits on, settled by the machine. Settling it marks the process runnable
 * again (the simulator's accounting); a process that died meanwhile is left waiting forever.
 */
export class Parked<T> {
  /** What the process awaits (the current wait's promise, when the wait is reused). */
  promise: Promise<T>;
  /** The process that waits. */
  readonly owner: HostedProcess;
  readonly #runtime: Runtime;
  #resolve!: (value: T) => void;
  #reject: ((error: unknown) => void) | undefined;

  #open = true;

  /**
   * Marks `proc` blocked and creates the promise it will wait on. A process that already waits
   * on something else has code that may still run now: the runtime is told.
   */
  constructor(proc: HostedProcess, runtime: Runtime, rejects = true) {
    this.owner = proc;
    this.#runtime = runtime;
    this.promise = this.#park(rejects);
  }

  /** Waits again, on a new promise: a settled wait reused for its process's next one. */
  protected repark(rejects: boolean): void {
    this.#open = true;
    this.promise = this.#park(rejects);
  }

  /**
   * A wait that never fails (`rejects` false: a receive without a timeout, in the simulator,
   * where no shutdown stops waits) keeps only the promise's resolve function: its reject
   * function, never stored, costs nothing.
   */
  #park(rejects: boolean): Promise<T> {
    const proc = this.owner, runtime = this.#runtime;
    if (proc.runnable) {
      proc.runnable = false;
      runtime.account(-1);
    }
    if (++proc.waits > 1) runtime.stir?.();
    // Only an orderly shutdown of a real host stops waits (the simulator's hot path skips it).
    if (runtime.kind === "real") proc.parks.add(this as Parked<unknown>);
    // One executor for every wait (no closure per wait): it hands its functions over here.
    let promise: Promise<T>;
    if (rejects) {
      promise = new Promise<T>(capture);
      this.#reject = captured.reject;
    } else {
      promise = new Promise<T>(captureResolve);
      this.#reject = undefined;
    }
    this.#resolve = captured.resolve as (value: T) => void;
    return promise;
  }

  /** Settles with `value`. */
  resolve(value: T): void {
    if (this.#wake()) this.#resolve(value);
  }

  /** Settles with `error`. */
  reject(error: unknown): void {
    if (this.#wake()) this.#fail(error);
  }

  /** Fails the promise (a wait made not to fail still does, a few microtask turns later). */
  #fail(error: unknown): void {
    if (this.#reject !== undefined) this.#reject(error);
    else this.#resolve(Promise.reject(error) as T);
  }

  /**
   * Fails the wait of a process its machine is shutting down (in order, not a crash), so that
   * its code unwinds (its `finally` blocks run); call it after the process is marked dead.
   */
  stop(error: unknown): void {
    this.#close();
    // A wait the code dropped (`void ctx.sleep(1)`) must not become an unhandled rejection:
    // this one rejection is expected and handled here; anything else still surfaces.
    this.promise.catch((reason) => {
      if (reason !== error) throw reason;
    });
    this.#fail(error);
  }

  #close(): void {
    if (this.#open) {
      this.#open = false;
      this.owner.waits--;
      this.owner.unpark(this as Parked<unknown>);
    }
  }

  #wake(): boolean {
    const proc = this.owner;
    if (!proc.alive) return false;
    this.#close();
    proc.dormant = false;
    if (!proc.runnable) {
      proc.runnable = true;
      this.#runtime.account(1);
    }
    return true;
  }
}

/** Where {@link capture} leaves the functions of the promise it was the executor of. */
const captured: { resolve: (value: never) => void; reject: (error: unknown) => void } = {
  resolve: () => {},
  reject: () => {},
};

/** The executor of a {@link Parked} promise that never fails: it keeps the resolve function. */
function captureResolve(resolve: (value: never) => void): void {
  captured.resolve = resolve;
}

/** The executor of every other {@link Parked} promise. */
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/** What a process needs from its machine. */
export interface ProcessHost {
  /** The machine's name. */
  readonly name: string;
  /** The machine's runtime. */
  readonly runtime: Runtime;
  /** The machine's incarnation. */
  epoch(): number;
  /** Marks `proc` blocked and returns the promise it will wait on. */
  park<T>(proc: HostedProcess): Parked<T>;
  /**
   * Builds (and traces) an envelope from `proc`: a request's `corr` (`true`: the envelope's own
   * id), a reply's `replyTo`, and `sync` for a synchronous send.
   */
  envelope(
    proc: HostedProcess,
    to: string,
    body: unknown,
    corr?: string | true,
    replyTo?: string,
    sync?: boolean,
  ): Envelope;
  /** Routes `env`; a same-machine send by `sender` may return a promise to wait on (backpressure). */
  route(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined;
  /** Waits for the reply (or receipt) to `env`, failing with a `TimeoutError` after `timeout` ms. */
  expectReply(
    proc: HostedProcess,
    env: Envelope,
    timeout: number,
    action: string,
  ): Promise<Envelope>;
  /**
   * Hands every answer to correlation id `corr` to `collect` (`unknown` for a machine's answer
   * that the target does not exist) until the returned function is called.
   */
  collectReplies(corr: string, collect: (env: Envelope, unknown: boolean) => void): () => void;
  /** Starts a timer owned by the machine. */
  setTimer(delay: number, callback: () => void): TimerId;
  /** Cancels a timer. */
  clearTimer(id: TimerId): void;
  /** Records a trace event, when tracing. */
  record(event: TraceEvent): void;
  /** Where it records trace events, when tracing. */
  readonly trace: TraceSink | undefined;
  /** Whether events are recorded at all (to skip building them). */
  readonly tracing: boolean;
  /** The numbering of the trace's vector clocks; set exactly when tracing with clocks. */
  readonly clocks: ClockSpace | undefined;
  /** Starts a process on the machine. */
  start(name: string, fn: ProcessFn, options: SpawnOptions): Address;
  /** `proc` acted while dormant (it resumed from something not the runtime's); may throw. */
  dormantAct(proc: HostedProcess): void;
}

/** A process hosted by a machine; it is the context its code receives. */
export class HostedProcess implements ProcessContext {
  /** The process's canonical address. */
  readonly self: Address;
  /** Its mailbox. */
  readonly mailbox: Mailbox;
  /** Its Lamport clock. */
  clock = 0;
  /** Its vector clock, kept only while its machine traces. */
  vc: VectorStamp | undefined = undefined;
  /** Envelopes it has sent (for ids). */
  sent = 0;
  /** The address its last envelope was sent to, as given (see {@link HostedProcess.lastAddress}). */
  lastTo: string | symbol = NOT_SENT;
  /** The canonical form of {@link HostedProcess.lastTo} (its machine builds the envelopes). */
  lastAddress: Address = "";
  /** Whether it may be running (the simulator's accounting). */
  runnable = false;
  /** False once it ended or its machine crashed. */
  alive = true;
  /** Set when the simulator's run returns, cleared when the runtime wakes the process. */
  dormant = false;
  /** Waits started and not settled yet (more than one: the process runs several strands). */
  waits = 0;
  /** Its waits not settled yet, failed by an orderly shutdown. */
  get parks(): Set<{ stop(error: unknown): void }> {
    return this.#parks ??= new Set();
  }
  /** Made on first use: only real hosts track waits (100,000 idle simulated processes do not). */
  #parks: Set<{ stop(error: unknown): void }> | undefined = undefined;
  readonly #host: ProcessHost;
  /** See {@link ProcessContext.now}; bound, so it can be passed around as a function. */
  readonly now: () => number;
  /** See {@link ProcessContext.random}; bound, so it can be passed around as a function. */
  readonly random: () => number;

  /** Creates the process `self` with a mailbox of `capacity`. */
  constructor(self: Address, capacity: number, host: ProcessHost) {
    this.self = self;
    this.mailbox = new Mailbox(capacity);
    this.#host = host;
    this.now = host.runtime.now;
    this.random = host.runtime.random;
  }

  /** `machine.domain`. */
  get machine(): string {
    return this.#host.name;
  }

  /** `"sim"` or `"real"`. */
  get runtime(): "sim" | "real" {
    return this.#host.runtime.kind;
  }

  /** See {@link ProcessContext.disk}. */
  get disk(): Disk {
    const disk = this.#host.runtime.disk;
    if (disk !== undefined) return disk;
    throw new TypeError(
      `Cannot open the disk of ${this.self}: its machine's runtime has none; give the runtime one`,
    );
  }

  /** See {@link ProcessContext.incarnation}. */
  get incarnation(): number {
    return this.#host.epoch();
  }

  /** The Lamport clock. */
  lamport(): number {
    return this.clock;
  }

  /** See {@link ProcessContext.send}. */
  send(to: string, body: unknown, options: SendOptions = NO_OPTIONS): Promise<void> {
    this.#check();
    const host = this.#host;
    let copy: unknown;
    try {
      copy = copyBody(body, options.sync ? "send message synchronously" : "send message", to);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!options.sync) return host.route(host.envelope(this, to, copy), this) ?? RESOLVED;
    const env = host.envelope(this, to, copy, true, undefined, true);
    if (env.to.endsWith(`@${host.name}`)) return host.route(env, this) ?? RESOLVED;
    const waiting = host.expectReply(this, env, options.timeout ?? 5000, "send synchronously");
    host.route(env, null);
    return waiting.then(() => {});
  }

  /** See {@link ProcessContext.receive}. */
  receive<B = unknown>(options?: ReceiveOptions): Promise<Envelope<B>> {
    return this.#receive(options, options?.timeout ?? Infinity, false) as Promise<Envelope<B>>;
  }

  /** See {@link ProcessContext.receiveWithin}. */
  receiveWithin<B = unknown>(
    timeout: number,
    filter?: ReceiveFilter,
  ): Promise<Envelope<B> | undefined> {
    return this.#receive(filter, timeout, true) as Promise<Envelope<B> | undefined>;
  }

  /** A receive; at `timeout`, `undefined` when `quiet`, else a `TimeoutError`. */
  #receive(
    options: ReceiveFilter | undefined,
    timeout: number,
    quiet: boolean,
  ): Promise<Envelope | undefined> {
    this.#check();
    const filter: ReceiveFilter | undefined = options === undefined
      ? undefined
      : options.from !== undefined
      ? { from: canonical(options.from), kind: options.kind }
      : options.kind !== undefined
      ? options
      : undefined;
    const taken = this.mailbox.take(filter);
    if (taken !== undefined) {
      this.taken(taken);
      return Promise.resolve(taken);
    }
    let wait = this.#spare as Receiving | undefined;
    // Only a timeout that throws, or an orderly shutdown of a real host, fails a receive.
    const rejects = (timeout !== Infinity && !quiet) || this.#host.runtime.kind === "real";
    if (wait === undefined) wait = new Receiving(this, this.#host, filter, rejects);
    else {
      this.#spare = undefined;
      wait.again(filter, rejects);
    }
    this.mailbox.enqueue(wait);
    if (timeout !== Infinity) wait.expire(timeout, quiet);
    return wait.promise;
  }

  /** See {@link ProcessContext.request}. */
  request<B = unknown>(
    to: string,
    body: unknown,
    options: RequestOptions = NO_REQUEST_OPTIONS,
  ): Promise<Envelope<B>> {
    this.#check();
    const host = this.#host;
    let copy: unknown;
    try {
      copy = copyBody(body, "send request", to);
    } catch (error) {
      return Promise.reject(error);
    }
    const env = host.envelope(this, to, copy, true);
    const waiting = host.expectReply(this, env, options.timeout ?? 5000, "request");
    host.route(env, null);
    return waiting as Promise<Envelope<B>>;
  }

  /** See {@link ProcessContext.requestGroup}. */
  requestGroup<B = unknown>(
    targets: readonly string[],
    body: unknown,
    options: GroupRequestOptions = {},
  ): Promise<GroupCall<B>> {
    this.#check();
    const host = this.#host;
    let addresses: Address[], copies: unknown[], expected: number, timeout: number;
    try {
      addresses = groupTargets(targets);
      expected = options.expected ?? addresses.length;
      if (!Number.isInteger(expected) || expected < 1 || expected > addresses.length) {
        throw new RangeError(
          `Cannot send group request: expected ${expected} must be a whole number from 1 to ` +
            `${addresses.length} (the number of targets)`,
        );
      }
      timeout = options.timeout ?? 5000;
      if (!(timeout >= 0 && timeout < Infinity)) {
        throw new RangeError(
          `Cannot send group request: timeout ${timeout} must be a finite number of ms, 0 or more`,
        );
      }
      copies = addresses.map((to) => copyBody(body, "send group request", to));
    } catch (error) {
      return Promise.reject(error);
    }
    const id = `${this.#nextId()}${GROUP_CALL_MARK}`;
    const call = new GroupCallState<B>(this, host, { id, targets: addresses, expected });
    call.open(host.collectReplies(id, (env, unknown) => call.collect(env, unknown)), timeout);
    for (let i = 0; i < addresses.length; i++) {
      host.route(host.envelope(this, addresses[i], copies[i], id), null);
    }
    return Promise.resolve(call);
  }

  /** See {@link ProcessContext.reply}. */
  reply(request: Envelope, body: unknown): Promise<void> {
    this.#check();
    const host = this.#host;
    let copy: unknown;
    try {
      copy = copyBody(body, "send reply", request.from);
    } catch (error) {
      return Promise.reject(error);
    }
    host.route(
      host.envelope(this, request.from, copy, undefined, request.corr ?? request.id),
      null,
    );
    return RESOLVED;
  }

  /** See {@link ProcessContext.sleep}. */
  sleep(ms: number): Promise<void> {
    this.#check();
    const host = this.#host;
    const parked = host.park<void>(this);
    host.setTimer(ms, () => {
      if (host.tracing) {
        host.record({ t: host.runtime.now(), ev: "timer", at: this.self, note: `sleep ${ms}` });
      }
      parked.resolve();
    });
    return parked.promise;
  }

  /** See {@link ProcessContext.spawn}. */
  spawn(name: string, fn: ProcessFn, options: SpawnOptions = {}): Address {
    this.#check();
    return this.#host.start(name, fn, options);
  }

  /** See {@link ProcessContext.log}. */
  log(text: string): void {
    if (this.dormant) this.#host.dormantAct(this);
    this.#acting();
    this.#host.record({ t: this.#host.runtime.now(), ev: "log", at: this.self, note: text });
  }

  /**
   * The id of the next envelope it sends, `<self>#<epoch>.<n>` (counted in {@link sent}); the
   * `<self>#<epoch>.` part is kept while the epoch stays.
   */
  envelopeId(epoch: number): string {
    if (this.#idEpoch !== epoch) {
      this.#idEpoch = epoch;
      this.#idPrefix = `${this.self}#${epoch}.`;
      this.#idPlain = isPlainText(this.#idPrefix);
    }
    const id = this.#idPrefix + ++this.sent;
    // Noted plain, the JSON wire counts its length without reading (flattening) it.
    if (this.#idPlain) notePlain(id);
    return id;
  }
  #idEpoch = -1;
  #idPrefix = "";
  #idPlain = false;

  /** The `<self>#<epoch>.` part of the last envelope id made ({@link envelopeId}). */
  get idPrefix(): string {
    return this.#idPrefix;
  }

  /**
   * Keeps `wait`, a receive that has just been handed its message, for the process's next
   * receive (one object per process instead of one per receive).
   */
  recycle(wait: MailboxTaker): void {
    this.#spare = wait;
  }
  #spare: MailboxTaker | undefined = undefined;

  /** Forgets a settled wait (see {@link HostedProcess.parks}). */
  unpark(parked: { stop(error: unknown): void }): void {
    if (this.#parks !== undefined && this.#parks.size > 0) this.#parks.delete(parked);
  }

  /**
   * Updates the clocks for a message this process takes, and traces it. `waking`: the process
   * is woken next, which the runtime counts as activity already.
   */
  taken(env: Envelope, waking = false): void {
    this.clock = Math.max(this.clock, env.lamport) + 1;
    const host = this.#host;
    if (!waking) host.runtime.account(0);
    if (!host.tracing) return;
    const clocks = host.clocks;
    if (clocks !== undefined) this.vc = (this.vc ?? clocks.zero).receive(env.vc, this.self);
    const trace = host.trace, t = host.runtime.now(), self = this.self;
    if (trace instanceof Trace) {
      trace.message(
        "receive",
        t,
        self,
        env.id,
        env.from,
        undefined,
        env.kind,
        undefined,
        this.clock,
        this.vc,
      );
    } else {
      host.record({
        t,
        ev: "receive",
        at: self,
        id: env.id,
        from: env.from,
        kind: env.kind,
        lamport: this.clock,
        vc: this.vc,
      });
    }
  }

  /** Updates the clocks for a reply or receipt handed to this process without a receive. */
  observe(env: Envelope): void {
    this.clock = Math.max(this.clock, env.lamport) + 1;
    const clocks = this.#host.clocks;
    if (clocks !== undefined) this.vc = (this.vc ?? clocks.zero).receive(env.vc, this.self);
  }

  #nextId(): string {
    return `${this.self}#${this.#host.epoch()}.${this.sent + 1}`;
  }

  #check(): void {
    if (!this.alive) throw new ProcessStoppedError(this.self);
    if (this.dormant) this.#host.dormantAct(this);
    this.#acting();
  }

  /**
   * The process acts: when it is counted as blocked, it started a wait it did not await
   * (`ctx.request(...).then(...)`, one request of several) and goes on, and the runtime hears
   * that its code still runs at this instant (else the simulator would take the next event, or
   * end the run, while the process still had work now).
   */
  #acting(): void {
    if (!this.runnable) this.#host.runtime.stir?.();
  }
}

/** {@link HostedProcess.lastTo} before its first send: equal to no address given. */
const NOT_SENT: unique symbol = Symbol("not sent");

/** What an asynchronous send that did not wait returns: one settled promise, shared. */
const RESOLVED: Promise<void> = Promise.resolve();

/** The options of a send given none. */
const NO_OPTIONS: SendOptions = Object.freeze({});

/** The options of a request given none (no object per request). */
const NO_REQUEST_OPTIONS: RequestOptions = Object.freeze({});

/**
 * A receive waiting in its process's mailbox: the mailbox hands it the message (one object per
 * wait, no closures), or its timeout fails it.
 */
class Receiving extends Parked<Envelope | undefined> implements MailboxTaker {
  filter: ReceiveFilter | undefined;
  readonly #host: ProcessHost;
  #timer: TimerId | undefined = undefined;

  constructor(
    proc: HostedProcess,
    host: ProcessHost,
    filter: ReceiveFilter | undefined,
    rejects: boolean,
  ) {
    super(proc, host.runtime, rejects);
    this.filter = filter;
    this.#host = host;
  }

  /** Waits again, for a message `filter` matches (the wait is settled and out of the mailbox). */
  again(filter: ReceiveFilter | undefined, rejects: boolean): void {
    this.filter = filter;
    this.#timer = undefined;
    this.repark(rejects);
  }

  /** The mailbox hands over `env`; the wait, settled, is kept for the process's next receive. */
  take(env: Envelope): void {
    const timer = this.#timer;
    if (timer !== undefined) this.#host.clearTimer(timer);
    const owner = this.owner;
    // A blocked process is woken next (`resolve`): that counts as its activity.
    owner.taken(env, owner.alive && !owner.runnable);
    this.resolve(env);
    // Reused only without a timer: a cancelled timer's callback must never see a later wait.
    if (timer === undefined) owner.recycle(this);
  }

  /**
   * Ends the wait after `timeout` ms unless a message comes first: with `undefined` when `quiet`
   * (a timeout the caller expects costs no exception), else with a `TimeoutError`.
   */
  expire(timeout: number, quiet: boolean): void {
    const host = this.#host, proc = this.owner;
    this.#timer = host.setTimer(timeout, () => {
      proc.mailbox.cancel(this);
      if (host.tracing) {
        host.record({
          t: host.runtime.now(),
          ev: "timer",
          at: proc.self,
          note: `timeout: receive after ${timeout} ms`,
        });
      }
      if (quiet) this.resolve(undefined);
      else this.reject(new TimeoutError("receive", timeout));
    });
  }
}

/** The canonical addresses of a group request's targets; a `TypeError` for a bad list. */
function groupTargets(targets: readonly string[]): Address[] {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new TypeError(
      `Cannot send group request: targets ${
        JSON.stringify(targets)
      } must be a non-empty list of process addresses`,
    );
  }
  const addresses = targets.map((target) => canonical(target));
  const seen = new Set<Address>();
  for (const address of addresses) {
    if (seen.has(address)) {
      throw new TypeError(
        `Cannot send group request: "${address}" is among the targets twice; list each process once`,
      );
    }
    seen.add(address);
  }
  return addresses;
}
