/**
 * A plausible but WRONG lin-kv node: the reference node of `lin_kv.ts`, except that a node
 * answers reads from its own replica instead of asking the leader. A replica that has not yet
 * received the latest write (it is behind, partitioned away, or just restarted) returns an old
 * value after the new one was acknowledged, and `lab check` shows the window where no order of
 * the operations explains what the clients saw:
 *
 *     deno task lab check lin-kv examples/check/lin_kv_stale.ts --nemesis partition --seed 1
 *
 * @module
 */
import type { ProcessFn } from "../../mod.ts";
import { linKvNode } from "./lin_kv.ts";

/**
 * The node.
 *
 * @example Caught by the checker
 * ```ts
 * import assert from "node:assert/strict";
 * import { linKvWorkload, simulateCheck } from "../../lab/check/mod.ts";
 * import { node } from "./lin_kv_stale.ts";
 * const workload = linKvWorkload();
 * const run = await simulateCheck(node, workload, { nemesis: ["partition"], seed: 1 });
 * const types = workload.check(run.history.ops).anomalies.map((a) => a.type);
 * assert.ok(types.includes("nonlinearizable"));
 * ```
 */
export const node: ProcessFn = linKvNode({ localReads: true });
