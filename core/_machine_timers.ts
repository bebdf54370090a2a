/**
 * The runtime timers a machine owns (process sleeps and receive timeouts, request timeouts,
 * flow control's waits, the link's one deadline): all of them are cancelled when the machine
 * crashes or shuts down, so that nothing of an incarnation runs after it ended.
 * @module
 */
import type { Runtime, TimerId, TimerTask } from "./runtime.ts";

/**
 * One of a machine's timers as a timer task: on a runtime with `setTask` the task is the
 * scheduled item itself, without a wrapper closure per timer (the link re-arms on every round
 * trip). The machine's pending timers are a list through the timers themselves: setting and
 * cancelling one (twice per message on a reliable link) touches no set.
 */
class MachineTimer implements TimerTask {
  t = 0;
  seq = 0;
  cancelled = false;
  slot = -1;
  /** What the runtime returned for it (the task itself, or the runtime's own item). */
  id: TimerId | undefined = undefined;
  /** Its neighbours in its machine's list of pending timers, while pending. */
  prev: MachineTimer | undefined = undefined;
  next: MachineTimer | undefined = undefined;
  pending = true;
  readonly #owner: MachineTimers;
  readonly callback: () => void;

  constructor(owner: MachineTimers, callback: () => void) {
    this.#owner = owner;
    this.callback = callback;
  }

  /** Whether it belongs to `owner`. */
  of(owner: MachineTimers): boolean {
    return this.#owner === owner;
  }

  run(): void {
    this.#owner.unlink(this);
    this.callback();
  }
}

/**
 * The timers of one machine.
 *
 * @example Timers cancelled one by one, then all at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { MachineTimers } from "./_machine_timers.ts";
 * const scheduled = new Map<number, () => void>();
 * let ids = 0;
 * const timers = new MachineTimers({
 *   kind: "sim",
 *   now: () => 0,
 *   random: () => 0,
 *   account() {},
 *   setTimer(_delay, callback) {
 *     scheduled.set(++ids, callback);
 *     return ids;
 *   },
 *   clearTimer(id) {
 *     scheduled.delete(id as number);
 *   },
 * });
 * const a = timers.set(5, () => {});
 * timers.set(10, () => {});
 * timers.set(15, () => {});
 * timers.clear(a);
 * assert.equal(scheduled.size, 2);
 * scheduled.get(2)!(); // the second one runs: no longer pending
 * assert.equal(timers.size, 1);
 * timers.clearAll();
 * assert.equal(scheduled.size, 1); // the one that ran was not cancelled
 * assert.equal(timers.size, 0);
 * ```
 */
export class MachineTimers {
  readonly #runtime: Runtime;
  #first: MachineTimer | undefined = undefined;
  #last: MachineTimer | undefined = undefined;
  #size = 0;

  /** Timers on `runtime`. */
  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** How many are pending. */
  get size(): number {
    return this.#size;
  }

  /**
   * Runs `callback` after `delay` ms unless cancelled first (one by one or all at once). With
   * `reuse`, a timer this set before for the same callback that has run or was cancelled since,
   * that one is set again (the link re-arms its two timers on every message: no new object each
   * time); a timer still pending is not reused.
   *
   * @example A timer that ran is set again as itself
   * ```ts
   * import assert from "node:assert/strict";
   * import { Simulator } from "./mod.ts";
   * import { MachineTimers } from "./_machine_timers.ts";
   * const sim = new Simulator({ seed: 1 });
   * const timers = new MachineTimers(sim.machine("m1.lab").runtime);
   * let ran = 0;
   * const tick = () => void ran++;
   * const first = timers.set(5, tick);
   * await sim.run();
   * assert.equal(timers.set(5, tick, first), first);
   * await sim.run();
   * assert.equal(ran, 2);
   * assert.notEqual(timers.set(5, tick, first), timers.set(5, tick, first)); // the first is pending
   * ```
   */
  set(delay: number, callback: () => void, reuse?: TimerId): TimerId {
    const runtime = this.#runtime;
    let timer: MachineTimer;
    if (
      reuse instanceof MachineTimer && !reuse.pending && reuse.callback === callback &&
      reuse.of(this)
    ) {
      timer = reuse;
      timer.pending = true;
    } else timer = new MachineTimer(this, callback);
    timer.id = runtime.setTask !== undefined
      ? runtime.setTask(delay, timer)
      : runtime.setTimer(delay, () => timer.run());
    const last = this.#last;
    timer.prev = last;
    if (last === undefined) this.#first = timer;
    else last.next = timer;
    this.#last = timer;
    this.#size++;
    return timer;
  }

  /** Cancels timer `id` (what {@link MachineTimers.set} returned). */
  clear(id: TimerId): void {
    if (!(id instanceof MachineTimer)) return this.#runtime.clearTimer(id);
    this.unlink(id);
    this.#runtime.clearTimer(id.id!);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (let timer = this.#first; timer !== undefined;) {
      const next = timer.next;
      timer.pending = false;
      timer.prev = timer.next = undefined;
      this.#runtime.clearTimer(timer.id!);
      timer = next;
    }
    this.#first = this.#last = undefined;
    this.#size = 0;
  }

  /** Takes `timer` out of the pending ones (it ran or is cancelled); once only. */
  unlink(timer: MachineTimer): void {
    if (!timer.pending) return;
    timer.pending = false;
    const { prev, next } = timer;
    if (prev === undefined) this.#first = next;
    else prev.next = next;
    if (next === undefined) this.#last = prev;
    else next.prev = prev;
    timer.prev = timer.next = undefined;
    this.#size--;
  }
}
