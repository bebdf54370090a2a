/**
 * The requests (and synchronous sends) of a machine's processes that wait for an answer, by
 * correlation id: one answer settles a request (or its timeout fails it); a group request takes
 * every answer until it ends.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { TimeoutError, UnknownProcessError } from "./errors.ts";
import type { MachineTimers } from "./_machine_timers.ts";
import { type HostedProcess, Parked } from "./_process.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import type { TraceSink } from "./trace.ts";

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

/** The waiting requests of one machine. */
export class PendingReplies {
  readonly #runtime: Runtime;
  readonly #timers: MachineTimers;
  readonly #trace: TraceSink | undefined;
  /** By correlation id; the shared empty map until a request waits. */
  #pending: Map<string, Awaiting | Collecting> = NOBODY;

  /** Requests timed on `timers`, their timeouts traced to `trace`. */
  constructor(runtime: Runtime, timers: MachineTimers, trace: TraceSink | undefined) {
    this.#runtime = runtime;
    this.#timers = timers;
    this.#trace = trace;
  }

  /** Waits for the answer to `env` (by its `corr`), failing after `timeout` ms. */
  expect(proc: HostedProcess, env: Envelope, timeout: number, action: string): Promise<Envelope> {
    const corr = env.corr!;
    const parked = new Parked<Envelope>(proc, this.#runtime);
    const timer = this.#timers.set(timeout, () => {
      this.#pending.delete(corr);
      this.#trace?.record({
        t: this.#runtime.now(),
        ev: "timer",
        at: proc.self,
        id: env.id,
        note: `timeout: ${action} to ${env.to} after ${timeout} ms`,
      });
      parked.reject(new TimeoutError(action, timeout, `to "${env.to}"`));
    });
    this.#waiting().set(corr, { owner: proc, parked, timer });
    return parked.promise;
  }

  /** Hands every answer to `corr` to `collect` until the returned function is called. */
  collect(corr: string, collect: (env: Envelope, unknown: boolean) => void): () => void {
    const entry: Collecting = { collect };
    this.#waiting().set(corr, entry);
    return () => {
      if (this.#pending.get(corr) === entry) this.#pending.delete(corr);
    };
  }

  /** Whether a request waits for answers to `corr`. */
  has(corr: string): boolean {
    return this.#pending.has(corr);
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
    this.#timers.clear(pending.timer);
    if (env.kind === UNKNOWN_KIND) {
      pending.parked.reject(new UnknownProcessError(env.from));
    } else {
      pending.owner.observe(env);
      pending.parked.resolve(env);
    }
  }

  /** Forgets every waiting request (their machine crashed or shut down). */
  clear(): void {
    this.#pending = NOBODY;
  }

  #waiting(): Map<string, Awaiting | Collecting> {
    return this.#pending === NOBODY ? this.#pending = new Map() : this.#pending;
  }
}

/** The waiting requests of a machine none of whose processes waits yet (never written). */
const NOBODY: Map<string, Awaiting | Collecting> = new Map();
