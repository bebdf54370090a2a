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
 * trip).
 */
class MachineTimer implements TimerTask {
  t = 0;
  seq = 0;
  cancelled = false;
  /** What the runtime returned for it (the task itself, or the runtime's own item). */
  id: TimerId | undefined;
  readonly #ids: Set<TimerId>;
  readonly #callback: () => void;

  constructor(ids: Set<TimerId>, callback: () => void) {
    this.#ids = ids;
    this.#callback = callback;
  }

  run(): void {
    this.#ids.delete(this.id!);
    this.#callback();
  }
}

/** The timers of one machine. */
export class MachineTimers {
  readonly #runtime: Runtime;
  readonly #ids = new Set<TimerId>();

  /** Timers on `runtime`. */
  constructor(runtime: Runtime) {
    this.#runtime = runtime;
  }

  /** Runs `callback` after `delay` ms unless cancelled first (one by one or all at once). */
  set(delay: number, callback: () => void): TimerId {
    const runtime = this.#runtime;
    if (runtime.setTask !== undefined) {
      const task = new MachineTimer(this.#ids, callback);
      const id = task.id = runtime.setTask(delay, task);
      this.#ids.add(id);
      return id;
    }
    const id: TimerId = runtime.setTimer(delay, () => {
      this.#ids.delete(id);
      callback();
    });
    this.#ids.add(id);
    return id;
  }

  /** Cancels timer `id`. */
  clear(id: TimerId): void {
    this.#ids.delete(id);
    this.#runtime.clearTimer(id);
  }

  /** Cancels every pending timer. */
  clearAll(): void {
    for (const id of this.#ids) this.#runtime.clearTimer(id);
    this.#ids.clear();
  }
}
