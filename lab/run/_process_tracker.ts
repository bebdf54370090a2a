/**
 * Follows the processes of a user's run through its trace events (spawn, exit, crash), in the
 * simulator and on real machines alike: the run has ended when every boot process has started
 * at least once and no process is left running.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";

/** Where a process stands at the end of a run. */
export type ProcessStatus = "running" | "returned" | "failed" | "crashed";

/**
 * Process states from trace events.
 *
 * @example A process that returns, on a machine that crashes while another runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessTracker } from "./_process_tracker.ts";
 * const tracker = new ProcessTracker(["client@m2.lab", "kv@m1.lab"]);
 * tracker.observe({ t: 0, ev: "spawn", at: "kv@m1.lab" });
 * tracker.observe({ t: 0, ev: "spawn", at: "client@m2.lab" });
 * tracker.observe({ t: 5, ev: "exit", at: "client@m2.lab" });
 * assert.equal(tracker.ended, false);
 * tracker.observe({ t: 9, ev: "crash", at: "m1.lab" });
 * assert.equal(tracker.ended, true);
 * assert.deepEqual(tracker.statuses(), { "client@m2.lab": "returned", "kv@m1.lab": "crashed" });
 * ```
 */
export class ProcessTracker {
  readonly #unseen: Set<string>;
  readonly #status = new Map<string, ProcessStatus>();
  readonly #live = new Set<string>();

  /** Follows a run whose machines boot `boot` (addresses). */
  constructor(boot: readonly string[]) {
    this.#unseen = new Set(boot);
    for (const address of boot) this.#status.set(address, "running");
  }

  /** Whether every boot process started and none is running now. */
  get ended(): boolean {
    return this.#unseen.size === 0 && this.#live.size === 0;
  }

  /** Whether every boot process has started at least once. */
  get started(): boolean {
    return this.#unseen.size === 0;
  }

  /** Processes running now. */
  get running(): number {
    return this.#live.size;
  }

  /** Takes one trace event into account. */
  observe(event: TraceEvent): void {
    switch (event.ev) {
      case "spawn":
        this.#unseen.delete(event.at);
        this.#live.add(event.at);
        this.#status.set(event.at, "running");
        break;
      case "exit":
        this.#live.delete(event.at);
        this.#status.set(event.at, event.note === undefined ? "returned" : "failed");
        break;
      case "crash":
        for (const address of this.#live) {
          if (!address.endsWith(`@${event.at}`)) continue;
          this.#live.delete(address);
          this.#status.set(address, "crashed");
        }
        break;
    }
  }

  /** Every process seen (and every boot process), with where it stands. */
  statuses(): Record<string, ProcessStatus> {
    return Object.fromEntries(this.#status);
  }
}
