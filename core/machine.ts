/**
 * A machine: hosts processes with their mailboxes, routes envelopes between them (same-machine
 * fast path without serialisation) and to other machines through a network, over an optional
 * reliable channel. It is driven by a {@link Runtime}: the simulator's or a real host's.
 * @module
 */
import { type Envelope, kindOf, labelOf, RECEIPT_KIND } from "./envelope.ts";
import {
  ProcessFailedError,
  ProcessStoppedError,
  TimeoutError,
  UnknownProcessError,
} from "./errors.ts";
import { type Address, canonical, machineOf, parseMachine } from "./name.ts";
import type { ProcessFn, SpawnOptions } from "./process.ts";
import { HostedProcess, Parked, type ProcessHost } from "./_process.ts";
import { FLOW_PREFIX, FlowControl, type FlowHost } from "./_flow_control.ts";
import { type LinkHost, ReliableLinks } from "./_reliable_link.ts";
import type { RetransmitOptions } from "./reliable_channel.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import { envelopeEvent, type TraceEvent, type TraceEventType, type TraceSink } from "./trace.ts";
import { ClockSpace } from "./vector_stamp.ts";
import type { WireFrame } from "./wire.ts";
import { wireProblem } from "./_wire_check.ts";
import { GROUP_CALL_MARK } from "./_group_call.ts";
import { AwaitedReply, PendingReplies } from "./_pending_replies.ts";

/** How a machine reaches the others. */
export interface Network {
  /** Sends `frame` from machine `from` to machine `to`; may lose it on a lossy network. */
  send(from: string, to: string, frame: WireFrame): void;
  /**
   * The mailbox capacity of the process at `address` when the network's directory knows it
   * (`Infinity` for an unbounded mailbox or no such process); `undefined` when it cannot know.
   * Lets a sender honour a remote bounded mailbox from its first message without asking.
   * @default unknown: the first message to a remote process asks
   */
  mailboxBound?(address: Address): number | undefined;
}

/** Options of {@link Machine}. */
export interface MachineOptions {
  /** Time, timers and randomness. */
  readonly runtime: Runtime;
  /** The network to other machines. */
  readonly network: Network;
  /** Where events go. @default no trace */
  readonly trace?: TraceSink;
  /** Reliable channel (acks, retransmission, dedup, FIFO); `false` shows the raw network. @default true */
  readonly reliable?: boolean | RetransmitOptions;
  /** Incarnation number of the first boot; grows by one per restart. @default 1 */
  readonly epoch?: number;
  /**
   * Called when code of a live process throws or its promise rejects (a process that ends
   * because its machine crashed or shut down has not failed). The failure is in the trace as the
   * process's `exit` event either way.
   * @default throws a {@link ProcessFailedError} as an uncaught error: it is never swallowed
   */
  readonly onProcessError?: (address: Address, error: unknown) => void;
  /**
   * Called when a process acts (sends, receives, sleeps, spawns, logs) while it is dormant: the
   * simulator marked it when `run()` returned and the runtime has not woken it since, so it
   * resumed from something that is not the runtime's. It may throw to stop the process.
   * @default nothing
   */
  readonly onDormantAct?: (address: Address) => void;
  /**
   * Messages from other machines to a process not spawned yet that the machine keeps, and hands
   * to that process when it is spawned (a lab's control machine, whose collectors are spawned
   * after the machines they hear from have booted). Past this many, they are dropped as to an
   * unknown process.
   * @default 0
   */
  readonly holdForUnspawned?: number;
}

/** Kind of the reply a machine sends for a request to a process it does not host. */
export const UNKNOWN_KIND = "$unknown";

/** A request (or synchronous send) waiting for its one answer. */
interface Awaiting {
  readonly owner: HostedProcess;
  readonly parked: Parked<Envelope>;
  readonly timer: TimerId;
  readonly collect?: undefined;
}

/** A group request taking every answer until it ends. */
interface Collecting {
  readonly collect: (env: Envelope, unknown: boolean) => void;
}

type Pending = Awaiting | Collecting;

interface BootEntry {
  readonly name: string;
  readonly fn: ProcessFn;
  readonly options: SpawnOptions;
}

