/**
 * The runtime of a real host: the monotonic clock, host timers and a seeded generator.
 *
 * This is the one place in core/ that touches the host's clock and timers.
 * @module
 */
import { createRandom, type Random } from "./prng.ts";
import type { Runtime, TimerId } from "./runtime.ts";

/** Options of {@link createRealRuntime}. */
export interface RealRuntimeOptions {
  /** Seed of the runtime's generator. @default a seed drawn from the host's crypto */
  seed?: number;
  /** Wall-clock ms (Unix epoch) that `now()` counts from, so that hosts share a time base. @default this process's start */
  origin?: number;
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

/**
 * Creates a runtime backed by `performance.now()`, `setTimeout` and a seeded generator.
 *
 * @example Real time moves forward
 * ```ts
 * import assert from "node:assert/strict";
 * import { createRealRuntime } from "./real_runtime.ts";
 * const runtime = createRealRuntime({ seed: 1 });
 * const t0 = runtime.now();
 * await new Promise<void>((resolve) => runtime.setTimer(2, resolve));
 * assert.ok(runtime.now() >= t0);
 * ```
 */
export function createRealRuntime(options: RealRuntimeOptions = {}): Runtime {
  const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0];
  const random: Random = createRandom(seed);
  const shift = performance.timeOrigin - (options.origin ?? performance.timeOrigin);
  return {
    kind: "real",
    now: () => performance.now() + shift,
    random: () => random.next(),
    setTimer(delay: number, callback: () => void): TimerId {
      return setTimeout(callback, Math.max(0, delay)) as unknown as TimerId;
    },
    clearTimer(id: TimerId): void {
      clearTimeout(id as unknown as ReturnType<typeof setTimeout>);
    },
    account(): void {},
  };
}
