/**
 * Errors of group communication that callers catch, with structured fields.
 * @module
 */
import type { Address } from "../core/name.ts";

/**
 * A process that is not a member tried to send to a closed group.
 *
 * @example Catching a rejected send
 * ```ts
 * import assert from "node:assert/strict";
 * import { GroupClosedError } from "./errors.ts";
 * const error = new GroupClosedError("workers", "spy@m9.lab");
 * assert.equal(error.group, "workers");
 * assert.equal(error.sender, "spy@m9.lab");
 * assert.match(error.message, /Cannot send to group "workers": "spy@m9.lab" is not a member/);
 * ```
 */
export class GroupClosedError extends Error {
  /** The closed group. */
  readonly group: string;
  /** The rejected sender. */
  readonly sender: Address;
  /** Creates the error for `sender` and `group`. */
  constructor(group: string, sender: Address) {
    super(
      `Cannot send to group "${group}": "${sender}" is not a member of this closed group; ` +
        "join it first, or create the group open",
    );
    this.name = "GroupClosedError";
    this.group = group;
    this.sender = sender;
  }
}

/** Why a group operation failed. */
export type GroupErrorReason =
  | "unknown"
  | "empty"
  | "exists"
  | "mismatch"
  | "joined"
  | "left"
  | "removed"
  | "destroyed"
  | "disconnected"
  | "rejected";

/**
 * A group operation failed: the group is unknown or exists already, or the member's endpoint
 * stopped (it left, was removed as crashed, the group was destroyed, or the membership service
 * went silent).
 *
 * @example Reason and group
 * ```ts
 * import assert from "node:assert/strict";
 * import { GroupError } from "./errors.ts";
 * const error = new GroupError("chat", "unknown", 'Cannot join group "chat": it does not exist');
 * assert.equal(error.reason, "unknown");
 * assert.equal(error.group, "chat");
 * ```
 */
export class GroupError extends Error {
  /** The group. */
  readonly group: string;
  /** Why it failed. */
  readonly reason: GroupErrorReason;
  /** Creates the error. */
  constructor(group: string, reason: GroupErrorReason, message: string) {
    super(message);
    this.name = "GroupError";
    this.group = group;
    this.reason = reason;
  }
}
