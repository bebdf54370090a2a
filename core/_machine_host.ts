/**
 * What a machine's processes, flow control and link see of it: one object per machine that
 * builds envelopes, routes them (same machine, flow control, the link), times waits and
 * requests, and carries out the link's effects. It holds the parts it needs, given to it
 * explicitly; the current incarnation's link and flow control are set by
 * {@link MachineHost.incarnate}.
 * @module
 */
import { type Envelope, kindOf, labelOf } from "./envelope.ts";
import type { Arrivals } from "./_arrivals.ts";
import { FLOW_PREFIX, FlowControl, type FlowHost } from "./_flow_control.ts";
import { LinkDriver, type LinkPorts } from "./_link_driver.ts";
import type { MachineTimers } from "./_machine_timers.ts";
import type { PendingReplies } from "./_pending_replies.ts";
import { type HostedProcess, Parked, type ProcessHost } from "./_process.ts";
import { type Address, canonical, machineOf } from "./name.ts";
import type { ProcessFn, SpawnOptions } from "./process.ts";
import type { RetransmitOptions } from "./reliable_channel.ts";
import { ReliableLink } from "./reliable_link.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import { envelopeEvent, Trace, type TraceEvent, type TraceSink } from "./trace.ts";
import type { ClockSpace } from "./vector_stamp.ts";
import type { WireFrame } from "./wire.ts";
import type { Network } from "./machine.ts";

/** The parts of a machine its host works with. */
export interface HostParts {
  /** `machine.domain`. */
  readonly name: string;
  /** Time, timers and randomness. */
  readonly runtime: Runtime;
  /** The network to other machines. */
  readonly network: Network;
  /** Where events go, if anywhere. */
  readonly trace: TraceSink | undefined;
  /** The numbering of the trace's vector clocks, when it keeps them. */
  readonly clocks: ClockSpace | undefined;
  /** The machine's timers. */
  readonly timers: MachineTimers;
  /** The requests waiting for answers. */
  readonly replies: PendingReplies;
  /** Where arriving envelopes go. */
  readonly arrivals: Arrivals;
  /** The machine's live processes (kept by the machine). */
  readonly processes: ReadonlyMap<Address, HostedProcess>;
  /** The reliable channel's settings, or `null` for raw frames. */
  readonly retransmit: RetransmitOptions | null;
  /** Starts a process on the machine. */
  readonly start: (name: string, fn: ProcessFn, options: SpawnOptions) => Address;
  /** See `MachineOptions.onDormantAct`. */
  readonly onDormantAct: ((address: Address) => void) | undefined;
}

/** The host of one machine. */
export class MachineHost implements ProcessHost, FlowHost, LinkPorts {
  readonly name: string;
  readonly runtime: Runtime;
  readonly clocks: ClockSpace | undefined;
  readonly #parts: HostParts;
  readonly #trace: TraceSink | undefined;
  #epoch = 0;
  #link!: LinkDriver;
  /** Flow control: `null` without the reliable channel, `undefined` until first needed. */
  #flow: FlowControl | null | undefined = null;

  /** A host for the machine made of `parts`. */
  constructor(parts: HostParts) {
    this.#parts = parts;
    this.name = parts.name;
    this.runtime = parts.runtime;
    this.clocks = parts.clocks;
    this.#trace = parts.trace;
  }

  /** Starts incarnation `epoch`: a new link, and new flow control with it. */
  incarnate(epoch: number): void {
    const parts = this.#parts;
    this.#epoch = epoch;
    const link = new ReliableLink(epoch, parts.retransmit);
    this.#link = new LinkDriver(link, parts.runtime, parts.timers, this);
    this.#flow = parts.retransmit === null ? null : undefined;
  }

  /** Flow control of the incarnation, made on first use; `null` without the reliable channel. */
  #flowControl(): FlowControl | null {
    if (this.#flow !== undefined) return this.#flow;
    this.#flow = new FlowControl(this);
    this.#link.attach(this.#flow);
    return this.#flow;
  }

  /**
   * Flow control's part in an arrival from another machine at `target`: `true` when it admitted
   * `env`. A message with no flow control to an unbounded mailbox needs no flow control at all
   * (flow control would only find that out).
   */
  flowArrive(target: HostedProcess, env: Envelope): boolean {
    if (env.flow === undefined && target.mailbox.capacity === Infinity) return false;
    return this.#flowControl()?.arrive(target, env) === true;
  }

  /** A `wait` message found no receiver: its sender resumes. */
  flowRefused(env: Envelope): void {
    this.#flowControl()?.refused(env);
  }

  /** Takes a well-formed frame from machine `from`. */
  receiveFrame(from: string, frame: WireFrame): void {
    this.#link.receive(from, frame);
  }

  get trace(): TraceSink | undefined {
    return this.#trace;
  }

  get tracing(): boolean {
    return this.#trace !== undefined;
  }

  epoch(): number {
    return this.#epoch;
  }

  park<T>(proc: HostedProcess): Parked<T> {
    return new Parked<T>(proc, this.runtime);
  }