/**
 * A machine hosting processes.
 *
 * @example Two processes on one machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator/simulator.ts";
 * const sim = new Simulator({ seed: 1 });
 * const m1 = sim.machine("m1.lab");
 * let got = "";
 * m1.spawn("b", async (ctx) => { got = (await ctx.receive<string>()).body; });
 * m1.spawn("a", (ctx) => ctx.send("b@m1.lab", "hi"));
 * await sim.run();
 * assert.equal(got, "hi");
 * ```
 */
export class Machine {
  /** `machine.domain`. */
  readonly name: string;
  readonly #runtime: Runtime;
  readonly #network: Network;
  readonly #trace: TraceSink | undefined;
  readonly #clocks: ClockSpace | undefined;
  readonly #retransmit: RetransmitOptions | null;
  readonly #onError: (address: Address, error: unknown) => void;
  readonly #onDormantAct: ((address: Address) => void) | undefined;
  #epoch: number;
  #alive = true;
  /** The code of the processes started and not settled yet. */
  readonly #running = new Set<Promise<void>>();
  #rejected = 0;
  #processes = new Map<Address, HostedProcess>();
  #boot: BootEntry[] = [];
  readonly #holdLimit: number;
  #held = 0;
  readonly #early = new Map<Address, Envelope[]>();
  #pending = new PendingReplies<Pending>();
  #timers = new Set<TimerId>();
  #links: ReliableLinks;
  /** Credits for bounded mailboxes across machines; none without the reliable channel. */
  #flow: FlowControl | null = null;
  readonly #host: ProcessHost & LinkHost & FlowHost;

  /** Creates machine `name` (`machine.domain`). */
  constructor(name: string, options: MachineOptions) {
    const { machine, domain } = parseMachine(name);
    this.name = `${machine}.${domain}`;
    this.#runtime = options.runtime;
    this.#network = options.network;
    this.#trace = options.trace;
    this.#clocks = options.trace === undefined || options.trace.clocks === false
      ? undefined
      : ClockSpace.of(options.trace);
    const reliable = options.reliable ?? true;
    this.#retransmit = reliable === false ? null : reliable === true ? {} : reliable;
    this.#epoch = options.epoch ?? 1;
    this.#holdLimit = options.holdForUnspawned ?? 0;
    this.#host = new Machine.#Host(this);
    this.#links = this.#newLinks();
    this.#onError = options.onProcessError ?? ((address, error) => {
      const failure = new ProcessFailedError(address, error, { time: this.#runtime.now() });
      // Nobody asked to hear about failures: raise it like an unhandled rejection.
      queueMicrotask(() => {
        throw failure;
      });
    });
    this.#onDormantAct = options.onDormantAct;
  }

  /**
   * The mailbox capacity of live process `address` on this machine (`Infinity` when unbounded
   * or when there is no such process).
   */
  capacityOf(address: Address): number {
    return this.#processes.get(address)?.mailbox.capacity ?? Infinity;
  }

  /** Whether the machine is up. */
  get alive(): boolean {
    return this.#alive;
  }

  /** The current incarnation. */
  get epoch(): number {
    return this.#epoch;
  }

  /** The runtime driving this machine. */
  get runtime(): Runtime {
    return this.#runtime;
  }

