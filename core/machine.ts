/**
 * A machine: hosts processes with their mailboxes, routes envelopes between them (same-machine
 * fast path without serialisation) and to other machines through a network, over an optional
 * reliable channel. It is driven by a {@link Runtime}: the simulator's or a real host's.
 * @module
 */
import { type Envelope, kindOf, labelOf, RECEIPT_KIND } from "./envelope.ts";
import { ProcessStoppedError, TimeoutError, UnknownProcessError } from "./errors.ts";
import { Mailbox } from "./mailbox.ts";
import { type Address, canonical, machineOf, parseMachine } from "./name.ts";
import type {
  ProcessContext,
  ProcessFn,
  ReceiveOptions,
  RequestOptions,
  SendOptions,
  SpawnOptions,
} from "./process.ts";
import {
  ReliableReceiver,
  ReliableSender,
  type RetransmitOptions,
  type Unacked,
} from "./reliable_channel.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import type { TraceEvent, TraceSink } from "./trace.ts";
import type { AckFrame, WireFrame } from "./wire.ts";

/** How a machine reaches the others. */
export interface Network {
  /** Sends `frame` from machine `from` to machine `to`; may lose it on a lossy network. */
  send(from: string, to: string, frame: WireFrame): void;
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
  /** Called when a process throws. @default records the error in the trace */
  readonly onProcessError?: (address: Address, error: unknown) => void;
}

/** Kind of the reply a machine sends for a request to a process it does not host. */
export const UNKNOWN_KIND = "$unknown";

interface Parked<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface Pending {
  readonly owner: ProcessRecord;
  readonly parked: Parked<Envelope>;
  readonly timer: TimerId;
}

interface BootEntry {
  readonly name: string;
  readonly fn: ProcessFn;
  readonly options: SpawnOptions;
}

class ProcessRecord {
  readonly address: Address;
  readonly mailbox: Mailbox;
  lamport = 0;
  sent = 0;
  runnable = false;
  alive = true;
  ctx!: ProcessContext;
  constructor(address: Address, capacity: number) {
    this.address = address;
    this.mailbox = new Mailbox(capacity);
  }
}

