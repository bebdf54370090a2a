/**
 * What faults a network injects into the frames it carries: loss, duplication, reordering and
 * latency, globally and per directed link, with machines exempt from all of them. One type for
 * the simulator and the TCP network: given the same schedule and the same seed, their fault
 * stages draw the same faults for the same frames.
 * @module
 */
import type { Latency } from "../latency.ts";

/** Faults of one link (or of every link). */
export interface LinkFaults {
  /** Probability that a frame is lost. @default 0 */
  readonly drop?: number;
  /** Probability that a frame is delivered twice. @default 0 */
  readonly duplicate?: number;
  /** Probability that a frame is held back so that later frames overtake it. @default 0 */
  readonly reorder?: number;
  /** Latency distribution. @default uniform 1..5 ms in the simulator; none added on TCP */
  readonly latency?: Latency;
}

/** The faults a network injects: every link's, and the machines that skip them. */
export interface FaultSchedule extends LinkFaults {
  /**
   * Machines outside the experiment (an experimenter's collectors, the lab's own machine):
   * frames to or from them skip every fault and cut. @default none
   */
  readonly exempt?: readonly string[];
}

/** A cut between machines (a partition): frames from `from` to `to` are lost while it lasts. */
export interface Cut {
  /** Sending machines; absent: every machine. */
  readonly from?: ReadonlySet<string>;
  /** Receiving machines. */
  readonly to: ReadonlySet<string>;
  /** Cut only `from -> to`, not `to -> from`. @default false */
  readonly oneWay?: boolean;
}

/**
 * Checks that the probabilities of `faults` are between 0 and 1.
 *
 * @throws {RangeError} naming the first bad one; the message starts with `action`.
 * @example A probability above 1 is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkFaults } from "./fault_schedule.ts";
 * checkFaults({ drop: 0.5 }, "Cannot create network");
 * assert.throws(() => checkFaults({ duplicate: 2 }, "Cannot create network"), RangeError);
 * ```
 */
export function checkFaults(faults: LinkFaults, action: string): void {
  for (const p of ["drop", "duplicate", "reorder"] as const) {
    const value = faults[p];
    if (value !== undefined && !(value >= 0 && value <= 1)) {
      throw new RangeError(`${action}: ${p} ${value} must be between 0 and 1`);
    }
  }
}
