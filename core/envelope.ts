/**
 * Envelopes: the JSON-serialisable unit every message travels in.
 * @module
 */
import type { Address } from "./name.ts";
import type { VectorClock } from "./vector_clock.ts";
import type { VectorStamp } from "./vector_stamp.ts";

/** A message as it travels: immutable once sent. */
export interface Envelope<B = unknown> {
  /** Unique id: `<sender address>#<n>`. */
  readonly id: string;
  /** Sender's canonical address. */
  readonly from: Address;
  /** Receiver's canonical address. */
  readonly to: Address;
  /** Message kind, taken from `body.kind` when it is a string, else `"data"`. */
  readonly kind: string;
  /** The payload; must be JSON-serialisable to cross machines. */
  readonly body: B;
  /** The sender's Lamport clock at send time. */
  readonly lamport: number;
  /** Set on a request: the reply must carry it back in `replyTo`. */
  readonly corr?: string;
  /** Set on a reply: the `corr` of the request it answers. */
  readonly replyTo?: string;
  /** Set when the sender waits for a delivery receipt (synchronous send). */
  readonly sync?: true;
  /**
   * The sender's vector clock after this send, set only when the sending machine traces (group
   * order keeps its own clock inside its messages): a {@link VectorStamp} in memory, a plain
   * record once it crossed a real wire. Off the wire in the simulator (carried beside the
   * frame and not counted in bytes); on a real host it travels in the frame.
   */
  readonly vc?: VectorStamp | VectorClock;
  /**
   * Flow control of an asynchronous send to a bounded mailbox on another machine: `credit`
   * uses a slot the receiver reserved; `wait` has none, and its sender waits until the mailbox
   * admits it.
   */
  readonly flow?: "credit" | "wait";
}

/** The kind of a receipt envelope confirming a synchronous send. */
export const RECEIPT_KIND = "$receipt";

/**
 * The kind of a body: its `kind` field when that is a string, else `"data"`.
 *
 * @example Kind of a body
 * ```ts
 * import assert from "node:assert/strict";
 * import { kindOf } from "./envelope.ts";
 * assert.equal(kindOf({ kind: "get", key: "x" }), "get");
 * assert.equal(kindOf("hello"), "data");
 * ```
 */
export function kindOf(body: unknown): string {
  if (typeof body === "object" && body !== null) {
    const kind = (body as { kind?: unknown }).kind;
    if (typeof kind === "string") return kind;
  }
  return "data";
}

/**
 * A short human label of a body for narration: `GET x`, `OK 1`.
 *
 * @example Label of a body
 * ```ts
 * import assert from "node:assert/strict";
 * import { labelOf } from "./envelope.ts";
 * assert.equal(labelOf({ kind: "get", key: "x" }), "GET x");
 * assert.equal(labelOf("waku waku"), "waku waku");
 * ```
 */
export function labelOf(body: unknown): string {
  if (typeof body !== "object" || body === null) return String(body).slice(0, 40);
  // The kind first, then up to 4 parts in all (the kind counted once met), as
  // `[KIND, ...others].join(" ")`, without an array per field (a label per message sent).
  let kind: string | undefined, others = "", parts = 0;
  const keys = Object.keys(body);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i], value = (body as Record<string, unknown>)[key];
    if (key === "kind") {
      kind = String(value).toUpperCase();
      parts++;
    } else if (
      typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ) {
      if (parts < 4) {
        const part = String(value).slice(0, 24);
        others = parts === (kind === undefined ? 0 : 1) ? part : `${others} ${part}`;
        parts++;
      }
    }
  }
  if (kind === undefined) return others;
  return parts > 1 ? `${kind} ${others}` : kind;
}
