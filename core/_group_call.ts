/**
 * The state of one group request (see `group_request.ts`): replies buffered in arrival order
 * until the caller takes them with `getReply`, the targets still silent, those reported
 * unknown, and the end (expected replies in, unknown targets, timeout or close).
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { ProcessStoppedError } from "./errors.ts";
import type { GroupCall, GroupCallEnd, GroupCallReason, GroupReply } from "./group_request.ts";
import type { Address } from "./name.ts";
import type { TimerId } from "./runtime.ts";
import type { HostedProcess, Parked, ProcessHost } from "./_process.ts";

/** Ends the correlation id of every group request, so a late reply can be told apart. */
export const GROUP_CALL_MARK = "/group";

/** One group request of a hosted process. */
export class GroupCallState<B> implements GroupCall<B> {
  /** See {@link GroupCall.id}. */
  readonly id: string;
  /** See {@link GroupCall.targets}. */
  readonly targets: readonly Address[];
  /** See {@link GroupCall.expected}. */
  readonly expected: number;
  readonly #owner: HostedProcess;
  readonly #host: ProcessHost;
  readonly #buffer: Envelope<B>[] = [];
  readonly #waiters: Parked<GroupReply<B>>[] = [];
  readonly #answered = new Set<Address>();
  readonly #unknown: Address[] = [];
  #replies = 0;
  #timer: TimerId | undefined;
  #release: () => void = () => {};
  #end: GroupReply<B> | undefined;

  /** A call by `owner` with correlation id `id` to `targets`, ending after `expected` replies. */
  constructor(
    owner: HostedProcess,
    host: ProcessHost,
    call: { id: string; targets: readonly Address[]; expected: number },
  ) {
    this.#owner = owner;
    this.#host = host;
    this.id = call.id;
    this.targets = call.targets;
    this.expected = call.expected;
  }

  /** Starts collecting: `release` unregisters the call from its machine; `timeout` in ms. */
  open(release: () => void, timeout: number): void {
    this.#release = release;
    this.#timer = this.#host.setTimer(timeout, () => {
      this.#timer = undefined;
      const host = this.#host;
      if (host.tracing) {
        host.record({
          t: host.runtime.now(),
          ev: "timer",
          at: this.#owner.self,
          id: this.id,
          note: `timeout: group request to ${this.targets.length} processes after ${timeout} ms, ` +
            `${this.#replies} of ${this.expected} replies`,
        });
      }
      this.#finish("timeout");
    });
  }

  /** Takes an answer to the request from the machine: a reply, or a `$unknown` for a target. */
  collect(env: Envelope, unknown: boolean): void {
    if (this.#end !== undefined) return;
    if (unknown) {
      if (!this.#unknown.includes(env.from)) this.#unknown.push(env.from);
    } else {
      this.#replies++;
      this.#answered.add(env.from);
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#buffer.push(env as Envelope<B>);
      else waiter.resolve(this.#hand(env as Envelope<B>));
    }
    const reachable = this.targets.length - this.#unknown.length;
    if (this.#replies >= this.expected) this.#finish("complete");
    else if (this.#replies >= reachable) this.#finish("unknown");
  }

  /** See {@link GroupCall.getReply}. */
  getReply(): Promise<GroupReply<B>> {
    if (!this.#owner.alive) throw new ProcessStoppedError(this.#owner.self);
    const env = this.#buffer.shift();
    if (env !== undefined) return Promise.resolve(this.#hand(env));
    if (this.#end !== undefined) return Promise.resolve(this.#end);
    const parked = this.#host.park<GroupReply<B>>(this.#owner);
    this.#waiters.push(parked);
    return parked.promise;
  }

  /** See {@link GroupCall.close}. */
  close(): void {
    if (this.#end === undefined) this.#finish("closed");
  }

  #hand(env: Envelope<B>): GroupReply<B> {
    this.#owner.taken(env);
    return { done: false, reply: env };
  }

  #finish(reason: GroupCallReason): void {
    const end: GroupCallEnd = {
      reason,
      replies: this.#replies,
      silent: this.targets.filter((t) => !this.#answered.has(t) && !this.#unknown.includes(t)),
      unknown: [...this.#unknown],
    };
    this.#end = { done: true, end };
    this.#release();
    if (this.#timer !== undefined) this.#host.clearTimer(this.#timer);
    this.#timer = undefined;
    // Waiters exist only while nothing is buffered: each of them gets the end.
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(this.#end);
  }
}
