/**
 * A brute-force linearizability checker for tiny histories: it tries every order of the
 * operations that respects real time, with no pruning or memoization, so it is slow but
 * obviously right. Operations whose outcome is unknown (`ret: Infinity`) and `optional` ones may
 * also be left out (they never took effect).
 * @module
 */
import type { Model, Operation } from "../lab/check/model.ts";

/** Whether `ops` are linearizable with respect to `model`, by enumeration (n <= 8). */
export function bruteForceLinearizable<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  initial: S = model.init(),
): boolean {
  if (ops.length > 8) {
    throw new RangeError(`Cannot brute-force ${ops.length} operations: at most 8`);
  }
  const done = new Array<boolean>(ops.length).fill(false);
  const search = (state: S, left: number): boolean => {
    if (left === 0) return true;
    for (let i = 0; i < ops.length; i++) {
      if (done[i]) continue;
      // Only an operation that no pending operation precedes in real time may go next.
      let minimal = true;
      for (let j = 0; j < ops.length && minimal; j++) {
        if (!done[j] && j !== i && ops[j].ret < ops[i].call) minimal = false;
      }
      if (!minimal) continue;
      done[i] = true;
      const after = model.step(state, ops[i].input, ops[i].output);
      if (after !== undefined && search(after, left - 1)) return (done[i] = false, true);
      if ((ops[i].ret === Infinity || ops[i].optional) && search(state, left - 1)) {
        return (done[i] = false, true);
      }
      done[i] = false;
    }
    return false;
  };
  return search(initial, ops.length);
}
