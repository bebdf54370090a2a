/**
 * A failure that carries a {@link TierError} across a tier's call stack (private to the tiers).
 * @module
 */
import type { ErrorCode, FieldProblem, TierError } from "./messages.ts";

/**
 * Thrown inside a tier to answer with `error`.
 *
 * @example The error it carries
 * ```ts
 * import assert from "node:assert/strict";
 * import { TierFailure } from "./_tier_failure.ts";
 * assert.deepEqual(new TierFailure("conflict", "taken").error, { code: "conflict", message: "taken" });
 * ```
 */
export class TierFailure extends Error {
  /** What the tier answers. */
  readonly error: TierError;
  /** Creates the failure with `code` and `message` (and the wrong `fields`). */
  constructor(code: ErrorCode, message: string, fields?: readonly FieldProblem[]) {
    super(message);
    this.name = "TierFailure";
    this.error = fields === undefined ? { code, message } : { code, message, fields };
  }
}
