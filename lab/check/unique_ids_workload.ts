/**
 * The unique-ids workload: `{ kind: "generate" }` returns `{ kind: "generate_ok", id }`, and no
 * two acknowledged ids may be equal, whatever the partitions, crashes and pauses.
 * @module
 */
import { listed, replyAnomalies, type Workload } from "./workload.ts";

/**
 * The unique-ids workload.
 *
 * @example The same id twice
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * import { uniqueIdsWorkload } from "./unique_ids_workload.ts";
 * const history = new History();
 * for (const node of ["node@n1.lab", "node@n2.lab"]) {
 *   const op = history.invoke("client@c1.lab", node, { kind: "generate" }, 0);
 *   history.complete(op, "ok", 1, { kind: "generate_ok", id: 7 });
 * }
 * const { anomalies } = uniqueIdsWorkload().check(history.ops);
 * assert.equal(anomalies[0].type, "duplicate-id");
 * ```
 */
export function uniqueIdsWorkload(): Workload {
  return {
    name: "unique-ids",
    finalReads: false,
    request: () => ({ kind: "generate" }),
    check(history) {
      const anomalies = replyAnomalies(history);
      const seen = new Map<string, number[]>();
      let missing = 0;
      for (const op of history) {
        if (op.status !== "ok") continue;
        const id = op.reply?.id;
        if (id === undefined || id === null) {
          missing++;
          continue;
        }
        const key = JSON.stringify(id);
        const ops = seen.get(key);
        if (ops === undefined) seen.set(key, [op.index]);
        else ops.push(op.index);
      }
      if (missing > 0) {
        anomalies.push({
          type: "missing-id",
          message: `${missing} generate_ok replies carry no id`,
          count: missing,
        });
      }
      const duplicates = [...seen].filter(([, ops]) => ops.length > 1);
      for (const [id, ops] of duplicates.slice(0, 10)) {
        anomalies.push({
          type: "duplicate-id",
          message: `id ${id} was handed out ${ops.length} times (operations ${listed(ops)})`,
          id: JSON.parse(id),
          ops,
        });
      }
      if (duplicates.length > 10) {
        anomalies.push({
          type: "duplicate-id",
          message: `${duplicates.length - 10} more ids were handed out more than once`,
          count: duplicates.length - 10,
        });
      }
      return { anomalies, details: { ids: seen.size } };
    },
  };
}
