/**
 * The lin-kv workload: reads, writes and compare-and-sets on a few keys at a time, with errors
 * `{ kind: "error", code: 20 }` (key does not exist) and `code: 22` (precondition failed). The
 * history must be linearizable; each key is checked on its own (P-compositionality), and a
 * failing key is shown by its smallest non-linearizable window.
 * @module
 */
import { checkLinearizability } from "./check_linearizable.ts";
import type { HistoryOp } from "./history.ts";
import type { Operation } from "./model.ts";
import { type RegisterInput, registerModel, type RegisterOutput } from "./register_model.ts";
import { smallestWindow } from "./window.ts";
import { replyAnomalies, type WindowRow, type Workload } from "./workload.ts";

/** Options of {@link linKvWorkload}. */
export interface LinKvOptions {
  /** Distinct keys. @default 5 */
  readonly keys?: number;
  /** Distinct values written. @default 5 */
  readonly values?: number;
  /**
   * Every this many ms the clients move on to fresh keys, all together (as Maelstrom retires a
   * key after a few writes): each key's history stays small enough to search even when many
   * operations time out, and the clients still contend on the same keys. @default 5000
   */
  readonly rotate?: number;
  /** Search steps per key before the verdict is undecided. @default 5_000_000 */
  readonly maxSteps?: number;
}

/** Failing keys whose smallest window is searched. */
const WINDOWS = 3;

/** A lin-kv operation as the checker sees it; `client` is its index in the history. */
export type KvOperation = Operation<RegisterInput, RegisterOutput> & { readonly client: number };

/**
 * The operation the checker sees for `op`, or `undefined` when it cannot matter: a read whose
 * outcome is unknown, or a definite failure other than 20 and 22 (it did not happen).
 *
 * @example A timed-out write may take effect at any time after its call
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * import { kvOperation } from "./lin_kv_workload.ts";
 * const history = new History();
 * const op = history.invoke("client@c1.lab", "node@n1.lab", { kind: "write", key: 1, value: 2 }, 0);
 * history.complete(op, "info", 1000, undefined, "timeout");
 * assert.equal(kvOperation(op)?.ret, Infinity);
 * ```
 */
export function kvOperation(op: HistoryOp): KvOperation | undefined {
  const r = op.request;
  const input: RegisterInput = r.kind === "read"
    ? { f: "read" }
    : r.kind === "write"
    ? { f: "write", value: r.value }
    : { f: "cas", from: r.from, to: r.to };
  let output: RegisterOutput | undefined;
  if (op.status === "ok") {
    output = input.f === "read" ? { value: op.reply?.value ?? null } : {};
  } else if (op.status === "fail") {
    const code = op.reply?.code;
    if (code !== 20 && code !== 22) return undefined;
    output = { error: code };
  } else if (input.f === "read") {
    return undefined;
  }
  const ret = output === undefined ? Infinity : op.ret;
  return { client: op.index, input, output, call: op.call, ret };
}

function rows(history: readonly HistoryOp[], ops: readonly KvOperation[], window: {
  ops: readonly number[];
  failing: number;
  pending: readonly number[];
}): WindowRow[] {
  return window.ops.map((i) => {
    const op = history[ops[i].client];
    const pending = window.pending.includes(i);
    return {
      index: op.index,
      client: op.client,
      node: op.node,
      op: registerModel.describe(ops[i].input, pending ? undefined : ops[i].output),
      invoke: op.invoke,
      complete: op.complete === Infinity ? null : op.complete,
      ...(i === window.failing
        ? { mark: "failing" as const }
        : pending
        ? { mark: "pending" as const }
        : {}),
    };
  });
}

/**
 * The lin-kv workload.
 *
 * @example A stale read is caught, with its window
 * ```ts
 * import assert from "node:assert/strict";
 * import { History } from "./history.ts";
 * import { linKvWorkload } from "./lin_kv_workload.ts";
 * const history = new History();
 * const write = history.invoke("client@c1.lab", "node@n1.lab", { kind: "write", key: 0, value: 1 }, 0);
 * history.complete(write, "ok", 5, { kind: "write_ok" });
 * const read = history.invoke("client@c2.lab", "node@n2.lab", { kind: "read", key: 0 }, 6);
 * history.complete(read, "fail", 8, { kind: "error", code: 20, text: "no such key" });
 * const [anomaly] = linKvWorkload().check(history.ops).anomalies;
 * assert.equal(anomaly.type, "nonlinearizable");
 * assert.equal((anomaly.window as unknown[]).length, 2);
 * ```
 */
export function linKvWorkload(options: LinKvOptions = {}): Workload {
  const keys = options.keys ?? 5;
  const values = options.values ?? 5;
  const rotate = options.rotate ?? 5000;
  return {
    name: "lin-kv",
    clientsPerNode: 2,
    finalReads: false,
    request(random, _client, _seq, now) {
      const key = Math.floor(random() * keys) + keys * Math.floor(now / rotate);
      const f = random();
      if (f < 1 / 3) return { kind: "read", key };
      if (f < 2 / 3) return { kind: "write", key, value: Math.floor(random() * values) };
      const from = Math.floor(random() * values);
      return { kind: "cas", key, from, to: Math.floor(random() * values) };
    },
    check(history) {
      const anomalies = replyAnomalies(history);
      const ops: KvOperation[] = [];
      for (const op of history) {
        const kv = kvOperation(op);
        if (kv !== undefined) ops.push(kv);
      }
      const keyOf = (op: Operation<RegisterInput, RegisterOutput>) =>
        JSON.stringify(history[op.client as number].request.key);
      const result = checkLinearizability(registerModel, ops, {
        partition: keyOf,
        maxSteps: options.maxSteps ?? 5_000_000,
      });
      let steps = 0, failures = 0;
      for (const partition of result.partitions) {
        steps += partition.steps;
        const group = partition.ops as KvOperation[];
        if (partition.verdict === "unknown") {
          anomalies.push({
            type: "undecided",
            message: `key ${partition.key}: the search gave up after ${partition.steps} steps ` +
              `over ${group.length} operations; run fewer operations per key (--ops, --keys)`,
            key: JSON.parse(partition.key),
          });
        }
        if (partition.verdict !== "illegal") continue;
        // Windows for the first few failing keys: each search may take a second or two.
        const window = ++failures > WINDOWS ? undefined : smallestWindow(registerModel, group);
        const shown = window === undefined ? [] : rows(history, group, window);
        const why = failures > WINDOWS
          ? "no window searched (windows are shown for the first failing keys)"
          : window === undefined
          ? "the window search ran out of steps"
          : window.minimal
          ? `the smallest failing window has ${shown.length} operations`
          : `the window search ran out of steps: the failing prefix has ${shown.length} operations`;
        anomalies.push({
          type: "nonlinearizable",
          message: `key ${partition.key}: no order of its ${group.length} operations explains ` +
            `what the clients saw; ${why}`,
          key: JSON.parse(partition.key),
          fromStart: window?.fromStart ?? true,
          window: shown,
        });
      }
      return { anomalies, details: { keys: result.partitions.length, checked: ops.length, steps } };
    },
  };
}
