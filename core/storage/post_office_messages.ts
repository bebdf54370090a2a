/**
 * The messages between a post office and its clients: a closed union keyed on `kind`.
 * A deposit is answered once the message is stored (durable); a collect is answered with the
 * oldest mail of the caller's mailbox, at once or as soon as mail arrives (a long poll); mail
 * stays stored until the recipient acknowledges it.
 * @module
 */
import type { Mail } from "./message_store.ts";
import type { Address } from "../name.ts";

/** What a client asks a post office. */
export type PostOfficeRequest =
  | {
    /** Store `body` for `to`. */
    readonly kind: "po-deposit";
    /** The recipient's canonical address. */
    readonly to: Address;
    /** The payload. */
    readonly body: unknown;
  }
  | {
    /** Hand over mail of the caller's own mailbox. */
    readonly kind: "po-collect";
    /** Most messages in the answer. */
    readonly max: number;
    /** Ms to hold the request when the mailbox is empty (0 answers at once). */
    readonly wait: number;
  }
  | {
    /** Remove acknowledged mail from the caller's own mailbox. */
    readonly kind: "po-ack";
    /** Ids of the messages taken. */
    readonly ids: readonly number[];
  };

/** What a post office answers. */
export type PostOfficeReply =
  | {
    /** The deposit is stored. */
    readonly kind: "po-stored";
    /** Its id. */
    readonly id: number;
  }
  | {
    /** Mail for a collect (empty when the wait ran out). */
    readonly kind: "po-mail";
    /** The messages, oldest first. */
    readonly mail: readonly Mail[];
  }
  | {
    /** The acknowledged messages are gone. */
    readonly kind: "po-acked";
    /** How many were removed. */
    readonly removed: number;
  }
  | {
    /** The request was malformed. */
    readonly kind: "po-error";
    /** Why. */
    readonly message: string;
  };

/**
 * Whether `body` is a post office request.
 *
 * @example Recognising requests
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPostOfficeRequest } from "./post_office_messages.ts";
 * assert.ok(isPostOfficeRequest({ kind: "po-ack", ids: [1] }));
 * assert.ok(!isPostOfficeRequest({ kind: "po-ack", ids: "1" }));
 * ```
 */
export function isPostOfficeRequest(body: unknown): body is PostOfficeRequest {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  switch (b.kind) {
    case "po-deposit":
      return typeof b.to === "string";
    case "po-collect":
      return typeof b.max === "number" && typeof b.wait === "number";
    case "po-ack":
      return Array.isArray(b.ids) && b.ids.every((id) => typeof id === "number");
    default:
      return false;
  }
}
