/**
 * The shapes of a space-time diagram: processes with their lifetimes (epochs), one
 * transmission per copy of a message on the wire (an arrow), markers on lifelines (timers,
 * timeouts, crashes, logs) and bands (partitions, blocked or waiting intervals). Types only: the
 * {@link DiagramBuilder} fills them from trace events.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";

/**
 * A vector clock the runtime recorded: a record (a trace read back from JSON), or a live stamp
 * that turns into one with `toJSON()` (what `JSON.stringify` calls).
 */
export type TracedClock =
  | Readonly<Record<string, number>>
  | { toJSON(): Readonly<Record<string, number>> };

/** A trace event, possibly carrying the vector clock the runtime recorded for it. */
export interface DiagramEvent extends Omit<TraceEvent, "vc"> {
  /** Vector clock recorded with the event; computed from messages when absent. */
  readonly vc?: TracedClock;
}

/** One lifetime of a process: from its spawn (or a restart) to its exit or a crash. */
export interface Epoch {
  /** Epoch number: 1, then 2 after the first restart of its machine, and so on. */
  readonly n: number;
  /** Start, ms. */
  readonly t0: number;
  /** End, ms; `NaN` while the process lives. */
  t1: number;
  /** How it ended: `exit`, `crash`, or `""` while it lives. */
  end: "" | "exit" | "crash";
}

/** A process that appears in the trace: a lane before aggregation. */
export interface DiagramProcess {
  /** Index in {@link DiagramModel.processes}. */
  readonly index: number;
  /** Address, `name@machine.domain`. */
  readonly address: string;
  /** Its machine, `machine.domain`. */
  readonly machine: string;
  /** Lifetimes, in order. */
  readonly epochs: Epoch[];
}

/** How a copy came onto the wire. */
export type Copy = "send" | "retransmit" | "duplicate";

/** What became of a copy. */
export type Outcome = "flight" | "delivered" | "dropped" | "suppressed";

/** One copy of a message on the wire: an arrow from its sending to where it ended. */
export interface Transmission {
  /** Index in {@link DiagramModel.transmissions}. */
  readonly index: number;
  /** Message id (equal for a message's retransmissions and duplicates). */
  readonly id: string;
  /** Sender process index. */
  readonly from: number;
  /** Receiver process index. */
  readonly to: number;
  /** When it left, ms. */
  readonly t0: number;
  /** When it arrived or died, ms; `NaN` in flight. */
  t1: number;
  /** How it came onto the wire. */
  readonly copy: Copy;
  /** Attempt number: 1 for the first send. */
  readonly attempt: number;
  /** What became of it. */
  outcome: Outcome;
  /** Lost in the network when it left (no arrival time is known). */
  lost: boolean;
  /** The sending was not traced (the arrow starts at the delivery time). */
  readonly untraced: boolean;
  /** Message kind. */
  readonly kind: string;
  /** Label of the body (`GET x`). */
  readonly label: string;
  /** Why it was dropped, suppressed or duplicated. */
  note: string;
  /** Lamport clock of the message. */
  readonly lamport: number;
  /** Lamport clock of the receiver after taking it; `NaN` until received. */
  lamportReceive: number;
  /** When the receiving process took it from its mailbox; `NaN` until then. */
  received: number;
  /** Control traffic of the runtime (kinds starting with `$`, like `$receipt`). */
  readonly control: boolean;
  /** Causal step of the sending (see {@link DiagramModel.steps}). */
  readonly sendStep: number;
  /** Causal step of the delivery; -1 unless delivered. */
  recvStep: number;
  /** Vector clock traced with the send, when the trace carries one (as the trace has it). */
  readonly vcSend?: TracedClock;
  /** Vector clock traced with the delivery or receive, when the trace carries one. */
  vcReceive?: TracedClock;
}

/** What a marker on a lifeline shows. */
export type MarkerType =
  | "timeout"
  | "timer"
  | "crash"
  | "restart"
  | "spawn"
  | "exit"
  | "log"
  | "ack";

/** A point event on a lifeline. */
export interface Marker {
  /** Process index. */
  readonly proc: number;
  /** When, ms. */
  readonly t: number;
  /** What. */
  readonly type: MarkerType;
  /** Its note. */
  readonly note: string;
}

/** Why a band is shaded. */
export type BandType = "partition" | "blocked" | "sync" | "waiting";

/** A shaded interval: a partition (whole diagram) or a process blocked or waiting. */
export interface Band {
  /** What. */
  readonly type: BandType;
  /** Process index, or -1 for the whole diagram (partitions). */
  readonly proc: number;
  /** Start, ms. */
  readonly t0: number;
  /** End, ms; `NaN` while open. */
  t1: number;
  /** Its note. */
  readonly note: string;
}

/** A causal step: a sending or a delivery, in a process's order. */
export interface Step {
  /** Process index. */
  readonly proc: number;
  /** Position among the process's steps (0-based): its own vector clock entry minus 1. */
  readonly k: number;
  /** Transmission index. */
  readonly tx: number;
  /** `true` for a delivery, `false` for a sending. */
  readonly recv: boolean;
}

/** Everything a diagram draws, filled incrementally from trace events. */
export interface DiagramModel {
  /** Processes in order of appearance. */
  readonly processes: DiagramProcess[];
  /** Copies of messages (arrows) in order of sending. */
  readonly transmissions: Transmission[];
  /** Point events on lifelines. */
  readonly markers: Marker[];
  /** Partitions and blocked or waiting intervals. */
  readonly bands: Band[];
  /** Causal steps (sendings and deliveries) of every process. */
  readonly steps: Step[];
  /** Step indices of each process, in order. */
  readonly stepsOf: number[][];
  /** Earliest and latest time seen, ms. */
  readonly span: { min: number; max: number };
  /** Number of events read. */
  events: number;
}
