/**
 * A machine: hosts processes with their mailboxes, routes envelopes between them (same-machine
 * fast path without serialisation) and to other machines through a network, over an optional
 * reliable channel. It is driven by a {@link Runtime}: the simulator's or a real host's.
 * @module
 */
import { ProcessFailedError, ProcessStoppedError } from "./errors.ts";
import { type Address, canonical, parseMachine } from "./name.ts";
import type { ProcessFn, SpawnOptions } from "./process.ts";
import { HostedProcess } from "./_process.ts";
import { Arrivals } from "./_arrivals.ts";
import { MachineHost } from "./_machine_host.ts";
import { MachineTimers } from "./_machine_timers.ts";
import { PendingReplies } from "./_pending_replies.ts";
import type { Runtime } from "./runtime.ts";
import { envelopeEvent, type TraceEvent, type TraceSink } from "./trace.ts";
import type { MachineOptions, Network } from "./machine_options.ts";
import { ClockSpace } from "./vector_stamp.ts";
import type { WireFrame } from "./wire.ts";
import { wireProblem } from "./_wire_check.ts";
import { senderProblem } from "./_sender_check.ts";
import { receiverProblem } from "./_receiver_check.ts";

export { UNKNOWN_KIND } from "./_pending_replies.ts";

export type { MachineOptions, Network } from "./machine_options.ts";

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
  readonly #trace: TraceSink | undefined;
  readonly #onError: (address: Address, error: unknown) => void;
  #epoch: number;
  #alive = true;
  /** The code of the processes started and not settled yet. */
  readonly #running = new Set<Promise<void>>();
  #rejected = 0;
  readonly #processes = new Map<Address, HostedProcess>();
  readonly #boot: BootEntry[] = [];
  readonly #timers: MachineTimers;
  readonly #replies: PendingReplies;
  readonly #arrivals: Arrivals;
  readonly #host: MachineHost;
  readonly #network: Network;

  /** Creates machine `name` (`machine.domain`). */
  constructor(name: string, options: MachineOptions) {
    const { machine, domain } = parseMachine(name);
    this.name = `${machine}.${domain}`;
    const runtime = this.#runtime = options.runtime;
    const trace = this.#trace = options.trace;
    const reliable = options.reliable ?? true;
    this.#epoch = options.epoch ?? 1;
    this.#network = options.network;
    this.#timers = new MachineTimers(runtime);
    this.#replies = new PendingReplies(runtime, trace);
    const arrivals = this.#arrivals = new Arrivals({
      name: this.name,
      runtime,
      trace,
      processes: this.#processes,
      replies: this.#replies,
      holdLimit: options.holdForUnspawned ?? 0,
      transmit: (env) => this.#host.forward(env),
    });
    this.#host = new MachineHost({
      name: this.name,
      runtime,
      network: options.network,
      trace,
      clocks: trace === undefined || trace.clocks === false ? undefined : ClockSpace.of(trace),
      timers: this.#timers,
      replies: this.#replies,
      arrivals,
      processes: this.#processes,
      retransmit: reliable === false ? null : reliable === true ? {} : reliable,
      start: (name, fn, options) => this.#start(name, fn, options),
      onDormantAct: options.onDormantAct,
    });
    this.#host.incarnate(this.#epoch);
    arrivals.flow = this.#host;
    this.#onError = options.onProcessError ?? ((address, error) => {
      const failure = new ProcessFailedError(address, error, { time: this.#runtime.now() });
      // Nobody asked to hear about failures: raise it like an unhandled rejection.
      queueMicrotask(() => {
        throw failure;
      });
    });
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
    this.#runtime.crashed?.();
  }

  /** Restarts a crashed machine with a new incarnation and runs its boot processes again. */
  restart(): void {
    if (this.#alive) return;
    this.#alive = true;
    this.#epoch++;
    this.#host.incarnate(this.#epoch);
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

  /**
   * How many frames from other machines were refused since the machine was made: malformed
   * ones, and messages whose envelope names a sender on another machine than the one they came
   * from.
   */
  get rejectedFrames(): number {
    return this.#rejected;
  }

  /**
   * Entry point of the network: a frame from machine `from` (the machine that said hello on the
   * connection or in the packet it came in). The frame is untrusted: it is checked field by
   * field ({@link checkWire}) and a malformed one is refused; a message whose envelope names a
   * sender on another machine than `from` is refused too (`Cannot accept frame: ...`, naming
   * both machines): a peer cannot pass its frames off as another machine's. So is a message
   * addressed to a process on another machine (the sender's directory entry for that machine is
   * stale and gives this machine's address): it is not answered "unknown process", and its
   * sequence number is not taken as one of the sender's channel to this machine; its `drop`
   * names the message. A refused frame is counted in {@link Machine.rejectedFrames} and recorded
   * as a `drop` of the machine whose note gives the reason; nothing of it reaches a link, flow
   * control or a process.
   *
   * @returns `false` when the frame was refused, else `true` (a machine that is down ignores it).
   */
  receiveFrame(from: string, frame: WireFrame): boolean {
    if (!this.#alive) return true;
    const problem = wireProblem(frame);
    if (problem !== undefined) {
      this.refuseFrame(from, problem);
      return false;
    }
    // The sender and receiver of the last message that passed: a conversation's next message
    // names the same ones (the same strings), and so passes both checks again.
    if (
      frame.kind !== "msg" || frame.env.from !== this.#passedFrom ||
      from !== this.#passedMachine || frame.env.to !== this.#passedTo
    ) {
      const forged = senderProblem(from, frame);
      if (forged !== undefined) {
        this.#refuse(`refused frame from ${JSON.stringify(from)}: ${forged}`);
        return false;
      }
      const astray = receiverProblem(this.name, frame);
      if (astray !== undefined && frame.kind === "msg") {
        // A drop of the message itself, so that the trace and the narration show whose it was.
        this.#rejected++;
        const note = `refused frame from ${JSON.stringify(from)}: ${astray}`;
        this.#record(envelopeEvent(this.#runtime.now(), "drop", this.name, frame.env, note));
        return false;
      }
      if (frame.kind === "msg") {
        this.#passedFrom = frame.env.from;
        this.#passedMachine = from;
        this.#passedTo = frame.env.to;
      }
    }
    this.#host.receiveFrame(from, frame);
    return true;
  }
  #passedFrom = "";
  #passedMachine = "";
  #passedTo = "";

  /**
   * Counts and traces a frame from `from` refused before it could be read (`reason` says why);
   * the network calls it for bytes that do not decode.
   */
  refuseFrame(from: string, reason: string): void {
    this.#refuse(`malformed frame from ${JSON.stringify(from)}: ${reason}`);
  }

  /**
   * Counts and traces frames from `from` that decode but are refused all the same (`reason`
   * says why, and starts with the refused action): the network calls it, say, for a hello that
   * claims a machine heard from another address a moment ago.
   *
   * @example A refusal is counted and traced as a drop
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulator } from "./simulator/simulator.ts";
   * const sim = new Simulator({ seed: 1 });
   * const m1 = sim.machine("m1.lab");
   * m1.refuse("10.0.0.9:4000", 'Cannot accept hello: it claims machine "m2.lab"');
   * assert.equal(m1.rejectedFrames, 1);
   * assert.equal(sim.trace.events.at(-1)?.note, 'refused frame from "10.0.0.9:4000": Cannot accept hello: it claims machine "m2.lab"');
   * ```
   */
  refuse(from: string, reason: string): void {
    this.#refuse(`refused frame from ${JSON.stringify(from)}: ${reason}`);
  }

  /** Counts a refused frame and records it as a `drop` of the machine noting `note`. */
  #refuse(note: string): void {
    this.#rejected++;
    this.#record({ t: this.#runtime.now(), ev: "drop", at: this.name, note });
  }

  /** Ends every process, timer, waiting request and channel of the incarnation. */
  #halt(): void {
    for (const proc of this.#processes.values()) {
      if (proc.runnable) this.#runtime.account(-1);
      proc.runnable = false;
      proc.alive = false;
      proc.mailbox.clear();
    }
    this.#processes.clear();
    this.#timers.clearAll();
    this.#replies.clear();
    this.#host.incarnate(this.#epoch);
  }

  #record(event: TraceEvent): void {
    this.#trace?.record(event);
  }

  #start(name: string, fn: ProcessFn, options: SpawnOptions): Address {
    if (!this.#alive) {
      throw new ProcessStoppedError(`${name}@${this.name}`);
    }
    const address = canonical(`${name}@${this.name}`);
    if (this.#processes.has(address)) {
      throw new TypeError(`Cannot spawn process "${address}": the name is taken on this machine`);
    }
    const capacity = options.capacity ?? Infinity;
    const proc = new HostedProcess(address, capacity, this.#host);
    if (capacity !== Infinity) this.#network.boundedMailbox?.(address);
    this.#processes.set(address, proc);
    this.#record({ t: this.#runtime.now(), ev: "spawn", at: address });
    proc.runnable = true;
    this.#runtime.account(1);
    this.#arrivals.spawned(address);
    // Forgotten in the same turn it ends, without a `finally` (two closures and a promise more
    // per process: 100,000 idle processes hold them all).
    const running: Promise<void> = Promise.resolve().then(() => fn(proc)).then(
      () => {
        this.#running.delete(running);
        this.#finish(proc, false);
      },
      (error: unknown) => {
        this.#running.delete(running);
        this.#finish(proc, true, error);
      },
    );
    this.#running.add(running);
    return address;
  }

  /**
   * The code of `proc` returned or threw. A process that is no longer alive was stopped by a
   * crash or shutdown: whatever its code does on the way out (a ProcessStoppedError from its
   * next call) is not a failure.
   */
  #finish(proc: HostedProcess, failed: boolean, error?: unknown): void {
    if (!proc.alive) return;
    if (proc.runnable) {
      proc.runnable = false;
      this.#runtime.account(-1);
    }
    proc.alive = false;
    this.#processes.delete(proc.self);
    this.#record({
      t: this.#runtime.now(),
      ev: "exit",
      at: proc.self,
      note: failed ? String(error) : undefined,
    });
    if (failed) this.#onError(proc.self, error);
  }
}
