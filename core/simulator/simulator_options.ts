/**
 * The settings and results of the simulator: link faults, run limits and network counters.
 * @module
 */
import type { LinkFaults } from "../pipeline/fault_schedule.ts";
import type { FrameStage } from "../pipeline/frame_pipeline.ts";
import type { RetransmitOptions } from "../reliable_channel.ts";
import type { Chooser } from "./chooser.ts";
import type { TraceOptions } from "../trace.ts";

export type { LinkFaults };

/** Options of {@link Simulator}. Its faults are those of a `FaultSchedule`, with a default latency of uniform 1..5 ms. */
export interface SimulatorOptions extends LinkFaults {
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /**
   * Probability that a machine's crash also loses the writes its disk (`ctx.disk`) has not
   * synced yet, as a disk with a volatile write cache does on a power loss; drawn from the seed
   * for each crash, and shown in the trace (`disk lost N unsynced writes`). @default 0: a crash
   * keeps every write
   */
  readonly loseUnsynced?: number;
  /**
   * Reliable channel between machines; `false` shows the raw network. Unless `rto` is given, a
   * channel's first retransmission timeout is twice the worst round trip of the modelled latency
   * (at least `minRto`), as a TCP stack seeds it from cached route metrics. @default true
   */
  readonly reliable?: boolean | RetransmitOptions;
  /**
   * Record a trace; `{ keep: false }` streams it (listeners, digest and counts, no events kept
   * and no vector clocks, see {@link TraceOptions}). @default true
   */
  readonly trace?: boolean | TraceOptions;
  /** `"json"` serialises every frame (bytes counted, bodies must be JSON); `"object"` passes objects. @default "json" */
  readonly wire?: "json" | "object";
  /**
   * How to replay this run, quoted when a process fails (the lab gives its command line).
   * @default "new Simulator({ seed: N })"
   */
  readonly replay?: string;
  /**
   * Machines outside the experiment (an experimenter's collectors and probes): frames to or from
   * them skip every fault (drop, duplicate, reorder, partitions, link faults), take a constant
   * 1 ms and are not counted in `stats.frames`, `bytes` or `acks`. @default none
   */
  readonly exempt?: readonly string[];
  /**
   * Makes the simulator's choices (next event, drop, duplicate) instead of the seeded order; the
   * generator's draws are still taken, so a chooser that keeps them replays the seeded run.
   * @default none (the seeded run)
   */
  readonly chooser?: Chooser;
  /**
   * Stages of the frame pipeline between each machine and the simulated network, nearest the
   * machine first (an authentication stage, say: `authStage({ key })`); the simulator adds its
   * meter and its fault stage after them. @default none
   */
  readonly stages?: readonly FrameStage[];
}

/** Options of {@link Simulator.run}. */
export interface RunOptions {
  /** Stop when virtual time would pass this many ms. @default Infinity (until quiescent) */
  readonly until?: number;
  /** Stop after this many events, as a guard against runaway protocols. @default 50_000_000 */
  readonly maxEvents?: number;
}

/** Counters of the simulated network. */
export interface NetworkStats {
  /** Frames put on the wire (messages, retransmissions and acks). */
  frames: number;
  /** Bytes put on the wire (with `wire: "json"`). */
  bytes: number;
  /** Acknowledgement frames among `frames`. */
  acks: number;
  /** Frames lost (drop probability, partitions, machines down). */
  dropped: number;
  /** Frames the network duplicated. */
  duplicated: number;
}

/** What {@link Simulator.run} returns. */
export interface RunResult {
  /** Virtual time at the end. */
  readonly time: number;
  /** Events executed. */
  readonly events: number;
  /** Whether it stopped because nothing was left to do. */
  readonly quiescent: boolean;
}
