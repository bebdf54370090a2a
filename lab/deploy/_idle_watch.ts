/**
 * Whether a machine of a real run has been idle, and since when: no process runnable, no timer
 * pending, and its frame counters standing still since it was last seen. When every machine
 * has been idle for longer than a frame takes to cross, nothing is left that could wake any of
 * them: the simulator's quiescence, on real machines.
 * @module
 */
import type { HostActivity } from "../../core/network/host.ts";

/** Whether a machine has been idle, and since when. */
export interface IdleWatch {
  /** Its frame counters when last seen. */
  counters: string;
  /** Ms since the start of the run since which it has been idle; `undefined` while busy. */
  since?: number;
  /** When it was last seen (ms since the start of the run). */
  seen?: number;
}

/**
 * Ms for which a machine has been idle at `now`: 0 while busy, and 0 when it was not seen for
 * more than `stale` ms (a machine whose event loop is stuck in a computation stops ticking).
 *
 * @example Idle, then silent
 * ```ts
 * import assert from "node:assert/strict";
 * import { idleFor } from "./_idle_watch.ts";
 * assert.equal(idleFor({ counters: "1/1", since: 100, seen: 400 }, 450, 200), 350);
 * assert.equal(idleFor({ counters: "1/1", since: 100, seen: 400 }, 700, 200), 0);
 * assert.equal(idleFor({ counters: "1/1" }, 700, 200), 0);
 * ```
 */
export function idleFor(watch: IdleWatch, now: number, stale: number): number {
  if (watch.since === undefined || watch.seen === undefined || now - watch.seen > stale) return 0;
  return now - watch.since;
}

/**
 * Updates `watch` with a machine's activity seen at `now` (ms).
 *
 * @example Idle until a frame moves
 * ```ts
 * import assert from "node:assert/strict";
 * import { type IdleWatch, watchIdle } from "./_idle_watch.ts";
 * const watch: IdleWatch = { counters: "" };
 * watchIdle(watch, { busy: 0, sent: 3, received: 2 }, 100);
 * watchIdle(watch, { busy: 0, sent: 3, received: 2 }, 150);
 * assert.equal(watch.since, 100);
 * watchIdle(watch, { busy: 0, sent: 3, received: 3 }, 200);
 * assert.equal(watch.since, 200);
 * watchIdle(watch, { busy: 1, sent: 3, received: 3 }, 250);
 * assert.equal(watch.since, undefined);
 * ```
 */
export function watchIdle(
  watch: IdleWatch,
  activity: { busy: number; sent: number; received: number },
  now: number,
): void {
  const counters = `${activity.sent}/${activity.received}`;
  if (activity.busy > 0) watch.since = undefined;
  else if (counters !== watch.counters || watch.since === undefined) watch.since = now;
  watch.counters = counters;
  watch.seen = now;
}

/**
 * A host's activity as a machine's tick reports it.
 *
 * @example Processes and timers both keep a host busy
 * ```ts
 * import assert from "node:assert/strict";
 * import { busy } from "./_idle_watch.ts";
 * assert.deepEqual(busy({ runnable: 1, timers: 2, sent: 5, received: 4 }), { busy: 3, sent: 5, received: 4 });
 * ```
 */
export function busy(a: HostActivity): { busy: number; sent: number; received: number } {
  return { busy: a.runnable + a.timers, sent: a.sent, received: a.received };
}
