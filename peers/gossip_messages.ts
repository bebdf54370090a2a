/**
 * The messages of the peer-to-peer sync loop and of its store, a closed union keyed on `kind`.
 *
 * Gossip between peers: a `g-digest` (the version vector, and the heartbeat table with
 * heartbeat membership) comes first; only when one side has news does a `g-want` or a `g-delta`
 * follow. Rumour mongering pushes `g-rumour` and gets `g-feedback`. A client reads and writes
 * any peer with `put`, `get`, `del`, `add`, `remove` and `elements`, answered by `ok`.
 * @module
 */
import type { HeartbeatTable } from "./_membership.ts";
import type { Delta, Json, VersionVector } from "./replica.ts";

export type { HeartbeatTable };

/** Who pushes and who pulls in an exchange. */
export type DigestMode = "push" | "pull" | "push-pull";

/** A digest: the sender's version vector; the receiver answers only if one side has news. */
export interface DigestMessage {
  /** The message kind. */
  readonly kind: "g-digest";
  /** Who pushes and who pulls in this exchange. */
  readonly mode: DigestMode;
  /** The sender's version vector. */
  readonly vv: VersionVector;
  /** The sender's heartbeat table (heartbeat membership). */
  readonly hb?: HeartbeatTable;
  /** Set by a peer that joined later: learn my address. */
  readonly joiner?: true;
}

/** "Send me what I lack": the receiver's version vector. */
export interface WantMessage {
  /** The message kind. */
  readonly kind: "g-want";
  /** The asker's version vector. */
  readonly vv: VersionVector;
}

/** The missing records; `want` asks for the sender's missing records in return. */
export interface DeltaMessage {
  /** The message kind. */
  readonly kind: "g-delta";
  /** The records the receiver lacks. */
  readonly delta: Delta;
  /** The sender's version vector, when it wants the receiver's news back. */
  readonly want?: VersionVector;
  /**
   * The receiver's digest the delta answers: the delta holds every record newer than it. A
   * receiver whose state no longer covers it (it restarted empty since) ignores the delta,
   * whose version vector would claim records it never got.
   */
  readonly since?: VersionVector;
}

/** Hot rumours pushed by a rumour monger. */
export interface RumourMessage {
  /** The message kind. */
  readonly kind: "g-rumour";
  /** The hot records. */
  readonly delta: Delta;
}

/** Which of the pushed rumours the receiver already knew. */
export interface FeedbackMessage {
  /** The message kind. */
  readonly kind: "g-feedback";
  /** Keys of the records the receiver already had. */
  readonly known: readonly string[];
}

/** A peer leaves: its last state and its heartbeat table marking it gone. */
export interface LeaveMessage {
  /** The message kind. */
  readonly kind: "g-leave";
  /** Everything the leaver holds. */
  readonly delta: Delta;
  /** Its heartbeat table, marking it gone. */
  readonly hb?: HeartbeatTable;
}

/** Tells a peer to stop (the lab ends a run this way). */
export interface StopMessage {
  /** The message kind. */
  readonly kind: "g-stop";
}

/** Every message peers exchange among themselves. */
export type GossipMessage =
  | DigestMessage
  | WantMessage
  | DeltaMessage
  | RumourMessage
  | FeedbackMessage
  | LeaveMessage;

/** A client's request to any peer of the store. */
export type StoreRequest =
  | { readonly kind: "put"; readonly key: string; readonly value: Json }
  | { readonly kind: "get"; readonly key: string }
  | { readonly kind: "del"; readonly key: string }
  | { readonly kind: "add"; readonly element: string }
  | { readonly kind: "remove"; readonly element: string }
  | { readonly kind: "elements" };

/** A peer's answer to a {@link StoreRequest}. */
export interface StoreReply {
  /** The message kind. */
  readonly kind: "ok";
  /** The value read, `true`/`false` for a delete or remove, the elements for `elements`. */
  readonly value?: Json;
}

/** What a peer reports each round to an observer or a monitor process. */
export interface PeerReport {
  /** The message kind. */
  readonly kind: "g-report";
  /** The peer's address. */
  readonly peer: string;
  /** `live` while gossiping; `left` after a graceful leave; `done` at its round limit. */
  readonly status: "live" | "left" | "done";
  /** Rounds this peer has started. */
  readonly round: number;
  /** Time of the report (ms, the peer's clock). */
  readonly t: number;
  /** Hash of its state. */
  readonly hash: string;
  /** Round in which its state last changed. */
  readonly changedRound: number;
  /** Time its state last changed. */
  readonly changedAt: number;
  /** Gossip messages it has sent (store replies and reports excluded). */
  readonly messages: number;
  /** Bytes of those messages' bodies as JSON (0 when the peer does not count them). */
  readonly bytes: number;
  /** Sum of its version vector: grows with every update it learns (progress at a glance). */
  readonly seen: number;
  /** Rumours it still spreads (rumour mode). */
  readonly hot: number;
  /** Peers it suspects (heartbeat membership). */
  readonly suspects: number;
}

/**
 * Every message kind of the sync loop between peers (store requests, reports and stops are not
 * among them): what the lab counts as gossip.
 *
 * @example Counting gossip in a trace
 * ```ts
 * import assert from "node:assert/strict";
 * import { GOSSIP_KINDS } from "./gossip_messages.ts";
 * const kinds = ["g-digest", "put", "g-delta", "g-report"];
 * assert.equal(kinds.filter((k) => GOSSIP_KINDS.includes(k)).length, 2);
 * ```
 */
export const GOSSIP_KINDS: readonly string[] = Object.freeze([
  "g-digest",
  "g-want",
  "g-delta",
  "g-rumour",
  "g-feedback",
  "g-leave",
]);
