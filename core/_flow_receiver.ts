/**
 * The receiving side of flow control across machines: messages marked `wait` are admitted (or
 * wait for room) and answered, credits reserve slots, a slot freed by a taken message is granted
 * back to the machine it came from, and probes are answered.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { FlowOutbox } from "./_flow_outbox.ts";
import type { HostedProcess } from "./_process.ts";
import { type Address, machineOf } from "./name.ts";

/** What the receiving side needs from its machine. */
export interface ReceiverHost {
  /** The machine's name. */
  readonly name: string;
  /** The live process at `address` on this machine, if any. */
  process(address: Address): HostedProcess | undefined;
  /** Traces that `env` entered its mailbox (a bound function). */
  readonly admitting: (env: Envelope) => void;
}

/** The receiving side of one machine incarnation. */
export class FlowReceiver {
  readonly #host: ReceiverHost;
  readonly #outbox: FlowOutbox;
  /** Credits granted per local process and sending machine. */
  readonly #owed = new Map<Address, Map<string, number>>();
  /** `wait` messages blocked in a mailbox, by id, with their receiver. */
  readonly #blocked = new Map<string, HostedProcess>();

  /** The receiving side of the machine behind `host`, answering through `outbox`. */
  constructor(host: ReceiverHost, outbox: FlowOutbox) {
    this.#host = host;
    this.#outbox = outbox;
  }

  /**
   * A message from another machine reached `target`: admits it when it carries flow control and
   * returns `true`, or returns `false` for the machine's usual path.
   */
  arrive(target: HostedProcess, env: Envelope): boolean {
    const from = machineOf(env.from);
    if (from === this.#host.name) return false;
    const box = target.mailbox;
    const admitting = this.#host.admitting;
    if (env.flow === "wait") {
      const draft = this.#outbox.to(from);
      if (box.capacity === Infinity) {
        box.offer(env, admitting);
        draft.admitted.push(env.id);
        draft.caps.set(target.self, "unbounded");
        return true;
      }
      this.#watch(target);
      // The answer says the mailbox is bounded, with whatever credits come along.
      if (!draft.caps.has(target.self)) draft.caps.set(target.self, 0);
      if (box.offer(env, admitting)) {
        draft.admitted.push(env.id);
        this.#grant(target, from, box.free);
        return true;
      }
      // Full: the sender keeps waiting until a slot frees.
      this.#blocked.set(env.id, target);
      box.block(env, () => {
        admitting(env);
        this.#blocked.delete(env.id);
        this.#outbox.to(from).admitted.push(env.id);
      });
      return true;
    }
    if (env.flow === "credit") {
      const owed = this.#owed.get(target.self);
      const credits = owed?.get(from) ?? 0;
      if (credits > 0) {
        owed!.set(from, credits - 1);
        box.admit(env, admitting);
        return true;
      }
      // A credit of an earlier incarnation of this machine: no slot waits for it.
      this.#outbox.to(from).reset.add(target.self);
      return false;
    }
    if (box.capacity !== Infinity && env.corr === undefined) {
      // The sender takes this process for unbounded (no answer came in time, or an earlier one).
      this.#outbox.to(from).reset.add(target.self);
    }
    return false;
  }

  /** Answers a probe of machine `from`: which of `ids` no longer wait here. */
  probed(from: string, ids: readonly string[]): void {
    const gone = this.#outbox.to(from).gone;
    for (const id of ids) if (this.#blocked.get(id)?.alive !== true) gone.push(id);
  }

  /** A `wait` message found no receiver: its sender resumes. */
  refused(env: Envelope): void {
    this.#outbox.to(machineOf(env.from)).gone.push(env.id);
  }

  /** Machine `from` restarted: the slots reserved for its earlier incarnation are free again. */
  peerRestarted(from: string): void {
    for (const [address, owed] of this.#owed) {
      const count = owed.get(from);
      if (count === undefined) continue;
      owed.delete(from);
      this.#host.process(address)?.mailbox.release(count);
    }
  }

  /** Grants a slot freed by a taken message back to the machine it came from. */
  #watch(proc: HostedProcess): void {
    if (proc.mailbox.onTake !== undefined) return;
    proc.mailbox.onTake = (env) => {
      if (env.flow === undefined || proc.mailbox.free === 0 || !proc.alive) return;
      this.#grant(proc, machineOf(env.from), 1);
    };
  }

  /** Reserves `count` slots of `proc`'s mailbox for machine `from` and tells it. */
  #grant(proc: HostedProcess, from: string, count: number): void {
    if (count === 0) return;
    proc.mailbox.reserve(count);
    let owed = this.#owed.get(proc.self);
    if (owed === undefined) this.#owed.set(proc.self, owed = new Map());
    owed.set(from, (owed.get(from) ?? 0) + count);
    this.#outbox.grant(from, proc.self, count);
  }
}
