/**
 * The g-counter workload: `{ kind: "add", delta }` answered `add_ok`, and `{ kind: "read" }`
 * answered `{ kind: "read_ok", value }`. Once the faults are healed every node's final read must
 * equal the sum of the acknowledged adds; adds whose outcome is unknown may count or not, so the
 * value must lie between that sum and the sum plus theirs (as Maelstrom checks it).
 * @module
 */
import { replyAnomalies, type Workload } from "./workload.ts";

/**
 * The g-counter workload.
 *
 * @example A final read that misses an acknowledged add
 * ```ts
 * import assert from "node:assert/strict";
 * import { gCounterWorkload } from "./g_counter_workload.ts";
 * import { History } from "./history.ts";
 * const history = new History();
 * const add = history.invoke("client@c1.lab", "node@n1.lab", { kind: "add", delta: 3 }, 0);
 * history.complete(add, "ok", 1, { kind: "add_ok" });
 * const read = history.invoke("final@ctl.lab", "node@n2.lab", { kind: "read" }, 50, "final");
 * history.complete(read, "ok", 51, { kind: "read_ok", value: 0 });
 * assert.equal(gCounterWorkload().check(history.ops).anomalies[0].type, "wrong-count");
 * ```
 */
export function gCounterWorkload(): Workload {
  return {
    name: "g-counter",
    finalReads: true,
    request: (random) =>
      random() < 0.5 ? { kind: "add", delta: 1 + Math.floor(random() * 5) } : { kind: "read" },
    check(history) {
      const anomalies = replyAnomalies(history);
      let lower = 0, unsure = 0;
      for (const op of history) {
        if (op.request.kind !== "add") continue;
        const delta = Number(op.request.delta);
        if (op.status === "ok") lower += delta;
        else if (op.status === "info") unsure += delta;
      }
      const upper = lower + unsure;
      const asked = new Set<string>(), answered = new Map<string, unknown>();
      for (const op of history) {
        if (op.phase !== "final") continue;
        asked.add(op.node);
        if (op.status === "ok") answered.set(op.node, op.reply?.value);
      }
      for (const node of asked) {
        if (!answered.has(node)) {
          anomalies.push({
            type: "no-final-read",
            message: `${node} never answered a final read after the faults were healed`,
            node,
          });
        }
      }
      for (const [node, value] of answered) {
        if (typeof value === "number" && value >= lower && value <= upper) continue;
        anomalies.push({
          type: "wrong-count",
          message: `${node} finally read ${
            JSON.stringify(value)
          }, but the acknowledged adds sum to ${lower}${
            unsure > 0 ? ` (up to ${upper} with the adds of unknown outcome)` : ""
          }`,
          node,
          value,
          expected: { lower, upper },
        });
      }
      return {
        anomalies,
        details: { expected: { lower, upper }, finalValues: Object.fromEntries(answered) },
      };
    },
  };
}
