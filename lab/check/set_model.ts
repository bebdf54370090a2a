/**
 * The model of a grow-only set: `add` puts an element in, `read` returns every element.
 * @module
 */
import { hashValue, type Model } from "./model.ts";

/** An operation on a set. */
export type SetInput = { readonly f: "add"; readonly value: unknown } | { readonly f: "read" };

/** What a set operation returned: a read's elements, `{}` for an add. */
export interface SetOutput {
  /** The elements a read returned, in any order. */
  readonly values?: readonly unknown[];
}

/** A state of the set model: the elements by their JSON text. */
export type SetState = ReadonlySet<string>;

function key(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}

function step(
  state: SetState,
  input: SetInput,
  output: SetOutput | undefined,
): SetState | undefined {
  if (input.f === "add") {
    const k = key(input.value);
    if (state.has(k)) return state;
    return new Set([...state, k]);
  }
  if (output === undefined) return state;
  const seen = new Set((output.values ?? []).map(key));
  if (seen.size !== state.size) return undefined;
  for (const k of seen) if (!state.has(k)) return undefined;
  return state;
}

/**
 * A grow-only set that starts empty.
 *
 * @example A read returns exactly what was added
 * ```ts
 * import assert from "node:assert/strict";
 * import { setModel } from "./set_model.ts";
 * const s = setModel.step(setModel.init(), { f: "add", value: 1 }, {})!;
 * assert.ok(setModel.step(s, { f: "read" }, { values: [1] }) !== undefined);
 * assert.equal(setModel.step(s, { f: "read" }, { values: [] }), undefined);
 * ```
 */
export const setModel: Model<SetState, SetInput, SetOutput> = {
  name: "set",
  init: () => new Set<string>(),
  step,
  equal(a: SetState, b: SetState): boolean {
    if (a.size !== b.size) return false;
    for (const k of a) if (!b.has(k)) return false;
    return true;
  },
  hash(state: SetState): number {
    let hash = state.size;
    for (const k of state) hash = (hash + hashValue(k)) >>> 0;
    return hash;
  },
  describe(input: SetInput, output: SetOutput | undefined): string {
    if (input.f === "add") return `add ${key(input.value)}${output === undefined ? " ?" : ""}`;
    return output === undefined ? "read ?" : `read ${key(output.values ?? [])}`;
  },
};
