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

/**
 * A timer as an object: what {@link Runtime.setTask} runs. `t`, `seq` and `cancelled` belong to
 * the runtime (the simulator schedules the task itself, by time and sequence).
 *
 * @example A task run by a runtime that has no setTask
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator, type TimerTask } from "./mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * const runtime = sim.machine("m1.lab").runtime;
 * let ran = 0;
 * const task: TimerTask = { t: 0, seq: 0, cancelled: false, run: () => void ran++ };
 * if (runtime.setTask) runtime.setTask(5, task);
 * else runtime.setTimer(5, () => task.run());
 * await sim.run();
 * assert.equal(ran, 1);
 * assert.equal(sim.now, 5);
 * ```
 */
export interface TimerTask {
  /** When it is due (the runtime's bookkeeping). */
  t: number;
  /** Its place among tasks due at the same time (the runtime's bookkeeping). */
  seq: number;
  /** Set once it is cancelled (the runtime's bookkeeping). */
  cancelled: boolean;
  /** Where the runtime put it (the runtime's bookkeeping; the simulator's hint for a cancel). */
  slot?: number;
  /** What runs when it is due. */
  run(): void;
}

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
  /**
   * Runs `task.run()` after `delay` ms, as {@link Runtime.setTimer} runs a callback, without a
   * closure per timer; the runtime may keep its own bookkeeping in the task's `t`, `seq` and
   * `cancelled`. Returns an id for {@link Runtime.clearTimer}.
   * @default none: callers fall back to `setTimer(delay, () => task.run())`
   */
  setTask?(delay: number, task: TimerTask): TimerId;
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
