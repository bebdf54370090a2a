/**
 * What the linearizability checker works on: operations with a call and a return in real-time
 * order, and a sequential model (a state machine) that says which outputs each state allows.
 * @module
 */

/**
 * One operation of a history. `call` and `ret` order it in real time (times or event numbers);
 * an operation whose outcome is unknown (a timeout) has `ret: Infinity` and `output: undefined`:
 * it may take effect at any point after its call, or never.
 */
export interface Operation<I, O> {
  /** Who issued it (for reports). */
  readonly client?: string | number;
  /** The input: what was asked. */
  readonly input: I;
  /** The output the caller saw; `undefined` when unknown. */
  readonly output: O | undefined;
  /** When it was called. */
  readonly call: number;
  /** When it returned; `Infinity` when it never did. */
  readonly ret: number;
  /** The operation may also be skipped (used for windows whose start state is unknown). @default false */
  readonly optional?: boolean;
}

/**
 * A sequential specification. `step` returns the state after applying `input` in `state` when
 * `output` is what that state gives, else `undefined`; with `output` undefined (unknown) it
 * must return the state after the operation took effect, whatever it returned.
 */
export interface Model<S, I, O> {
  /** The model's name, for reports. */
  readonly name: string;
  /** The initial state. */
  init(): S;
  /** The next state, or `undefined` when `output` is impossible in `state`. */
  step(state: S, input: I, output: O | undefined): S | undefined;
  /** Whether two states are the same. */
  equal(a: S, b: S): boolean;
  /** A hash of a state, equal for equal states. */
  hash(state: S): number;
  /** A short text for an operation: `write 3`, `read -> 2`. */
  describe(input: I, output: O | undefined): string;
  /**
   * Every state any prefix of `ops` may leave (a superset is fine), or `undefined` when there
   * are too many to list. Lets a failure be shown in a window that starts mid-history.
   */
  states?(ops: readonly Operation<I, O>[]): S[] | undefined;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    sorted[key] = (value as Record<string, unknown>)[key];
  }
  return sorted;
}

/**
 * A 32-bit hash of a JSON value; equal values (in the sense of {@link sameValue}) hash equally.
 *
 * @example Equal values hash equally
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashValue } from "./model.ts";
 * assert.equal(hashValue("x"), hashValue("x"));
 * assert.notEqual(hashValue(1), hashValue(2));
 * assert.equal(hashValue({ a: 1, b: 2 }), hashValue({ b: 2, a: 1 }));
 * ```
 */
export function hashValue(value: unknown): number {
  // Small integers, the usual register values, without building a string.
  if (typeof value === "number" && Number.isInteger(value) && Math.abs(value) < 2 ** 31) {
    return Math.imul(value ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
  }
  if (value === null) return 0x2545f491;
  const text = typeof value === "string"
    ? `s${value}`
    : typeof value === "object" && value !== null
    ? JSON.stringify(value, sortKeys)
    : String(value);
  let hash = 2166136261;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 16777619);
  return hash >>> 0;
}

/**
 * Whether two JSON values are equal (deep, key order ignored).
 *
 * @example Deep equality
 * ```ts
 * import assert from "node:assert/strict";
 * import { sameValue } from "./model.ts";
 * assert.ok(sameValue({ a: [1, 2] }, { a: [1, 2] }));
 * assert.ok(!sameValue(1, "1"));
 * ```
 */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}
