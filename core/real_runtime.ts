/**
 * The runtime of a real host: the monotonic clock, host timers and a seeded generator.
 *
 * This is the one place in core/ that touches the host's clock and timers.
 * @module
 */
import { createRandom, type Random } from "./prng.ts";
import type { Runtime, TimerId } from "./runtime.ts";
import type { Disk } from "./storage/disk.ts";
import { MemoryDisk } from "./storage/memory_disk.ts";

/** Options of {@link createRealRuntime}. */
export interface RealRuntimeOptions {
  /** Seed of the runtime's generator. @default a seed drawn from the host's crypto */
  seed?: number;
  /** Wall-clock ms (Unix epoch) that `now()` counts from, so that hosts share a time base. @default this process's start */
  origin?: number;
  /** The machine's disk (`ctx.disk`). @default a disk in memory, lost with the OS process */
  disk?: Disk;
}

/**
 * Wall-clock milliseconds since the Unix epoch: a time base several OS processes share, and an
 * incarnation number that grows across restarts of a machine.
 *
 * @example Grows with time
 * ```ts
 * import assert from "node:assert/strict";
 * import { wallClock } from "./real_runtime.ts";
 * assert.ok(wallClock() > 1_600_000_000_000);
 * ```
 */
export function wallClock(): number {
  return performance.timeOrigin + performance.now();
}

/** What a real runtime is busy with right now. */
export interface RuntimeActivity {
  /** Processes that can run: started or woken, and not yet waiting on their context again. */
  readonly runnable: number;
  /** Timers set and not yet fired or cleared. */
  readonly timers: number;
}

/** A real host's runtime: a {@link Runtime} that can say what it is busy with. */
export interface RealRuntime extends Runtime {
  /**
   * Runnable processes and pending timers. Both zero means the machine on this runtime can
   * only be woken by a frame from another machine: the real-host side of the simulator's
   * quiescence.
   */
  activity(): RuntimeActivity;
}

/**
 * Creates a runtime backed by `performance.now()`, `setTimeout` and a seeded generator. It
 * counts runnable processes (the scheduling hook) and pending timers, for
 * {@link RealRuntime.activity}.
 *
 * @example Real time moves forward
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRealRuntime } from "./real_runtime.ts";
 * const runtime = createRealRuntime({ seed: 1 });
 * const t0 = runtime.now();
 * const fired = new Promise<void>((resolve) => runtime.setTimer(2, resolve));
 * assert.equal(runtime.activity().timers, 1);
 * await fired;
 * assert.ok(runtime.now() >= t0);
 * assert.deepEqual(runtime.activity(), { runnable: 0, timers: 0 });
 * ```
 */
export function createRealRuntime(options: RealRuntimeOptions = {}): RealRuntime {
  const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  const random: Random = createRandom(seed);
  const shift = performance.timeOrigin - (options.origin ?? performance.timeOrigin);
  type HostTimer = ReturnType<typeof setTimeout>;
  const pending = new Set<HostTimer>();
  let runnable = 0;
  let disk = options.disk;
  return {
    kind: "real",
    get disk(): Disk {
      return disk ??= new MemoryDisk();
    },
    now: () => performance.now() + shift,
    random: () => random.next(),
    setTimer(delay: number, callback: () => void): TimerId {
      const id = setTimeout(() => {
        pending.delete(id);
        callback();
      }, Math.max(0, delay));
      pending.add(id);
      return id as unknown as TimerId;
    },
    clearTimer(id: TimerId): void {
      pending.delete(id as unknown as HostTimer);
      clearTimeout(id as unknown as HostTimer);
    },
    account(delta: number): void {
      runnable += delta;
    },
    activity: () => ({ runnable, timers: pending.size }),
  };
}
