/**
 * What a remote procedure sees of its own call on the server: who called, and a way to do work in
 * steps. Between two steps the computation can be killed (extermination, reincarnation), asked to
 * prove its owner is still there (gentle reincarnation) or made to ask for another quantum
 * (expiration); long procedures therefore work through {@link CallScope.work}.
 * @module
 */
import type { Address } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";

/**
 * The scope of one call on the server (the skeleton creates one per call and passes it to the
 * procedures' factory given to `serveRpc`).
 */
export interface CallScope {
  /** The call's id. */
  readonly id: string;
  /** The procedure called. */
  readonly method: string;
  /** The caller's address. */
  readonly owner: Address;
  /** The process running this computation (one process per call). */
  readonly ctx: ProcessContext;
  /** Units of work done so far. */
  readonly units: number;
  /**
   * Does `units` units of work, one step (the skeleton's `step` ms) each, checking between steps
   * whether the computation was killed, must locate its owner or must renew its quantum.
   * Rejects with a `CallKilledError` once killed; let it through.
   */
  work(units?: number): Promise<void>;
}
