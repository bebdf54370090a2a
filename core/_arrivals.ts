/**
 * Where an envelope that reached a machine goes: to the request waiting for it (a reply), to
 * its process's mailbox (at once, or once there is room: backpressure), held for a process not
 * spawned yet, or answered as unknown. The machine's system answers (receipts of synchronous
 * sends, unknown process) leave from here too.
 * @module
 */
import { type Envelope, RECEIPT_KIND } from "./envelope.ts";
import { UnknownProcessError } from "./errors.ts";
import { GROUP_CALL_MARK } from "./_group_call.ts";
import { type PendingReplies, UNKNOWN_KIND } from "./_pending_replies.ts";
import { type HostedProcess, Parked } from "./_process.ts";
import { type Address, machineOf } from "./name.ts";
import type { Runtime } from "./runtime.ts";
import { envelopeEvent, Trace, type TraceSink } from "./trace.ts";

/** What arrivals need of the rest of the machine. */
export interface ArrivalsOptions {
  /** The machine's name. */
  readonly name: string;
  /** Time and scheduling. */
  readonly runtime: Runtime;
  /** Where events go, if anywhere. */
  readonly trace: TraceSink | undefined;
  /** The machine's live processes (shared, kept by the machine). */
  readonly processes: ReadonlyMap<Address, HostedProcess>;
  /** The requests waiting for answers. */
  readonly replies: PendingReplies;
  /** How many messages for processes not spawned yet are kept. */
  readonly holdLimit: number;
  /** Sends `env` to another machine. */
  readonly transmit: (env: Envelope) => void;
}

/** Flow control's part in arrivals. */
export interface FlowGate {
  /** Admits `env`, from another machine, to `target` when it carries flow control: `true`. */
  flowArrive(target: HostedProcess, env: Envelope): boolean;
  /** A `wait` message found no receiver: its sender resumes. */
  flowRefused(env: Envelope): void;
}

/** The arrival side of one machine. */
export class Arrivals {
  readonly #name: string;
  readonly #runtime: Runtime;
  readonly #trace: TraceSink | undefined;
  readonly #processes: ReadonlyMap<Address, HostedProcess>;
  readonly #replies: PendingReplies;
  readonly #transmit: (env: Envelope) => void;
  readonly #holdLimit: number;
  #held = 0;
  /** Messages for processes not spawned yet; the shared empty map while there are none. */
  #early: Map<Address, Envelope[]> = NOTHING_HELD;
  /** Flow control of the machine's current incarnation. */
  flow: FlowGate | undefined;
  /** Traces that `env` entered its mailbox (bound, handed to mailboxes). */
  readonly admitting = (env: Envelope): void => this.#recordDeliver(env);

  /** Arrivals for the machine described by `options`. */
  constructor(options: ArrivalsOptions) {
    this.#name = options.name;
    this.#runtime = options.runtime;
    this.#trace = options.trace;
    this.#processes = options.processes;
    this.#replies = options.replies;
    this.#transmit = options.transmit;
    this.#holdLimit = options.holdLimit;
  }

  /** Process `address` was spawned: hands it what came for it before, in the order it came. */
  spawned(address: Address): void {
    const early = this.#early.get(address);
    if (early === undefined) return;
    this.#early.delete(address);
    this.#held -= early.length;
    for (const env of early) void this.arrive(env, null);
  }

