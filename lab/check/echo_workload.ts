/**
 * The echo workload: `{ kind: "echo", echo }` must come back as `{ kind: "echo_ok", echo }`.
 * @module
 */
import { sameValue } from "./model.ts";
import { replyAnomalies, type Workload } from "./workload.ts";

/**
 * The echo workload.
 *
 * @example A wrong echo is an anomaly
 * ```ts
 * import assert from "node:assert/strict";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { History } from "./history.ts";
 * const workload = echoWorkload();
 * const history = new History();
 * const request = workload.request(() => 0.5, 0, 0, 0);
 * const op = history.invoke("client@c1.lab", "node@n1.lab", request, 0);
 * history.complete(op, "ok", 1, { kind: "echo_ok", echo: "something else" });
 * assert.equal(workload.check(history.ops).anomalies[0].type, "wrong-echo");
 * ```
 */
export function echoWorkload(): Workload {
  return {
    name: "echo",
    finalReads: false,
    request: (_random, client, seq) => ({ kind: "echo", echo: `Please echo ${client}.${seq}` }),
    check(history) {
      const anomalies = replyAnomalies(history);
      for (const op of history) {
        if (op.status !== "ok" || sameValue(op.reply?.echo, op.request.echo)) continue;
        anomalies.push({
          type: "wrong-echo",
          message: `${op.node} echoed ${JSON.stringify(op.reply?.echo)} for ${
            JSON.stringify(op.request.echo)
          }`,
          op: op.index,
        });
      }
      return { anomalies };
    },
  };
}
