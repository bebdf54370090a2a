/**
 * The model of one key of lin-kv: a register with read, write and compare-and-set. A missing
 * key is `null`; a read of it fails with code 20, a compare-and-set whose `from` does not match
 * fails with code 22 (and with 20 when the key is missing).
 * @module
 */
import { hashValue, type Model, type Operation, sameValue } from "./model.ts";

/** An operation on a register. */
export type RegisterInput =
  | { readonly f: "read" }
  | { readonly f: "write"; readonly value: unknown }
  | { readonly f: "cas"; readonly from: unknown; readonly to: unknown };

/** What a register operation returned: a read's `value`, `{}` for a write or cas, or an error code. */
export interface RegisterOutput {
  /** The value a read returned (`null`: the key is missing). */
  readonly value?: unknown;
  /** The error code: 20 (key does not exist) or 22 (precondition failed). */
  readonly error?: number;
}

function text(value: unknown): string {
  return value === null ? "nil" : JSON.stringify(value);
}

function describe(input: RegisterInput, output: RegisterOutput | undefined): string {
  const call = input.f === "read"
    ? "read"
    : input.f === "write"
    ? `write ${text(input.value)}`
    : `cas ${text(input.from)}->${text(input.to)}`;
  if (output === undefined) return `${call} ?`;
  if (output.error !== undefined) return `${call} err ${output.error}`;
  return input.f === "read" ? `${call} ${text(output.value ?? null)}` : `${call} ok`;
}

function step(
  state: unknown,
  input: RegisterInput,
  output: RegisterOutput | undefined,
): unknown | undefined {
  if (output === undefined) {
    if (input.f === "read") return state;
    if (input.f === "write") return input.value;
    return sameValue(state, input.from) ? input.to : state;
  }
  if (output.error !== undefined) {
    if (output.error === 20) return input.f !== "write" && state === null ? state : undefined;
    if (output.error === 22) {
      return input.f === "cas" && state !== null && !sameValue(state, input.from)
        ? state
        : undefined;
    }
    return undefined;
  }
  if (input.f === "read") return sameValue(state, output.value ?? null) ? state : undefined;
  if (input.f === "write") return input.value;
  return sameValue(state, input.from) ? input.to : undefined;
}

/**
 * A read/write/compare-and-set register that starts missing (`null`).
 *
 * @example A read must see the last write
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerModel } from "./register_model.ts";
 * const s = registerModel.step(registerModel.init(), { f: "write", value: 1 }, {});
 * assert.equal(s, 1);
 * assert.equal(registerModel.step(s, { f: "read" }, { value: 2 }), undefined);
 * assert.equal(registerModel.step(s, { f: "cas", from: 1, to: 3 }, {}), 3);
 * assert.equal(registerModel.step(s, { f: "cas", from: 2, to: 3 }, { error: 22 }), 1);
 * ```
 */
export const registerModel: Model<unknown, RegisterInput, RegisterOutput> = {
  name: "cas-register",
  init: () => null,
  step,
  equal: sameValue,
  hash: hashValue,
  describe,
  states(ops: readonly Operation<RegisterInput, RegisterOutput>[]): unknown[] {
    const states: unknown[] = [null];
    for (const op of ops) {
      const value = op.input.f === "write"
        ? op.input.value
        : op.input.f === "cas"
        ? op.input.to
        : undefined;
      if (value !== undefined && !states.some((s) => sameValue(s, value))) states.push(value);
    }
    return states;
  },
};