  envelope(
    proc: HostedProcess,
    to: string,
    body: unknown,
    corr?: string | true,
    replyTo?: string,
    sync?: boolean,
  ): Envelope {
    proc.clock++;
    this.runtime.account(0);
    const id = proc.envelopeId(this.#epoch);
    // The address it sent to last, kept by the process: a conversation names the same one.
    let address: Address;
    if (to === proc.lastTo) address = proc.lastAddress;
    else {
      address = canonical(to);
      proc.lastTo = to;
      proc.lastAddress = address;
    }
    const from = proc.self, lamport = proc.clock, kind = kindOf(body);
    // A request's correlation id is its envelope's id.
    const link = corr === true ? id : corr;
    const trace = this.#trace;
    if (trace === undefined) {
      return envelopeOf(id, from, address, kind, body, lamport, undefined, link, replyTo, sync);
    }
    // The vector clock exists only for the trace: a process keeps one while its machine traces
    // into a trace that keeps clocks.
    const clocks = this.clocks;
    const vc = clocks === undefined ? undefined : proc.vc = (proc.vc ?? clocks.zero).tick(from);
    const env = envelopeOf(id, from, address, kind, body, lamport, vc, link, replyTo, sync);
    const t = this.runtime.now(), label = labelOf(body);
    if (trace instanceof Trace) {
      trace.message(
        "send",
        t,
        from,
        id,
        from,
        address,
        kind,
        label,
        lamport,
        vc,
        proc.idPrefix,
        proc.sent,
      );
    } else {trace.record({
        t,
        ev: "send",
        at: from,
        id,
        from,
        to: address,
        kind,
        label,
        lamport,
        vc,
      });}
    return env;
  }

  route(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined {
    const arrivals = this.#parts.arrivals;
    // A live process of this machine: the message or reply arrives at once (one lookup).
    const target = arrivals.process(env.to);
    if (target !== undefined) {
      if (env.replyTo === undefined) return arrivals.arriveAt(target, env, sender);
      arrivals.replyHere(env);
      return undefined;
    }
    const machine = machineOf(env.to);
    if (machine === this.name) return arrivals.arrive(env, sender);
    // An asynchronous send to another machine waits for credits of a bounded mailbox. Until flow
    // control is needed, a mailbox the network knows unbounded is sent to at once.
    if (sender !== null && this.#flow !== null) {
      if (this.#flow === undefined && this.bound(env.to) === Infinity) {
        this.#link.send(machine, env);
        return undefined;
      }
      return this.#flowControl()!.send(env, sender);
    }
    this.#link.send(machine, env);
    return undefined;
  }

  expectReply(
    proc: HostedProcess,
    env: Envelope,
    timeout: number,
    action: string,
  ): Promise<Envelope> {
    return this.#parts.replies.expect(proc, env, timeout, action);
  }

  collectReplies(corr: string, collect: (env: Envelope, unknown: boolean) => void): () => void {
    return this.#parts.replies.collect(corr, collect);
  }

  now(): number {
    return this.runtime.now();
  }

  wake(_at: number): void {
    this.#link.wake();
  }

  setTimer(delay: number, callback: () => void): TimerId {
    return this.#parts.timers.set(delay, callback);
  }

  clearTimer(id: TimerId): void {
    this.#parts.timers.clear(id);
  }

  record(event: TraceEvent): void {
    this.#trace?.record(event);
  }

  dormantAct(proc: HostedProcess): void {
    proc.dormant = false;
    this.#parts.onDormantAct?.(proc.self);
  }

  start(name: string, fn: ProcessFn, options: SpawnOptions): Address {
    return this.#parts.start(name, fn, options);
  }

  // Flow control's view.

  forward(env: Envelope): void {
    this.#link.send(machineOf(env.to), env);
  }

  bound(address: Address): number | undefined {
    return this.#parts.network.mailboxBound?.(address);
  }

  rto(machine: string): number {
    return this.#link.link.rto(machine);
  }

  process(address: Address): HostedProcess | undefined {
    return this.#parts.arrivals.process(address);
  }

  get admitting(): (env: Envelope) => void {
    return this.#parts.arrivals.admitting;
  }

  lost(env: Envelope, note: string): void {
    this.#trace?.record(envelopeEvent(this.runtime.now(), "drop", env.from, env, note));
  }

  // The link's effects.

  transmit(to: string, frame: WireFrame): void {
    this.#parts.network.send(this.name, to, frame);
  }

  deliver(from: string, env: Envelope): void {
    if (env.from.startsWith(FLOW_PREFIX)) this.#flowControl()?.receive(from, env);
    else void this.#parts.arrivals.arrive(env, null);
  }

  event(ev: "retransmit" | "drop" | "duplicate", env: Envelope, note: string): void {
    this.#trace?.record(envelopeEvent(this.runtime.now(), ev, this.name, env, note));
  }

  restarted(machine: string): void {
    this.#flow?.peerRestarted(machine);
  }

  unreachable(machine: string): void {
    this.#flow?.unreachable(machine);
  }
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
