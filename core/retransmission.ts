/**
 * The vocabulary of retransmission in a reliable sender: its settings, the frames it waits an
 * acknowledgement for, what it sends again and why, and what an idle sender keeps.
 * @module
 */
import type { RtoSnapshot } from "./rto_estimator.ts";
import type { MessageFrame } from "./wire.ts";

/** Retransmission settings. */
export interface RetransmitOptions {
  /** Retransmission timeout in ms until a round trip has been measured. @default 3000 */
  readonly rto?: number;
  /** Smallest timeout the measured round trips may give, in ms. @default 200 */
  readonly minRto?: number;
  /** Factor applied to the timeout on each expiry. @default 2 */
  readonly backoff?: number;
  /** Largest timeout in ms. @default 60000 */
  readonly maxRto?: number;
  /** Clock granularity G of RFC 6298 in ms. @default 1 */
  readonly granularity?: number;
  /** Transmissions of a frame (first one included) before giving up on the channel. @default 20 */
  readonly maxAttempts?: number;
}

/**
 * What an idle sender (nothing outstanding, no deadline) keeps, in one flat object: its next
 * sequence number, its RTO estimator's state and RACK's (see {@link ReliableSender.memo}).
 */
export interface SenderMemo extends RtoSnapshot {
  /** RACK: when the latest frame sent that is known to have arrived was sent. */
  readonly xmit: number;
  /** RACK: that frame's sequence number. */
  readonly rackSeq: number;
  /** RACK: that frame's round trip. */
  readonly rackRtt: number;
  /** RACK: whether there is such a frame. */
  readonly known: boolean;
  /** RACK: whether the network was seen to reorder. */
  readonly reordering: boolean;
  /** The next sequence number. */
  readonly nextSeq: number;
  /** A probe was sent and no ack has come since. */
  readonly probing: boolean;
  /** The earliest frame was sent again because the peer answered (once per expiry). */
  readonly stallResent: boolean;
}

/** A frame waiting for its acknowledgement. */
export interface Unacked {
  /** The frame as first sent. */
  readonly frame: MessageFrame;
  /** Transmissions so far. */
  attempts: number;
  /** When it was first sent (round-trip samples come only from frames sent once). */
  readonly sentAt: number;
  /** When it was last sent. */
  lastSent: number;
}

/** A frame to send again, and why. */
export interface Resend {
  /** The frame, its `base` updated. */
  readonly frame: MessageFrame;
  /** Its transmissions, this one included. */
  readonly attempts: number;
  /**
   * `timeout`: the channel's timer expired; `lost`: a frame sent after it arrived first (RACK);
   * `probe`: no ack came for two round trips, the last frame probes for it (TLP); `peer
   * answers`: the channel had backed off and the peer answered.
   */
  readonly reason: "timeout" | "lost" | "probe" | "peer answers";
}

/** What an expiry of the channel's timer decided. */
export interface Expiry {
  /** Frames to send again. */
  readonly resend: readonly Resend[];
  /** The frames given up on after `maxAttempts` transmissions of the earliest one. */
  readonly gaveUp: readonly Unacked[];
}
