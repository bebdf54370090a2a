/**
 * The error of a frame that fails authentication, with the reason as a structured field.
 * @module
 */

/**
 * Why a frame was refused: no header, a MAC that does not match, a replayed `(epoch, seq)`, or
 * a frame not bound to the receiver's current incarnation (`stale`: recorded before a restart,
 * or sent before its sender learned the incarnation).
 */
export type AuthFailure = "bad-mac" | "replay" | "missing" | "stale";

const ADVICE: Readonly<Record<AuthFailure, string>> = {
  "missing": "it carries no authentication header; the sender must sign its frames with the " +
    "shared key (AuthStage)",
  "bad-mac": "its MAC does not match (tampered with, or signed with another key); check that " +
    "both machines use the same key",
  "replay": "it was accepted before (a replay)",
  "stale": "it is not bound to this machine's current incarnation (a replay from before a " +
    "restart, or a sender that has not heard from this incarnation yet)",
};

/**
 * A frame was refused by {@link verifyFrame}.
 *
 * @example Telling the reasons apart
 * ```ts
 * import assert from "node:assert/strict";
 * import { AuthError } from "./auth_error.ts";
 * const error = new AuthError("replay", "m1.lab", "epoch 1 seq 3 was seen before");
 * assert.equal(error.reason, "replay");
 * assert.match(error.message, /Cannot accept frame from "m1.lab": epoch 1 seq 3 was seen before/);
 * ```
 */
export class AuthError extends Error {
  /** Why the frame was refused. */
  readonly reason: AuthFailure;
  /** The machine the frame claims to come from. */
  readonly from: string;
  /** Creates the error; `detail` replaces the default explanation of `reason`. */
  constructor(reason: AuthFailure, from: string, detail?: string) {
    super(`Cannot accept frame from "${from}": ${detail ?? ADVICE[reason]}`);
    this.name = "AuthError";
    this.reason = reason;
    this.from = from;
  }
}
