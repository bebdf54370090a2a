/**
 * The errors of RPC that callers catch: {@link RemoteError} on the caller's side when the remote
 * procedure failed, {@link CallKilledError} inside a server computation that was killed as an
 * orphan (or as the victim of a new epoch).
 * @module
 */

/**
 * The remote procedure threw: the caller gets the remote error's name and message.
 *
 * @example Inspecting a remote failure
 * ```ts
 * import assert from "node:assert/strict";
 * import { RemoteError } from "./errors.ts";
 * const error = new RemoteError("div", "calc@m1.lab", { name: "RangeError", message: "division by zero" });
 * assert.equal(error.remoteName, "RangeError");
 * assert.equal(error.remoteMessage, "division by zero");
 * assert.match(error.message, /^Cannot call div on "calc@m1.lab": the remote procedure threw RangeError/);
 * assert.equal(error.killed, false);
 * ```
 */
export class RemoteError extends Error {
  /** The method that was called. */
  readonly method: string;
  /** The server it was called on. */
  readonly server: string;
  /** The remote error's class name. */
  readonly remoteName: string;
  /** The remote error's message. */
  readonly remoteMessage: string;

  /** Creates the error for `method` on `server` from the remote `name` and `message`. */
  constructor(method: string, server: string, remote: { name: string; message: string }) {
    super(
      `Cannot call ${method} on "${server}": the remote procedure threw ${remote.name}: ` +
        remote.message,
    );
    this.name = "RemoteError";
    this.method = method;
    this.server = server;
    this.remoteName = remote.name;
    this.remoteMessage = remote.message;
  }

  /** Whether the server killed the computation (an orphan policy did): calling again is safe. */
  get killed(): boolean {
    return this.remoteName === "CallKilledError";
  }
}

/**
 * Thrown inside a server computation, between two steps of work, once it has been killed; the
 * skeleton turns it into an error reply. Procedures must let it through.
 *
 * @example A killed computation
 * ```ts
 * import assert from "node:assert/strict";
 * import { CallKilledError } from "./errors.ts";
 * const error = new CallKilledError("c1@m2.lab/0/1", "exterminated");
 * assert.equal(error.reason, "exterminated");
 * assert.match(error.message, /call "c1@m2.lab\/0\/1" was killed \(exterminated\)/);
 * ```
 */
export class CallKilledError extends Error {
  /** The call's id. */
  readonly callId: string;
  /** Why it was killed: `exterminated`, `new epoch`, `owner not located`, `quantum expired`. */
  readonly reason: string;

  /** Creates the error for call `callId` killed for `reason`. */
  constructor(callId: string, reason: string) {
    super(
      `Cannot continue: call "${callId}" was killed (${reason}); call it again if its result is still wanted`,
    );
    this.name = "CallKilledError";
    this.callId = callId;
    this.reason = reason;
  }
}