/**
 * A machine hosting processes.
 *
 * @example Two processes on one machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator.ts";
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
  readonly #retransmit: RetransmitOptions | null;
  readonly #onError: (address: Address, error: unknown) => void;
  #epoch: number;
  #alive = true;
  #processes = new Map<Address, ProcessRecord>();
  #boot: BootEntry[] = [];
  #pending = new Map<string, Pending>();
  #timers = new Set<TimerId>();
  #senders = new Map<string, ReliableSender>();
  #receivers = new Map<string, ReliableReceiver>();
  #acksDue = new Map<string, { ack: AckFrame; timer: TimerId }>();

  /** Creates machine `name` (`machine.domain`). */
  constructor(name: string, options: MachineOptions) {
    const { machine, domain } = parseMachine(name);
    this.name = `${machine}.${domain}`;
    this.#runtime = options.runtime;
    this.#network = options.network;
    this.#trace = options.trace;
    const reliable = options.reliable ?? true;
    this.#retransmit = reliable === false ? null : reliable === true ? {} : reliable;
    this.#epoch = options.epoch ?? 1;
    this.#onError = options.onProcessError ?? ((address, error) => {
      this.#record({ t: this.#runtime.now(), ev: "log", at: address, note: `error: ${error}` });
    });
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
    this.#record({
      t: this.#runtime.now(),
      ev: "restart",
      at: this.name,
      note: `epoch ${this.#epoch}`,
    });
    for (const entry of this.#boot) this.#start(entry.name, entry.fn, entry.options);
  }

  /** Stops every process and timer (an orderly shutdown on a real host). */
  shutdown(): void {
    this.#alive = false;
    this.#halt();
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

  /** Entry point of the network: a frame from machine `from`. */
  receiveFrame(from: string, frame: WireFrame): void {
    if (!this.#alive) return;
    if (frame.kind === "ack") {
      this.#acknowledged(from, frame.epoch, frame.seq);
      return;
    }
    if (frame.seq === undefined) {
      this.#arrive(frame.env, null);
      return;
    }
    let receiver = this.#receivers.get(from);
    if (receiver === undefined) this.#receivers.set(from, receiver = new ReliableReceiver());
    if (frame.ack !== undefined) this.#acknowledged(from, frame.ack.epoch, frame.ack.seq);
    const acceptance = receiver.accept(frame);
    if (acceptance.ack) this.#scheduleAck(from, acceptance.ack);
    if (acceptance.duplicate) {
      const env = frame.env;
      this.#record({
        t: this.#runtime.now(),
        ev: "duplicate",
        at: this.name,
        id: env.id,
        from: env.from,
        to: env.to,
        kind: env.kind,
        note: "suppressed",
      });
    }
    for (const env of acceptance.deliver) this.#arrive(env, null);
  }

  #acknowledged(from: string, epoch: number, seq: number): void {
    const settled = this.#senders.get(from)?.acknowledge({ kind: "ack", epoch, seq });
    if (settled) { for (const entry of settled) this.#clearTimer(entry.timer); }
  }

  /**
   * Acknowledgements wait one scheduling turn: a reply sent meanwhile carries them along
   * (piggybacking), and only otherwise does a separate ack frame go out.
   */
  #scheduleAck(to: string, ack: AckFrame): void {
    const due = this.#acksDue.get(to);
    if (due !== undefined) {
      due.ack = ack;
      return;
    }
    const entry = { ack, timer: 0 as TimerId };
    this.#acksDue.set(to, entry);
    entry.timer = this.#setTimer(0, () => {
      if (this.#acksDue.get(to) !== entry) return;
      this.#acksDue.delete(to);
      this.#network.send(this.name, to, entry.ack);
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
    this.#pending.clear();
    this.#senders.clear();
    this.#receivers.clear();
    this.#acksDue.clear();
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
    const proc = new ProcessRecord(address, options.capacity ?? Infinity);
    proc.ctx = this.#context(proc);
    this.#processes.set(address, proc);
    this.#record({ t: this.#runtime.now(), ev: "spawn", at: address });
    proc.runnable = true;
    this.#runtime.account(1);
    const finish = (error?: unknown) => {
      if (!proc.alive) return;
      if (proc.runnable) {
        proc.runnable = false;
        this.#runtime.account(-1);
      }
      proc.alive = false;
      this.#processes.delete(address);
      if (error !== undefined) this.#onError(address, error);
      this.#record({
        t: this.#runtime.now(),
        ev: "exit",
        at: address,
        note: error === undefined ? undefined : String(error),
      });
    };
    Promise.resolve().then(() => fn(proc.ctx)).then(
      () => finish(),
      (error) => finish(error ?? "error"),
    );
    return address;
  }

  #park<T>(proc: ProcessRecord): Parked<T> {
    if (proc.runnable) {
      proc.runnable = false;
      this.#runtime.account(-1);
    }
    let resolve!: (value: T) => void, reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const wake = () => {
      if (!proc.runnable && proc.alive) {
        proc.runnable = true;
        this.#runtime.account(1);
      }
    };
    return {
      promise,
      resolve: (value) => {
        if (!proc.alive) return;
        wake();
        resolve(value);
      },
      reject: (error) => {
        if (!proc.alive) return;
        wake();
        reject(error);
      },
    };
  }

  #envelope(proc: ProcessRecord, to: string, body: unknown, extra?: Partial<Envelope>): Envelope {
    proc.lamport++;
    const env: Envelope = {
      id: `${proc.address}#${this.#epoch}.${++proc.sent}`,
      from: proc.address,
      to: canonical(to),
      kind: kindOf(body),
      body,
      lamport: proc.lamport,
      ...extra,
    };
    if (this.#trace) {
      this.#record({
        t: this.#runtime.now(),
        ev: "send",
        at: proc.address,
        id: env.id,
        from: env.from,
        to: env.to,
        kind: env.kind,
        label: labelOf(body),
        lamport: env.lamport,
      });
    }
    return env;
  }

  #transmit(env: Envelope): void {
    const dest = machineOf(env.to);
    if (this.#retransmit === null) {
      this.#network.send(this.name, dest, { kind: "msg", env });
      return;
    }
    let sender = this.#senders.get(dest);
    if (sender === undefined) {
      this.#senders.set(dest, sender = new ReliableSender(this.#epoch, this.#retransmit));
    }
    const entry = sender.stamp(env);
    this.#arm(dest, sender, entry);
    const due = this.#acksDue.get(dest);
    if (due === undefined) {
      this.#network.send(this.name, dest, entry.frame);
    } else {
      this.#acksDue.delete(dest);
      this.#clearTimer(due.timer);
      this.#network.send(this.name, dest, {
        ...entry.frame,
        ack: { epoch: due.ack.epoch, seq: due.ack.seq },
      });
    }
  }

  #arm(dest: string, sender: ReliableSender, entry: Unacked): void {
    entry.timer = this.#setTimer(entry.rto, () => {
      const result = sender.expire(entry.frame.seq!);
      const env = entry.frame.env;
      if (result.frame) {
        this.#record({
          t: this.#runtime.now(),
          ev: "retransmit",
          at: this.name,
          id: env.id,
          from: env.from,
          to: env.to,
          kind: env.kind,
          note: `attempt ${entry.attempts}`,
        });
        this.#network.send(this.name, dest, result.frame);
        this.#arm(dest, sender, entry);
      } else if (result.gaveUp) {
        this.#record({
          t: this.#runtime.now(),
          ev: "drop",
          at: this.name,
          id: env.id,
          from: env.from,
          to: env.to,
          kind: env.kind,
          note: `gave up after ${entry.attempts} attempts`,
        });
      }
    });
  }

  /** Routes an envelope that reached this machine. `sender` is set on the same-machine path. */
  #arrive(env: Envelope, sender: ProcessRecord | null): Promise<void> | undefined {
    if (env.replyTo !== undefined) {
      const pending = this.#pending.get(env.replyTo);
      if (pending === undefined || machineOf(env.to) !== this.name) {
        this.#record({
          t: this.#runtime.now(),
          ev: "drop",
          at: env.to,
          id: env.id,
          from: env.from,
          to: env.to,
          kind: env.kind,
          note: "late reply: nobody waits for it",
        });
        return;
      }
      this.#pending.delete(env.replyTo);
      this.#clearTimer(pending.timer);
      this.#recordDeliver(env);
      if (env.kind === UNKNOWN_KIND) {
        pending.parked.reject(new UnknownProcessError(env.from));
      } else {
        pending.owner.lamport = Math.max(pending.owner.lamport, env.lamport) + 1;
        pending.parked.resolve(env);
      }
      return;
    }
    const target = this.#processes.get(env.to);
    if (target === undefined) {
      this.#record({
        t: this.#runtime.now(),
        ev: "drop",
        at: this.name,
        id: env.id,
        from: env.from,
        to: env.to,
        kind: env.kind,
        note: "unknown process",
      });
      if (env.corr !== undefined) this.#answer(env, UNKNOWN_KIND, { kind: UNKNOWN_KIND });
      if (sender !== null && env.corr === undefined) {
        return Promise.reject(new UnknownProcessError(env.to));
      }
      return;
    }
    if (target.mailbox.offer(env)) {
      this.#recordDeliver(env);
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

  #context(proc: ProcessRecord): ProcessContext {
    const runtime = this.#runtime;
    const check = () => {
      if (!proc.alive) throw new ProcessStoppedError(proc.address);
    };
    const waitReply = (env: Envelope, timeout: number, action: string): Promise<Envelope> => {
      const parked = this.#park<Envelope>(proc);
      const timer = this.#setTimer(timeout, () => {
        this.#pending.delete(env.corr!);
        parked.reject(new TimeoutError(action, timeout, `to "${env.to}"`));
      });
      this.#pending.set(env.corr!, { owner: proc, parked, timer });
      return parked.promise;
    };
    return {
      self: proc.address,
      machine: this.name,
      runtime: runtime.kind,
      lamport: () => proc.lamport,
      send: (to: string, body: unknown, options: SendOptions = {}): Promise<void> => {
        check();
        if (options.sync) {
          const id = `${proc.address}#${this.#epoch}.${proc.sent + 1}`;
          const env = this.#envelope(proc, to, body, { corr: id, sync: true });
          if (machineOf(env.to) === this.name) {
            return this.#arrive(env, proc) ?? Promise.resolve();
          }
          const waiting = waitReply(env, options.timeout ?? 5000, "send synchronously");
          this.#transmit(env);
          return waiting.then(() => {});
        }
        const env = this.#envelope(proc, to, body);
        if (machineOf(env.to) === this.name) {
          return this.#arrive(env, proc) ?? Promise.resolve();
        }
        this.#transmit(env);
        return Promise.resolve();
      },
      receive: <B>(options: ReceiveOptions = {}): Promise<Envelope<B>> => {
        check();
        const filter = options.from !== undefined
          ? { from: canonical(options.from), kind: options.kind }
          : options.kind !== undefined
          ? options
          : undefined;
        const taken = proc.mailbox.take(filter);
        if (taken !== undefined) {
          this.#taken(proc, taken);
          return Promise.resolve(taken as Envelope<B>);
        }
        const parked = this.#park<Envelope<B>>(proc);
        const timeout = options.timeout ?? Infinity;
        let timer: TimerId | undefined;
        const cancel = proc.mailbox.wait(filter, (env) => {
          if (timer !== undefined) this.#clearTimer(timer);
          this.#taken(proc, env);
          parked.resolve(env as Envelope<B>);
        });
        if (timeout !== Infinity) {
          timer = this.#setTimer(timeout, () => {
            cancel();
            parked.reject(new TimeoutError("receive", timeout));
          });
        }
        return parked.promise;
      },
      request: <B>(
        to: string,
        body: unknown,
        options: RequestOptions = {},
      ): Promise<Envelope<B>> => {
        check();
        const id = `${proc.address}#${this.#epoch}.${proc.sent + 1}`;
        const env = this.#envelope(proc, to, body, { corr: id });
        const waiting = waitReply(env, options.timeout ?? 5000, "request");
        if (machineOf(env.to) === this.name) void this.#arrive(env, null);
        else this.#transmit(env);
        return waiting as Promise<Envelope<B>>;
      },
      reply: (request: Envelope, body: unknown): Promise<void> => {
        check();
        const env = this.#envelope(proc, request.from, body, {
          replyTo: request.corr ?? request.id,
        });
        if (machineOf(env.to) === this.name) this.#arrive(env, null);
        else this.#transmit(env);
        return Promise.resolve();
      },
      sleep: (ms: number): Promise<void> => {
        check();
        const parked = this.#park<void>(proc);
        this.#setTimer(ms, () => {
          this.#record({ t: runtime.now(), ev: "timer", at: proc.address, note: `sleep ${ms}` });
          parked.resolve();
        });
        return parked.promise;
      },
      now: () => runtime.now(),
      random: () => runtime.random(),
      spawn: (name: string, fn: ProcessFn, options: SpawnOptions = {}) => {
        check();
        return this.#start(name, fn, options);
      },
      log: (text: string): void => {
        this.#record({ t: runtime.now(), ev: "log", at: proc.address, note: text });
      },
    };
  }

  #taken(proc: ProcessRecord, env: Envelope): void {
    proc.lamport = Math.max(proc.lamport, env.lamport) + 1;
    if (this.#trace) {
      this.#record({
        t: this.#runtime.now(),
        ev: "receive",
        at: proc.address,
        id: env.id,
        from: env.from,
        kind: env.kind,
        lamport: proc.lamport,
      });
    }
  }
}
