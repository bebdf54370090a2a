/**
 * Backpressure across machines: a mailbox's capacity holds for senders on other machines too,
 * through credits per (sending machine, receiving process) that the receiving machine grants.
 *
 * - A sending machine learns a remote process's capacity from the network when the network
 *   knows it (the simulator's directory does), or else from the receiving machine: the first
 *   message to the process goes marked `wait` and its answer says `unbounded` or grants credits.
 *   Sends to an unbounded mailbox then return at once and cost nothing more. A machine that does
 *   not answer that first message within the channel's retransmission timeout (at most 1 s) is
 *   not waited for: the sender resumes, and sends go as to an unbounded mailbox until an answer
 *   comes (a bounded receiver then says `reset`).
 * - A send to a bounded mailbox with a credit returns at once (`flow: "credit"`; a slot waits for
 *   it). Without one it goes marked `wait` and its sender is suspended until the mailbox admits
 *   the message (at capacity 0: until the receiver takes it, a rendezvous), like a local sender.
 *   Nothing is queued on the sending machine: a suspended sender holds its one message.
 * - When the receiver takes a message that came with flow control and the slot it frees is not
 *   claimed by a waiting put, the slot is reserved again and granted to the machine it came from.
 * - Requests and synchronous sends already wait for the receiver: they carry no flow control and
 *   enter the mailbox only where no slot is reserved.
 * - Credits belong to an incarnation: a restarted receiving machine tells senders theirs are
 *   void (`reset`); a restarted sending machine's reservations are released. A sender suspended
 *   on a machine that restarts learns by probing (after 1 s, doubling up to a minute) that its
 *   message was lost with the mailbox; one whose receiver stays unreachable until the reliable
 *   channel gives up is released too. Either way the send returns and the loss is traced.
 *
 * Control answers travel as `$flow` envelopes on the reliable channel, batched per peer machine
 * and scheduling turn. Without the reliable channel there is no flow control (see machine.ts).
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { type FlowBody, FlowOutbox } from "./_flow_outbox.ts";
import { FlowReceiver } from "./_flow_receiver.ts";
import type { HostedProcess, Parked } from "./_process.ts";
import { type Address, machineOf } from "./name.ts";

export { FLOW_PREFIX } from "./_flow_outbox.ts";

/** What flow control needs from its machine. */
export interface FlowHost {
  /** The machine's name. */
  readonly name: string;
  /** The machine's incarnation. */
  epoch(): number;
  /** Puts `env` on the reliable channel to its machine. */
  forward(env: Envelope): void;
  /** Suspends `proc` on a promise settled later. */
  park(proc: HostedProcess): Parked<void>;
  /** The live process at `address` on this machine, if any. */
  process(address: Address): HostedProcess | undefined;
  /**
   * The capacity of the mailbox at `address` on another machine when the network knows it
   * (`Infinity` also for no such process); `undefined` when it cannot know.
   */
  bound(address: Address): number | undefined;
  /** Traces that `env` entered its mailbox (a bound function). */
  readonly admitting: (env: Envelope) => void;
  /** Traces that `env` was lost. */
  lost(env: Envelope, note: string): void;
  /** The machine's clock, in ms. */
  now(): number;
  /** Flow control wants a {@link FlowControl.tick} at `at` (ms) or earlier. */
  wake(at: number): void;
  /** The current retransmission timeout of the channel to `machine`, in ms. */
  rto(machine: string): number;
}

/** What the sending machine knows of one remote process. */
interface Target {
  readonly address: Address;
  /**
   * `asking`: the first messages went marked `wait`, no answer yet; `assumed`: no answer came in
   * time, sends go as to an unbounded mailbox.
   */
  mode: "unknown" | "asking" | "assumed" | "open" | "bounded";
  /** When the current asking times out (ms), or `Infinity`. */
  askAt: number;
  credits: number;
  /** Messages sent `wait` and not yet admitted. */
  waiting: number;
}

interface Peer {
  /** `machine.domain`. */
  readonly machine: string;
  /** The peer's incarnation as its flow messages say. */
  epoch?: number;
  probeDelay: number;
  /** When to probe next (ms) while messages to the peer wait, or `Infinity`. */
  probeAt: number;
  /** Messages to the peer sent `wait` and not yet admitted. */
  waiting: number;
}

