/**
 * P-compositional linearizability checking (Horn & Kroening, as Porcupine does): a history of
 * independent objects (the keys of a key-value store) is linearizable exactly when each object's
 * sub-history is, so each key is searched on its own, which keeps every search small.
 * @module
 */
import { searchLinearization, type SearchResult, type Verdict } from "./linearizability.ts";
import type { Model, Operation } from "./model.ts";

/** Options of {@link checkLinearizability}. */
export interface CheckOptions<I, O> {
  /** The object an operation acts on; operations of different objects are independent. @default one object */
  readonly partition?: (op: Operation<I, O>) => string;
  /** Search steps per object before giving up with `"unknown"`. @default 10_000_000 */
  readonly maxSteps?: number;
}

/** The verdict on one object. */
export interface PartitionResult<I, O> extends SearchResult {
  /** The object. */
  readonly key: string;
  /** Its operations, in call order. */
  readonly ops: readonly Operation<I, O>[];
}

/** The verdict on a whole history. */
export interface LinearizabilityResult<I, O> {
  /** `illegal` if any object is, else `unknown` if any search gave up, else `ok`. */
  readonly verdict: Verdict;
  /** One result per object, in order of first appearance. */
  readonly partitions: readonly PartitionResult<I, O>[];
}

/**
 * Checks `ops` for linearizability against `model`, one object at a time.
 *
 * @example Two keys, each linearizable on its own
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkLinearizability } from "./check_linearizable.ts";
 * import { registerModel, type RegisterInput } from "./register_model.ts";
 * const op = (key: string, input: RegisterInput, output: object, call: number, ret: number) =>
 *   ({ client: key, input, output, call, ret });
 * const result = checkLinearizability(registerModel, [
 *   op("x", { f: "write", value: 1 }, {}, 0, 1),
 *   op("y", { f: "read" }, { value: null }, 2, 3),
 *   op("x", { f: "read" }, { value: 1 }, 2, 3),
 * ], { partition: (o) => String(o.client) });
 * assert.equal(result.verdict, "ok");
 * assert.deepEqual(result.partitions.map((p) => p.key), ["x", "y"]);
 * ```
 */
export function checkLinearizability<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  options: CheckOptions<I, O> = {},
): LinearizabilityResult<I, O> {
  const groups = new Map<string, Operation<I, O>[]>();
  for (const op of ops) {
    const key = options.partition?.(op) ?? "";
    let group = groups.get(key);
    if (group === undefined) groups.set(key, group = []);
    group.push(op);
  }
  const partitions: PartitionResult<I, O>[] = [];
  let verdict: Verdict = "ok";
  for (const [key, group] of groups) {
    const result = searchLinearization(model, group, { maxSteps: options.maxSteps });
    partitions.push({ key, ops: group, ...result });
    if (result.verdict === "illegal") verdict = "illegal";
    else if (result.verdict === "unknown" && verdict === "ok") verdict = "unknown";
  }
  return { verdict, partitions };
}
