/**
 * The protocol contract: pure state machines ({@link Protocol}: input in, {@link Effect}s out)
 * and the one driver ({@link drive}) that runs them inside a process.
 *
 * @example A protocol is fed inputs and answers with effects
 * ```ts
 * import assert from "node:assert/strict";
 * import { deadlineAfter, type Effect } from "./mod.ts";
 * const effects: Effect[] = [{ kind: "send", to: "b@m2.lab", body: "x" }, { kind: "deadline", at: 50 }];
 * assert.equal(deadlineAfter(Infinity, effects), 50);
 * ```
 * @module
 */
export {
  deadlineAfter,
  DeadlineKeeper,
  type Effect,
  type Input,
  type Protocol,
} from "./protocol.ts";
export { drive, type DriveOptions } from "./drive.ts";