  /**
   * Routes an envelope that reached this machine. `sender` is set on the same-machine path; a
   * promise is returned when that sender must wait (no room, or an unknown process).
   */
  arrive(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined {
    if (env.replyTo !== undefined) {
      this.#reply(env, false);
      return;
    }
    const target = this.process(env.to);
    if (target === undefined) return this.#unknown(env, sender);
    return this.arriveAt(target, env, sender);
  }

  /**
   * The live process `address` of this machine, if any. The last two found are kept: a
   * conversation's messages go to the same processes (one that is no longer alive, which is when
   * the machine forgets it, is looked up again).
   */
  process(address: Address): HostedProcess | undefined {
    const last = this.#last;
    if (last !== undefined && last.self === address && last.alive) return last;
    const before = this.#before;
    if (before !== undefined && before.self === address && before.alive) {
      this.#before = last;
      this.#last = before;
      return before;
    }
    const found = this.#processes.get(address);
    if (found !== undefined) {
      this.#before = last;
      this.#last = found;
    }
    return found;
  }
  /** The last two processes {@link Arrivals.process} found (two that talk alternate). */
  #last: HostedProcess | undefined = undefined;
  #before: HostedProcess | undefined = undefined;

  /**
   * {@link Arrivals.arrive} for a reply to a live process of this machine the caller already
   * looked up.
   */
  replyHere(env: Envelope): void {
    this.#reply(env, true);
  }

  /**
   * {@link Arrivals.arrive} for a message (not a reply) to `target`, a live process of this
   * machine the caller already looked up (the same-machine path: one lookup per message).
   */
  arriveAt(
    target: HostedProcess,
    env: Envelope,
    sender: HostedProcess | null,
  ): Promise<void> | undefined {
    // From another machine with flow control: credits, or a sender waiting for admission.
    if (sender === null && this.flow?.flowArrive(target, env) === true) return;
    // Untraced, nothing is recorded as the message enters: no call per message for it.
    if (target.mailbox.offer(env, this.#trace === undefined ? undefined : this.admitting)) {
      if (env.sync && sender === null) this.answer(env, RECEIPT_KIND, { kind: RECEIPT_KIND });
      return;
    }
    // No room (or a rendezvous with no receiver yet): the message waits to be admitted, and a
    // sender on this machine waits with it (backpressure).
    const parked = sender === null ? undefined : new Parked<void>(sender, this.#runtime);
    target.mailbox.block(env, () => {
      this.#recordDeliver(env);
      if (parked) parked.resolve();
      else if (env.sync) this.answer(env, RECEIPT_KIND, { kind: RECEIPT_KIND });
    });
    return parked?.promise;
  }

  /** Sends a system answer (receipt, unknown process) for `env` back to its sender. */
  answer(env: Envelope, kind: string, body: unknown): void {
    const reply: Envelope = {
      id: `${env.id}/${kind}`,
      from: env.to,
      to: env.from,
      kind,
      body,
      lamport: env.lamport,
      replyTo: env.corr ?? env.id,
    };
    if (machineOf(reply.to) === this.#name) this.arrive(reply, null);
    else this.#transmit(reply);
  }

  /** A reply; `here` when its process is known to live on this machine. */
  #reply(env: Envelope, here: boolean): void {
    if (
      !this.#replies.has(env.replyTo!) ||
      (!here && this.process(env.to) === undefined && machineOf(env.to) !== this.#name)
    ) {
      const note = env.replyTo!.endsWith(GROUP_CALL_MARK)
        ? "late reply: its group request has ended"
        : "late reply: nobody waits for it";
      this.#trace?.record(envelopeEvent(this.#runtime.now(), "drop", env.to, env, note));
      return;
    }
    this.#recordDeliver(env);
    this.#replies.settle(env);
  }

  #unknown(env: Envelope, sender: HostedProcess | null): Promise<void> | undefined {
    if (sender === null && this.#held < this.#holdLimit) {
      this.#held++;
      if (this.#early === NOTHING_HELD) this.#early = new Map();
      const early = this.#early.get(env.to);
      if (early === undefined) this.#early.set(env.to, [env]);
      else early.push(env);
      return;
    }
    this.#trace?.record(
      envelopeEvent(this.#runtime.now(), "drop", this.#name, env, "unknown process"),
    );
    // A sender on this machine learns at once; a remote requester or sync sender by answer.
    if (sender !== null) return Promise.reject(new UnknownProcessError(env.to));
    if (env.corr !== undefined) this.answer(env, UNKNOWN_KIND, { kind: UNKNOWN_KIND });
    if (env.flow === "wait") this.flow?.flowRefused(env);
  }

  #recordDeliver(env: Envelope): void {
    const trace = this.#trace;
    if (trace instanceof Trace) {
      const { id, from, to, kind } = env, t = this.#runtime.now();
      trace.message("deliver", t, to, id, from, to, kind, undefined, env.lamport, env.vc);
    } else if (trace) {
      trace.record({
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
}

/** The held messages of every machine that holds none (never written). */
const NOTHING_HELD: Map<Address, Envelope[]> = new Map();