  /** Addresses of the processes alive on this machine. */
  processes(): Address[] {
    return [...this.#processes.keys()];
  }

  /**
   * Starts a process that is part of the machine's boot: it starts again after a restart.
   * Returns its canonical address.
   */
  spawn(name: string, fn: ProcessFn, options: SpawnOptions = {}): Address {
    this.#boot.push({ name, fn, options });
    return this.#start(name, fn, options);
  }

  /** Crashes the machine: every process and all volatile state (mailboxes, channels) is lost. */
  crash(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#record({ t: this.#runtime.now(), ev: "crash", at: this.name });
    this.#halt();
  }

  /** Restarts a crashed machine with a new incarnation and runs its boot processes again. */
  restart(): void {
    if (this.#alive) return;
    this.#alive = true;
    this.#epoch++;
    this.#links = this.#newLinks();
    this.#record({
      t: this.#runtime.now(),
      ev: "restart",
      at: this.name,
      note: `epoch ${this.#epoch}`,
    });
    for (const entry of this.#boot) this.#start(entry.name, entry.fn, entry.options);
  }

  /**
   * Stops every process and timer (an orderly shutdown on a real host). Unlike a crash, on a
   * real runtime every wait of a process (receive, request, sleep, …) fails with a
   * {@link ProcessStoppedError}, so that its code unwinds and its `finally` blocks run (what it
   * throws on the way out is not a failure); {@link Machine.settled} tells when it is done.
   */
  shutdown(): void {
    this.#alive = false;
    const parks = this.#runtime.kind === "real"
      ? [...this.#processes.values()].map((proc) => [proc, [...proc.parks]] as const)
      : [];
    this.#halt();
    for (const [proc, waits] of parks) {
      for (const parked of waits) parked.stop(new ProcessStoppedError(proc.self));
    }
  }

  /** Settles once the code of every process started so far has returned or thrown. */
  settled(): Promise<void> {
    return Promise.allSettled(this.#running).then(() => {});
  }

  /**
   * Marks every process dormant: the simulator calls it when `run()` returns. A dormant process
   * that acts before the runtime wakes it is reported to `onDormantAct`.
   */
  markDormant(): void {
    for (const proc of this.#processes.values()) proc.dormant = true;
  }

  /** Marks every runnable process blocked (the simulator's guard against a stalled process). */
  forceIdle(): void {
    for (const proc of this.#processes.values()) {
      if (proc.runnable) {
        proc.runnable = false;
        this.#runtime.account(-1);
      }
    }
  }

  /** How many frames from other machines were refused as malformed since the machine was made. */
  get rejectedFrames(): number {
    return this.#rejected;
  }

  /**
   * Entry point of the network: a frame from machine `from`. The frame is untrusted: it is
   * checked field by field ({@link checkWire}) and a malformed one is refused, counted in
   * {@link Machine.rejectedFrames} and recorded as a `drop` whose note gives the reason; nothing
   * of it reaches a link, flow control or a process.
   */
  receiveFrame(from: string, frame: WireFrame): void {
    if (!this.#alive) return;
    const problem = wireProblem(frame);
    if (problem !== undefined) {
      this.refuseFrame(from, problem);
      return;
    }
    this.#links.receive(from, frame);
  }

  /**
   * Counts and traces a frame from `from` refused before it could be read (`reason` says why);
   * the network calls it for bytes that do not decode.
   */
  refuseFrame(from: string, reason: string): void {
    this.#rejected++;
    this.#record({
      t: this.#runtime.now(),
      ev: "drop",
      at: this.name,
      note: `malformed frame from ${JSON.stringify(from)}: ${reason}`,
    });
  }

  #halt(): void {
    for (const proc of this.#processes.values()) {
      if (proc.runnable) this.#runtime.account(-1);
      proc.runnable = false;
      proc.alive = false;
      proc.mailbox.clear();
    }
    this.#processes.clear();
    for (const timer of this.#timers) this.#runtime.clearTimer(timer);
    this.#timers.clear();
    for (const pending of this.#pending.values()) {
      if (pending.collect === undefined) this.#runtime.clearTimer(pending.timer);
    }
    this.#pending.clear();
    this.#links = this.#newLinks();
  }

  #record(event: TraceEvent): void {
    this.#trace?.record(event);
  }

  #setTimer(delay: number, callback: () => void): TimerId {
    const id: TimerId = this.#runtime.setTimer(delay, () => {
      this.#timers.delete(id);
      if (this.#alive) callback();
    });
    this.#timers.add(id);
    return id;
  }

