/**
 * The runtime timers a machine owns (process sleeps and receive timeouts, request timeouts,
 * flow control's waits, the link's one deadline): all of them are cancelled when the machine
 * crashes or shuts down, so that nothing of an incarnation runs after it ended.
 * @module
 */
import type { Runtime, TimerId } from "./runtime.ts";

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
    const id: TimerId = this.#runtime.setTimer(delay, () => {
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
