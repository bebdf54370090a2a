/**
 * The smallest non-linearizable window of a failing history, to show a person why it fails.
 *
 * First the earliest return after which the history can no longer be linearized (operations
 * still running at that moment count as pending: they may or may not have taken effect). Then
 * the latest start such that the operations still running at or after it already fail on their
 * own, from any state the operations before could have left (those that started before the
 * window may also have taken effect before it). That window is a self-contained proof: no
 * earlier history can make it linearizable.
 * @module
 */
import { searchLinearization } from "./linearizability.ts";
import type { Model, Operation } from "./model.ts";

/** A failing window: indices into the checked operations. */
export interface FailureWindow {
  /** The operations of the window, in call order. */
  readonly ops: readonly number[];
  /** The operation whose return made the history fail. */
  readonly failing: number;
  /** The operations still running when the failing one returned (they may not have happened). */
  readonly pending: readonly number[];
  /** Whether the window starts at the beginning (it needs the model's initial state). */
  readonly fromStart: boolean;
  /**
   * Where the window starts (a call time; `-Infinity` from the beginning): operations called
   * before it may also have taken effect before it.
   */
  readonly start: number;
  /** False when the search ran out of steps or size and shows the whole failing prefix instead. */
  readonly minimal: boolean;
}

/** Options of {@link smallestWindow}. */
export interface WindowOptions {
  /** Search steps in all, over every attempt. @default 1_000_000 */
  readonly maxSteps?: number;
  /** Largest window searched from an unknown state before taking the whole prefix. @default 40 */
  readonly maxOps?: number;
}

/**
 * Finds the smallest non-linearizable window of `ops` (one object), or `undefined` when `ops`
 * is linearizable (or the steps ran out before its failure was confirmed).
 *
 * @example The stale read and the write before it
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerModel } from "./register_model.ts";
 * import { smallestWindow } from "./window.ts";
 * const ops = [
 *   { input: { f: "write" as const, value: 1 }, output: {}, call: 0, ret: 1 },
 *   { input: { f: "write" as const, value: 2 }, output: {}, call: 2, ret: 3 },
 *   { input: { f: "read" as const }, output: { value: 1 }, call: 4, ret: 5 },
 *   { input: { f: "read" as const }, output: { value: 2 }, call: 6, ret: 7 },
 * ];
 * const window = smallestWindow(registerModel, ops)!;
 * assert.equal(window.failing, 2);
 * assert.deepEqual(window.ops, [1, 2]);
 * ```
 */
export function smallestWindow<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  options: WindowOptions = {},
): FailureWindow | undefined {
  let left = options.maxSteps ?? 1_000_000;
  const maxOps = options.maxOps ?? 40;
  const returns = ops.map((_, i) => i).filter((i) => ops[i].ret !== Infinity);
  returns.sort((a, b) => ops[a].ret - ops[b].ret || a - b);
  // The history as it stood when return number k happened: later returns are still pending.
  const prefix = (k: number): number[] =>
    ops.map((_, i) => i).filter((i) => ops[i].call <= ops[returns[k]].ret);
  const view = (indices: readonly number[], cut: number, start: number): Operation<I, O>[] =>
    indices.map((i) => {
      const op = ops[i];
      const pending = op.ret > cut;
      return {
        ...op,
        output: pending ? undefined : op.output,
        ret: pending ? Infinity : op.ret,
        optional: op.call < start,
      };
    });
  // Only a finished search that found no linearization counts; out of steps counts as passing.
  const fails = (list: Operation<I, O>[], initial?: S): boolean => {
    if (left <= 0) return false;
    const result = searchLinearization(model, list, { maxSteps: left, initial });
    left -= result.steps;
    return result.verdict === "illegal";
  };
  let lo = 0, hi = returns.length - 1;
  if (hi < 0) return undefined;
  const lastCut = ops[returns[hi]].ret;
  if (!fails(view(prefix(hi), lastCut, -Infinity))) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (fails(view(prefix(mid), ops[returns[mid]].ret, -Infinity))) hi = mid;
    else lo = mid + 1;
  }
  const failing = returns[lo];
  const cut = ops[failing].ret;
  const history = prefix(lo);
  const pending = history.filter((i) => ops[i].ret > cut);
  const whole = (minimal: boolean): FailureWindow => ({
    ops: history,
    failing,
    pending,
    fromStart: true,
    start: -Infinity,
    minimal,
  });
  const states = model.states?.(ops);
  if (states === undefined) return whole(false);
  const starts = [...new Set(history.map((i) => ops[i].call))]
    .filter((t) => t <= ops[failing].call)
    .sort((a, b) => b - a);
  const first = Math.min(...history.map((i) => ops[i].call));
  for (const start of starts) {
    if (start <= first) return whole(true);
    const inside = history.filter((i) => ops[i].ret >= start);
    if (inside.length > maxOps || left <= 0) return whole(false);
    const list = view(inside, cut, start);
    if (states.every((state) => fails(list, state))) {
      return {
        ops: inside,
        failing,
        pending: pending.filter((i) => inside.includes(i)),
        fromStart: false,
        start,
        minimal: true,
      };
    }
  }
  return whole(true);
}