const FIRST_PROBE = 1000, LAST_PROBE = 60_000;
/** The longest a first message waits for an answer (at most the channel's RTO), in ms. */
const MAX_ANSWER_WAIT = 1000;
const GONE = "lost: the receiver no longer holds it (its machine restarted or it ended)";

/**
 * Flow control of one machine incarnation: the sending side here, the receiving side in
 * {@link FlowReceiver}, their messages through one {@link FlowOutbox}. It holds no timer: it
 * has a {@link FlowControl.deadline} (answers waited for, probes, the outbox's turn) and its
 * machine ticks it then.
 */
export class FlowControl {
  readonly #host: FlowHost;
  readonly #outbox: FlowOutbox;
  readonly #receiver: FlowReceiver;
  readonly #targets = new Map<Address, Target>();
  readonly #waits = new Map<string, { target: Target; parked: Parked<void>; env: Envelope }>();
  readonly #peers = new Map<string, Peer>();
  /** The targets whose asking has a timeout. */
  readonly #asking = new Set<Target>();
  /** The peers with a probe due. */
  readonly #probing = new Set<Peer>();

  /** Flow control for the machine behind `host`. */
  constructor(host: FlowHost) {
    this.#host = host;
    this.#outbox = new FlowOutbox(host);
    this.#receiver = new FlowReceiver(host, this.#outbox);
  }

