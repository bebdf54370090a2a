/**
 * The model of a counter: `add` adds a delta, `read` returns the sum.
 * @module
 */
import type { Model } from "./model.ts";

/** An operation on a counter. */
export type CounterInput = { readonly f: "add"; readonly delta: number } | { readonly f: "read" };

/** What a counter operation returned: a read's `value`, `{}` for an add. */
export interface CounterOutput {
  /** The value a read returned. */
  readonly value?: number;
}

/**
 * A counter that starts at 0.
 *
 * @example A read returns the sum of the adds before it
 * ```ts
 * import assert from "node:assert/strict";
 * import { counterModel } from "./counter_model.ts";
 * const s = counterModel.step(counterModel.init(), { f: "add", delta: 2 }, {})!;
 * assert.equal(counterModel.step(s, { f: "read" }, { value: 2 }), 2);
 * assert.equal(counterModel.step(s, { f: "read" }, { value: 0 }), undefined);
 * ```
 */
export const counterModel: Model<number, CounterInput, CounterOutput> = {
  name: "counter",
  init: () => 0,
  step(state: number, input: CounterInput, output: CounterOutput | undefined): number | undefined {
    if (input.f === "add") return state + input.delta;
    if (output === undefined) return state;
    return output.value === state ? state : undefined;
  },
  equal: (a: number, b: number): boolean => a === b,
  hash: (state: number): number => (Math.imul(state | 0, 0x9e3779b1) ^ (state / 4294967296)) >>> 0,
  describe(input: CounterInput, output: CounterOutput | undefined): string {
    const call = input.f === "add" ? `add ${input.delta}` : "read";
    if (output === undefined) return `${call} ?`;
    return input.f === "read" ? `${call} ${output.value}` : `${call} ok`;
  },
};
