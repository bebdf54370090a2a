/**
 * The runtime a machine runs on: time, timers, randomness and scheduling hooks.
 *
 * Processes and protocols never read the wall clock or global randomness: they ask the runtime,
 * so that the simulator can drive the same code in virtual time and replay it from a seed.
 * @module
 */
import type { Disk } from "./storage/disk.ts";

/** An opaque handle for a pending timer (whatever the runtime's timers return). */
export type TimerId = number | object;

/** Time, timers, randomness and scheduling, supplied by the simulator or by a real host. */
export interface Runtime {
  /** `"sim"` for virtual time, `"real"` for the host's clock. */
  readonly kind: "sim" | "real";
  /** Current time in milliseconds (virtual in the simulator). */
  now(): number;
  /** A float in [0, 1) from the runtime's seeded generator. */
  random(): number;
  /** Runs `callback` after `delay` ms; returns an id for {@link Runtime.clearTimer}. */
  setTimer(delay: number, callback: () => void): TimerId;
  /** Cancels a pending timer; unknown ids are ignored. */
  clearTimer(id: TimerId): void;
  /**
   * Scheduling hook: `+1` when a process becomes runnable, `-1` when it blocks or ends, `0` when
   * a running process acts (sends). The simulator advances virtual time only when no process is
   * runnable; a real host ignores it.
   */
  account(delta: number): void;
  /**
   * Scheduling hook: code of a process may still run at this instant although the process is
   * counted as blocked, because it waits on several things at once (one of them may have resumed
   * its other code) or it acted after it started a wait it did not await. The simulator then lets
   * the instant's microtasks run a while longer before it moves time on; a real host needs none.
   */
  stir?(): void;
  /**
   * The machine's stable storage, which outlives its crashes (see `ctx.disk`). @default none:
   * processes on this runtime have no disk
   */
  readonly disk?: Disk;
  /**
   * The machine on this runtime crashed: the runtime drops what a crash loses outside the
   * machine (the simulator's disk fault: writes not synced yet).
   */
  crashed?(): void;
}