  #clearTimer(id: TimerId): void {
    this.#timers.delete(id);
    this.#runtime.clearTimer(id);
  }

  #start(name: string, fn: ProcessFn, options: SpawnOptions): Address {
    if (!this.#alive) {
      throw new ProcessStoppedError(`${name}@${this.name}`);
    }
    const address = canonical(`${name}@${this.name}`);
    if (this.#processes.has(address)) {
      throw new TypeError(`Cannot spawn process "${address}": the name is taken on this machine`);
    }
    const proc = new HostedProcess(address, options.capacity ?? Infinity, this.#host);
    this.#processes.set(address, proc);
    this.#record({ t: this.#runtime.now(), ev: "spawn", at: address });
    proc.runnable = true;
    this.#runtime.account(1);
    const early = this.#early.get(address);
    if (early !== undefined) {
      // Messages that came before it: handed over in the order they came.
      this.#early.delete(address);
      this.#held -= early.length;
      for (const env of early) void this.#arrive(env, null);
    }
    // A process that is no longer alive was stopped by a crash or shutdown: whatever its code
    // does on the way out (a ProcessStoppedError from its next call) is not a failure.
    const finish = (failed: boolean, error?: unknown) => {
      if (!proc.alive) return;
      if (proc.runnable) {
        proc.runnable = false;
        this.#runtime.account(-1);
      }
      proc.alive = false;
      this.#processes.delete(address);
      this.#record({
        t: this.#runtime.now(),
        ev: "exit",
        at: address,
        note: failed ? String(error) : undefined,
      });
      if (failed) this.#onError(address, error);
    };
    // Forgotten in the same turn it ends, without a `finally` (two closures and a promise more
    // per process: 100,000 idle processes hold them all).
    const running: Promise<void> = Promise.resolve().then(() => fn(proc)).then(
      () => {
        this.#running.delete(running);
        finish(false);
      },
      (error: unknown) => {
        this.#running.delete(running);
        finish(true, error);
      },
    );
    this.#running.add(running);
    return address;
  }

  #park<T>(proc: HostedProcess): Parked<T> {
    return new Parked<T>(proc, this.#runtime);
  }

  #envelope(
    proc: HostedProcess,
    to: string,
    body: unknown,
    corr?: string | true,
    replyTo?: string,
    sync?: boolean,
  ): Envelope {
    proc.clock++;
    this.#runtime.account(0);
    const id = proc.envelopeId(this.#epoch);
    const from = proc.self, lamport = proc.clock, address = canonical(to), kind = kindOf(body);
    const link = corr === true ? id : corr;
    if (this.#trace === undefined) {
      return envelopeOf(id, from, address, kind, body, lamport, undefined, link, replyTo, sync);
    }
    // The vector clock exists only for the trace: a process keeps one while its machine traces
    // into a trace that keeps clocks.
    const clocks = this.#clocks;
    const vc = clocks === undefined ? undefined : proc.vc = (proc.vc ?? clocks.zero).tick(from);
    const env = envelopeOf(id, from, address, kind, body, lamport, vc, link, replyTo, sync);
    this.#record({
      t: this.#runtime.now(),
      ev: "send",
      at: from,
      id,
      from,
      to: address,
      kind,
      label: labelOf(body),
      lamport,
      vc,
    });
    return env;
  }

  #transmit(env: Envelope): void {
    this.#links.send(machineOf(env.to), env);
  }

  /** New links for the current incarnation, and new flow control with them. */
  #newLinks(): ReliableLinks {
    this.#flow = this.#retransmit === null ? null : new FlowControl(this.#host);
    return new ReliableLinks(this.#host, this.#epoch, this.#retransmit);
  }

  #recordEnvelope(ev: TraceEventType, at: string, env: Envelope, note?: string): void {
    this.#trace?.record(envelopeEvent(this.#runtime.now(), ev, at, env, note));
  }

  /** Routes an envelope that reached this machine. `sender` is set on the same-machine path. */
  #arrive(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined {
    if (env.replyTo !== undefined) {
      const pending = this.#pending.get(env.replyTo);
      if (
        pending === undefined || (!this.#processes.has(env.to) && machineOf(env.to) !== this.name)
      ) {
        const note = env.replyTo.endsWith(GROUP_CALL_MARK)
          ? "late reply: its group request has ended"
          : "late reply: nobody waits for it";
        this.#recordEnvelope("drop", env.to, env, note);
        return;
      }
      this.#recordDeliver(env);
      if (pending.collect !== undefined) {
        pending.collect(env, env.kind === UNKNOWN_KIND);
        return;
      }
      this.#pending.delete(env.replyTo);
      this.#runtime.clearTimer(pending.timer);
      if (env.kind === UNKNOWN_KIND) {
        pending.parked.reject(new UnknownProcessError(env.from));
      } else {
        pending.owner.observe(env);
        pending.parked.resolve(env);
      }
      return;
    }
    const target = this.#processes.get(env.to);
    if (target === undefined) {
      if (sender === null && this.#held < this.#holdLimit) {
        this.#held++;
        const early = this.#early.get(env.to);
        if (early === undefined) this.#early.set(env.to, [env]);
        else early.push(env);
        return;
      }
      this.#recordEnvelope("drop", this.name, env, "unknown process");
      // A sender on this machine learns at once; a remote requester or sync sender by answer.
      if (sender !== null) return Promise.reject(new UnknownProcessError(env.to));
      if (env.corr !== undefined) this.#answer(env, UNKNOWN_KIND, { kind: UNKNOWN_KIND });
      if (env.flow === "wait") this.#flow?.refused(env);
      return;
    }
    // From another machine with flow control: credits, or a sender waiting for admission.
    if (
      sender === null && this.#flow !== null &&
      (env.flow !== undefined || target.mailbox.capacity !== Infinity) &&
      this.#flow.arrive(target, env)
    ) return;
    if (target.mailbox.offer(env, this.#admitting)) {
      if (env.sync && sender === null) this.#answer(env, RECEIPT_KIND, { kind: RECEIPT_KIND });
      return;
    }
    // No room (or a rendezvous with no receiver yet): the message waits to be admitted, and a
    // sender on this machine waits with it (backpressure).
    const parked = sender === null ? undefined : this.#park<void>(sender);
    target.mailbox.block(env, () => {
      this.#recordDeliver(env);
      if (parked) parked.resolve();
      else if (env.sync) this.#answer(env, RECEIPT_KIND, { kind: RECEIPT_KIND });
    });
    return parked?.promise;
  }

  readonly #admitting = (env: Envelope): void => this.#recordDeliver(env);

  /** A request's timeout fell due: it ends with a `TimeoutError`. */
  readonly #expireReply = (awaited: AwaitedReply): void => {
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

  #recordDeliver(env: Envelope): void {
    if (this.#trace) {
      this.#record({
        t: this.#runtime.now(),
        ev: "deliver",
        at: env.to,
        id: env.id,
        from: env.from,
        to: env.to,
        kind: env.kind,
        lamport: env.lamport,
        vc: env.vc,
      });
    }
  }

  /** Sends a system answer (receipt, unknown process) for `env` back to its sender. */
  #answer(env: Envelope, kind: string, body: unknown): void {
    const reply: Envelope = {
      id: `${env.id}/${kind}`,
      from: env.to,
      to: env.from,
      kind,
      body,
      lamport: env.lamport,
      replyTo: env.corr ?? env.id,
    };
    if (machineOf(reply.to) === this.name) this.#arrive(reply, null);
    else this.#transmit(reply);
  }

  /**
   * What the machine's processes and links see of it: one adapter object per machine whose
   * methods reach the machine's private state (they are written inside its class body).
   */
  static readonly #Host = class MachineHost implements ProcessHost, LinkHost, FlowHost {
    readonly m: Machine;
    constructor(machine: Machine) {
      this.m = machine;
    }
    get name(): string {
      return this.m.name;
    }
    get runtime(): Runtime {
      return this.m.#runtime;
    }
    get tracing(): boolean {
      return this.m.#trace !== undefined;
    }
    get clocks(): ClockSpace | undefined {
      return this.m.#clocks;
    }
    epoch(): number {
      return this.m.#epoch;
    }
    park<T>(proc: HostedProcess): Parked<T> {
      return new Parked<T>(proc, this.m.#runtime);
    }
    envelope(
      proc: HostedProcess,
      to: string,
      body: unknown,
      corr?: string | true,
      replyTo?: string,
      sync?: boolean,
    ): Envelope {
      return this.m.#envelope(proc, to, body, corr, replyTo, sync);
    }
    route(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined {
      const m = this.m;
      if (m.#processes.has(env.to) || machineOf(env.to) === m.name) return m.#arrive(env, sender);
      // An asynchronous send to another machine waits for credits of a bounded mailbox.
      if (sender !== null && m.#flow !== null) return m.#flow.send(env, sender);
      m.#transmit(env);
      return undefined;
    }
    expectReply(
      proc: HostedProcess,
      env: Envelope,
      timeout: number,
      action: string,
    ): Promise<Envelope> {
      const m = this.m;
      // Its own timer, not among the machine's: a crash cancels it with the pending request.
      const awaited = new AwaitedReply(proc, m.#runtime, { env, timeout, action }, m.#expireReply);
      m.#pending.set(env.corr!, awaited);
      return awaited.promise;
    }
    collectReplies(corr: string, collect: (env: Envelope, unknown: boolean) => void): () => void {
      const m = this.m;
      const entry: Collecting = { collect };
      m.#pending.set(corr, entry);
      return () => {
        if (m.#pending.get(corr) === entry) m.#pending.delete(corr);
      };
    }
    setTimer(delay: number, callback: () => void): TimerId {
      return this.m.#setTimer(delay, callback);
    }
    clearTimer(id: TimerId): void {
      this.m.#clearTimer(id);
    }
    record(event: TraceEvent): void {
      this.m.#trace?.record(event);
    }
    dormantAct(proc: HostedProcess): void {
      proc.dormant = false;
      this.m.#onDormantAct?.(proc.self);
    }
    start(name: string, fn: ProcessFn, options: SpawnOptions): Address {
      return this.m.#start(name, fn, options);
    }
    transmit(to: string, frame: WireFrame): void {
      this.m.#network.send(this.m.name, to, frame);
    }
    now(): number {
      return this.m.#runtime.now();
    }
    deliver(env: Envelope): void {
      if (env.from.startsWith(FLOW_PREFIX)) this.m.#flow?.receive(machineOf(env.from), env);
      else void this.m.#arrive(env, null);
    }
    event(ev: "retransmit" | "drop" | "duplicate", env: Envelope, note: string): void {
      this.m.#recordEnvelope(ev, this.m.name, env, note);
    }
    peerRestarted(machine: string): void {
      this.m.#flow?.peerRestarted(machine);
    }
    unreachable(machine: string): void {
      this.m.#flow?.unreachable(machine);
    }
    forward(env: Envelope): void {
      this.m.#links.send(machineOf(env.to), env);
    }
    bound(address: Address): number | undefined {
      return this.m.#network.mailboxBound?.(address);
    }
    rto(machine: string): number {
      return this.m.#links.rto(machine);
    }
    process(address: Address): HostedProcess | undefined {
      return this.m.#processes.get(address);
    }
    get admitting(): (env: Envelope) => void {
      return this.m.#admitting;
    }
    lost(env: Envelope, note: string): void {
      this.m.#recordEnvelope("drop", env.from, env, note);
    }
  };
}

/**
 * An envelope of one of a few fixed shapes (no spreading): the fields in the order they always
 * had, those not set left out, so that JSON writes the same bytes as before.
 */
function envelopeOf(
  id: string,
  from: Address,
  to: Address,
  kind: string,
  body: unknown,
  lamport: number,
  vc: Envelope["vc"],
  corr: string | undefined,
  replyTo: string | undefined,
  sync: boolean | undefined,
): Envelope {
  if (vc === undefined) {
    if (corr !== undefined) {
      return sync
        ? { id, from, to, kind, body, lamport, corr, sync: true }
        : { id, from, to, kind, body, lamport, corr };
    }
    if (replyTo !== undefined) return { id, from, to, kind, body, lamport, replyTo };
    return { id, from, to, kind, body, lamport };
  }
  if (corr !== undefined) {
    return sync
      ? { id, from, to, kind, body, lamport, vc, corr, sync: true }
      : { id, from, to, kind, body, lamport, vc, corr };
  }
  if (replyTo !== undefined) return { id, from, to, kind, body, lamport, vc, replyTo };
  return { id, from, to, kind, body, lamport, vc };
}
