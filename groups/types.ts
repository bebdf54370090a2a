/**
 * Group communication: the shapes every part of it shares. Views, the messages multicast to a
 * group, what a member delivers; the protocol messages are in `messages.ts`.
 * @module
 */
import type { Address } from "../core/name.ts";
import type { VectorClock } from "../core/vector_clock.ts";

/** Delivery order of a group: none, per-sender FIFO, causal (vector clocks) or total (sequencer). */
export type GroupOrder = "none" | "fifo" | "causal" | "total";

/** Every {@link GroupOrder}, weakest first. */
export const GROUP_ORDERS: readonly GroupOrder[] = ["none", "fifo", "causal", "total"];

/** A numbered membership of a group: every join, leave or removal installs the next view. */
export interface View {
  /** The group's name. */
  readonly group: string;
  /** View number: 1 for the first membership, one more per change. */
  readonly id: number;
  /** Members' addresses (their user processes), sorted. */
  readonly members: readonly Address[];
  /** Member that orders messages in a total-order group (also the contact of outsiders). */
  readonly sequencer: Address | null;
  /**
   * Each member's incarnation: a token its endpoint drew when it started. A member that restarts
   * (or leaves and joins again) is a new incarnation and joins a later view.
   */
  readonly incarnations: Readonly<Record<Address, string>>;
  /**
   * Who numbered the view: the incarnation of the membership service, and which of its groups
   * (it names a group created anew under the same name apart). Each lineage numbers its views
   * once, so lineage and id name a view also across restarts of the service: a restarted service
   * that takes the group up again numbers on from the latest view it hears of, under its own
   * lineage, so a view the old service installed at some members only is never confused with
   * it.
   */
  readonly lineage: string;
}

/** A message multicast to a group, as it travels between members' endpoints. */
export interface GroupMessage {
  /** Unique id: `<stream>/<index>`. */
  readonly id: string;
  /** The member whose endpoint multicast it. */
  readonly sender: Address;
  /** The sender's incarnation in the group: `<sender>#<incarnation>`. */
  readonly stream: string;
  /** Outsider it was sent for, when it came in through an open group's contact. */
  readonly origin?: Address;
  /** View in which it was multicast. */
  readonly view: number;
  /** Sender's sequence number within that view, from 1 (FIFO hold-back). */
  readonly seq: number;
  /** Sender's sequence number since it joined, from 1 (ground truth for the order checker). */
  readonly index: number;
  /** Happened-before vector clock over streams at send time (ground truth for the checker). */
  readonly hb: VectorClock;
  /** Causal-order vector clock over the view's members (causal groups only). */
  readonly vc?: VectorClock;
  /** Sender's clock when it multicast. */
  readonly sentAt: number;
  /** The payload. */
  readonly body: unknown;
}

/** A message with its place in a total order. */
export interface OrderedEntry {
  /** Global sequence number, gap-free across sequencer failovers. */
  readonly gseq: number;
  /** The message. */
  readonly message: GroupMessage;
}

/** What a member's process receives for each delivered message. */
export interface GroupDelivery<B = unknown> {
  /** The group. */
  readonly group: string;
  /** Message id. */
  readonly id: string;
  /** Member that multicast it. */
  readonly sender: Address;
  /** Sender's incarnation. */
  readonly stream: string;
  /** Who sent it: the sender, or the outsider it was forwarded for. */
  readonly from: Address;
  /** Sender's sequence number since it joined. */
  readonly index: number;
  /** Happened-before clock of the message. */
  readonly hb: VectorClock;
  /** Global sequence number (total order only). */
  readonly gseq?: number;
  /** View it was delivered in. */
  readonly view: number;
  /** Sender's clock at multicast. */
  readonly sentAt: number;
  /** Receiver's clock at delivery. */
  readonly deliveredAt: number;
  /** The payload. */
  readonly body: B;
}

/** What a member retains of the ending view and hands to the membership service in a flush. */
export interface FlushReport {
  /** Reporting member. */
  readonly member: Address;
  /** Messages of the ending view it holds (none/fifo/causal). */
  readonly messages: readonly GroupMessage[];
  /** Ordered entries of the ending view it holds (total). */
  readonly entries: readonly OrderedEntry[];
  /** Next global sequence number it would deliver (total). */
  readonly nextG: number;
  /** Its own messages not yet delivered back to it (total). */
  readonly pending: readonly GroupMessage[];
}

/** What a member needs to finish the old view and install the new one. */
export interface InstallPlan {
  /** The new view. */
  readonly view: View;
  /** Messages of the old view it lacks (none/fifo/causal). */
  readonly missing: readonly GroupMessage[];
  /** The old view's remaining total order from its `nextG` on (total). */
  readonly entries: readonly OrderedEntry[];
  /** First global sequence number of the new view (total). */
  readonly start: number;
}

/** The frontier a member reports with each heartbeat: what it has delivered in its view. */
export interface GroupFrontier {
  /** Messages delivered per sender, counted from 1 without gaps (none/fifo/causal). */
  readonly delivered: Readonly<Record<Address, number>>;
  /** Next global sequence number to deliver (total). */
  readonly nextG: number;
}

/** Why a member's endpoint stopped. */
export type GroupEndReason = "left" | "removed" | "destroyed" | "disconnected" | "rejected";

/** Prefix of the trace line an endpoint writes for each delivery (read by the order checker). */
export const DELIVERY_LOG = "group-deliver ";

/** Prefix of the trace line an endpoint writes for each view it installs (read by the view checker). */
export const VIEW_LOG = "group-view ";

/** Prefix of the trace line an endpoint writes when it stops (read by the view checker). */
export const END_LOG = "group-end ";