  /** When flow control must be ticked next (ms), or `Infinity`. */
  get deadline(): number {
    let at = this.#outbox.deadline;
    for (const target of this.#asking) if (target.askAt < at) at = target.askAt;
    for (const peer of this.#probing) if (peer.probeAt < at) at = peer.probeAt;
    return at;
  }

  /**
   * The time is `now`: askings that got no answer in time stop waiting (sends go as to an
   * unbounded mailbox), peers with messages waiting are probed, the outbox sends this turn's
   * messages.
   */
  tick(now: number): void {
    for (const target of this.#asking) {
      if (target.askAt > now) continue;
      this.#asking.delete(target);
      target.askAt = Infinity;
      if (target.mode !== "asking") continue;
      target.mode = "assumed";
      for (const [id, wait] of this.#waits) if (wait.target === target) this.#release(id);
    }
    for (const peer of this.#probing) {
      if (peer.probeAt > now) continue;
      const ids: string[] = [];
      for (const [id, wait] of this.#waits) {
        if (machineOf(wait.target.address) === peer.machine) ids.push(id);
      }
      this.#outbox.to(peer.machine).probe.push(...ids);
      peer.probeDelay = Math.min(2 * peer.probeDelay, LAST_PROBE);
      peer.probeAt = now + peer.probeDelay;
    }
    this.#outbox.flush(now);
  }

  /** An asynchronous send by `proc` to a remote process: a promise when the sender must wait. */
  send(env: Envelope, proc: HostedProcess): Promise<void> | undefined {
    let target = this.#targets.get(env.to);
    if (target?.mode === "open" || target?.mode === "assumed") {
      this.#host.forward(env);
      return undefined;
    }
    if (target?.mode !== "bounded") {
      const bound = this.#host.bound(env.to);
      if (bound === Infinity) {
        // Known unbounded from now on (a bounded successor of the process says `reset`). The
        // network knows it: without a target yet, nothing is kept (most partners are unbounded).
        if (target !== undefined) target.mode = "open";
        this.#host.forward(env);
        return undefined;
      }
      target ??= this.#target(env.to);
      if (bound !== undefined) target.mode = "bounded";
    }
    if (target.mode === "bounded" && target.waiting === 0 && target.credits > 0) {
      target.credits--;
      this.#host.forward({ ...env, flow: "credit" });
      return undefined;
    }
    if (target.mode === "unknown") this.#ask(target);
    return this.#wait(target, env, this.#host.park(proc));
  }

  /**
   * A message from another machine reached `target`: admits it when it carries flow control and
   * returns `true`, or returns `false` for the machine's usual path.
   */
  arrive(target: HostedProcess, env: Envelope): boolean {
    return this.#receiver.arrive(target, env);
  }

  /** A flow-control envelope from machine `from`. */
  receive(from: string, env: Envelope): void {
    const body = env.body as FlowBody;
    const peer = this.#peer(from);
    if (peer.epoch !== undefined && body.epoch !== peer.epoch) this.#voidCredits(from);
    peer.epoch = body.epoch;
    for (const address of body.reset ?? []) {
      const target = this.#targets.get(address);
      if (target !== undefined && target.mode !== "asking") {
        target.mode = "unknown";
        target.credits = 0;
      }
    }
    for (const [address, answer] of body.caps ?? []) {
      const target = this.#target(address);
      target.askAt = Infinity;
      this.#asking.delete(target);
      if (answer === "unbounded") {
        target.mode = "open";
      } else {
        target.mode = "bounded";
        target.credits += answer;
      }
    }
    for (const id of body.admitted ?? []) this.#release(id);
    for (const id of body.gone ?? []) this.#release(id, GONE);
    if (body.probe !== undefined) this.#receiver.probed(from, body.probe);
  }

  /** A `wait` message found no receiver: its sender resumes. */
  refused(env: Envelope): void {
    this.#receiver.refused(env);
  }

  /** Machine `from` restarted: the slots reserved for its earlier incarnation are free again. */
  peerRestarted(from: string): void {
    this.#receiver.peerRestarted(from);
  }

  /** The reliable channel gave up on machine `to`: senders waiting on it resume. */
  unreachable(to: string): void {
    for (const target of this.#targets.values()) {
      if (machineOf(target.address) !== to) continue;
      if (target.mode === "asking" || target.mode === "bounded") target.mode = "unknown";
      target.credits = 0;
    }
    for (const [id, wait] of this.#waits) {
      if (machineOf(wait.target.address) === to) {
        this.#release(id, "lost: its machine is unreachable");
      }
    }
  }

  #wait(target: Target, env: Envelope, parked: Parked<void>): Promise<void> {
    target.waiting++;
    this.#peer(machineOf(target.address)).waiting++;
    this.#waits.set(env.id, { target, parked, env });
    this.#host.forward({ ...env, flow: "wait" });
    this.#probeLater(machineOf(target.address));
    return parked.promise;
  }

  /** Starts asking: the machine that does not answer in time is not waited for. */
  #ask(target: Target): void {
    target.mode = "asking";
    const wait = Math.min(this.#host.rto(machineOf(target.address)), MAX_ANSWER_WAIT);
    target.askAt = this.#host.now() + wait;
    this.#asking.add(target);
    this.#host.wake(target.askAt);
  }

  #release(id: string, lost?: string): void {
    const wait = this.#waits.get(id);
    if (wait === undefined) return;
    this.#waits.delete(id);
    wait.target.waiting--;
    const peer = this.#peer(machineOf(wait.target.address));
    if (--peer.waiting === 0 && peer.probeAt !== Infinity) {
      // Nothing waits there any more: no probe (and nothing left for the simulator to run).
      this.#probing.delete(peer);
      peer.probeAt = Infinity;
      peer.probeDelay = FIRST_PROBE;
    }
    if (lost !== undefined) this.#host.lost(wait.env, lost);
    wait.parked.resolve();
  }

  /** The receiving machine restarted: its grants are void; whether a bound holds is kept. */
  #voidCredits(machine: string): void {
    for (const target of this.#targets.values()) {
      if (target.mode === "bounded" && machineOf(target.address) === machine) {
        target.mode = "unknown";
        target.credits = 0;
      }
    }
  }

  /** Probes `machine` about the messages waiting there, while some do (1 s, doubling to 1 min). */
  #probeLater(machine: string): void {
    const peer = this.#peer(machine);
    if (peer.probeAt !== Infinity) return;
    peer.probeAt = this.#host.now() + peer.probeDelay;
    this.#probing.add(peer);
    this.#host.wake(peer.probeAt);
  }

  #target(address: Address): Target {
    let target = this.#targets.get(address);
    if (target === undefined) {
      target = { address, mode: "unknown", askAt: Infinity, credits: 0, waiting: 0 };
      this.#targets.set(address, target);
    }
    return target;
  }

  #peer(machine: string): Peer {
    let peer = this.#peers.get(machine);
    if (peer === undefined) {
      peer = { machine, probeDelay: FIRST_PROBE, probeAt: Infinity, waiting: 0 };
      this.#peers.set(machine, peer);
    }
    return peer;
  }
}
