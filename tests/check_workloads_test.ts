/**
 * Each workload's checker on hand-made histories: valid ones pass, and each kind of wrong
 * answer is reported with what a person needs to find it.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { broadcastWorkload } from "../lab/check/broadcast_workload.ts";
import { classify } from "../lab/check/client.ts";
import { echoWorkload } from "../lab/check/echo_workload.ts";
import { gCounterWorkload } from "../lab/check/g_counter_workload.ts";
import { History, type OpStatus } from "../lab/check/history.ts";
import { kvOperation, linKvWorkload } from "../lab/check/lin_kv_workload.ts";
import { uniqueIdsWorkload } from "../lab/check/unique_ids_workload.ts";
import type { WindowRow } from "../lab/check/workload.ts";

/** A history builder: `op(node, request, [invoke, complete], status, reply)`. */
function build() {
  const history = new History();
  const op = (
    node: string,
    request: Record<string, unknown>,
    [invoke, complete]: [number, number],
    status: OpStatus,
    reply?: Record<string, unknown>,
    phase: "main" | "final" = "main",
  ) => {
    const client = phase === "final" ? "final@ctl.lab" : "client@c1.lab";
    const recorded = history.invoke(client, `node@${node}.lab`, request, invoke, phase);
    history.complete(recorded, status, complete, reply, status === "info" ? "timeout" : undefined);
    return recorded;
  };
  return { history, op };
}

const types = (anomalies: readonly { type: string }[]) => anomalies.map((a) => a.type);

Deno.test("classify() sorts replies into ok, definite failures and unknown outcomes", () => {
  assertEquals(classify({ kind: "add" }, { kind: "add_ok" }).status, "ok");
  for (const code of [1, 10, 11, 12, 14, 20, 21, 22, 30]) {
    assertEquals(classify({ kind: "add" }, { kind: "error", code }).status, "fail");
  }
  for (const code of [0, 13, 99]) {
    assertEquals(classify({ kind: "add" }, { kind: "error", code }).status, "info");
  }
  assertEquals(classify({ kind: "add" }, { kind: "read_ok" }), {
    status: "info",
    note: "unexpected reply",
  });
});

Deno.test("echoWorkload() checks that every echo comes back unchanged", () => {
  const { history, op } = build();
  op("n1", { kind: "echo", echo: "a" }, [0, 1], "ok", { kind: "echo_ok", echo: "a" });
  op("n1", { kind: "echo", echo: "b" }, [2, 3], "info");
  assertEquals(echoWorkload().check(history.ops).anomalies, []);
  op("n2", { kind: "echo", echo: "c" }, [4, 5], "ok", { kind: "echo_ok", echo: "C" });
  op("n2", { kind: "echo", echo: "d" }, [4, 5], "info", { kind: "pong" });
  history.ops[3].note = "unexpected reply";
  const { anomalies } = echoWorkload().check(history.ops);
  assertEquals(types(anomalies), ["unexpected-reply", "wrong-echo"]);
  assertTrue(String(anomalies[1].message).includes('node@n2.lab echoed "C"'));
});

Deno.test("uniqueIdsWorkload() reports an id handed out twice, and only acknowledged ids count", () => {
  const { history, op } = build();
  op("n1", { kind: "generate" }, [0, 1], "ok", { kind: "generate_ok", id: "n1-1" });
  op("n2", { kind: "generate" }, [0, 1], "ok", { kind: "generate_ok", id: 1 });
  op("n2", { kind: "generate" }, [2, 3], "info", { kind: "generate_ok", id: "n1-1" });
  assertEquals(uniqueIdsWorkload().check(history.ops).anomalies, []);
  op("n3", { kind: "generate" }, [4, 5], "ok", { kind: "generate_ok", id: "n1-1" });
  op("n3", { kind: "generate" }, [6, 7], "ok", { kind: "generate_ok" });
  const { anomalies } = uniqueIdsWorkload().check(history.ops);
  assertEquals(types(anomalies), ["missing-id", "duplicate-id"]);
  assertEquals(anomalies[1].ops, [0, 3]);
});

Deno.test("broadcastWorkload() wants every acknowledged message in every final read", () => {
  const { history, op } = build();
  op("n1", { kind: "broadcast", message: 1 }, [0, 2], "ok", { kind: "broadcast_ok" });
  op("n2", { kind: "broadcast", message: 2 }, [0, 2], "info");
  op("n2", { kind: "read" }, [3, 4], "ok", { kind: "read_ok", messages: [] });
  op("n2", { kind: "read" }, [10, 11], "ok", { kind: "read_ok", messages: [1] });
  for (const node of ["n1", "n2"]) {
    op(node, { kind: "read" }, [50, 51], "ok", { kind: "read_ok", messages: [1] }, "final");
  }
  const result = broadcastWorkload().check(history.ops);
  assertEquals(result.anomalies, []);
  // Message 1 was still missing in the read that ended at 4 ms: stable 4 ms after its broadcast.
  assertEquals(result.details?.stableLatency, { p50: 4, p99: 4, max: 4 });
});

Deno.test("broadcastWorkload() reports lost, unexpected and unread messages, and silent nodes", () => {
  const { history, op } = build();
  op("n1", { kind: "broadcast", message: 1 }, [0, 2], "ok", { kind: "broadcast_ok" });
  op("n1", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", messages: [1, 9] }, "final");
  op("n2", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", messages: [] }, "final");
  op("n3", { kind: "read" }, [50, 51], "info", undefined, "final");
  op("n4", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", value: 3 }, "final");
  const { anomalies } = broadcastWorkload().check(history.ops);
  assertEquals(types(anomalies).sort(), [
    "lost-message",
    "malformed-read",
    "no-final-read",
    "no-final-read",
    "unexpected-message",
  ]);
  const lost = anomalies.find((a) => a.type === "lost-message")!;
  assertEquals(lost.nodes, ["node@n2.lab"]);
});

Deno.test("gCounterWorkload() wants final reads between the acknowledged sum and the possible sum", () => {
  const { history, op } = build();
  op("n1", { kind: "add", delta: 2 }, [0, 1], "ok", { kind: "add_ok" });
  op("n2", { kind: "add", delta: 3 }, [0, 1], "info");
  op("n2", { kind: "add", delta: 4 }, [0, 1], "fail", { kind: "error", code: 11 });
  op("n1", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", value: 2 }, "final");
  op("n2", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", value: 5 }, "final");
  assertEquals(gCounterWorkload().check(history.ops).anomalies, []);
  op("n3", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", value: 9 }, "final");
  op("n4", { kind: "read" }, [50, 51], "ok", { kind: "read_ok", value: 1 }, "final");
  const { anomalies } = gCounterWorkload().check(history.ops);
  assertEquals(types(anomalies), ["wrong-count", "wrong-count"]);
  assertEquals(anomalies[0].expected, { lower: 2, upper: 5 });
});

Deno.test("kvOperation() keeps what can matter to linearizability and drops the rest", () => {
  const { op } = build();
  const read = op("n1", { kind: "read", key: 1 }, [0, 1], "ok", { kind: "read_ok", value: 3 });
  const missing = op("n1", { kind: "read", key: 1 }, [0, 1], "fail", { kind: "error", code: 20 });
  const lostRead = op("n1", { kind: "read", key: 1 }, [0, 1], "info");
  const lostWrite = op("n1", { kind: "write", key: 1, value: 2 }, [0, 1], "info");
  const refused = op("n1", { kind: "write", key: 1, value: 2 }, [0, 1], "fail", {
    kind: "error",
    code: 11,
  });
  const casFailed = op("n1", { kind: "cas", key: 1, from: 1, to: 2 }, [0, 1], "fail", {
    kind: "error",
    code: 22,
  });
  assertEquals(kvOperation(read)?.output, { value: 3 });
  assertEquals(kvOperation(missing)?.output, { error: 20 });
  assertEquals(kvOperation(lostRead), undefined);
  assertEquals([kvOperation(lostWrite)?.output, kvOperation(lostWrite)?.ret], [
    undefined,
    Infinity,
  ]);
  assertEquals(kvOperation(refused), undefined);
  assertEquals(kvOperation(casFailed)?.input, { f: "cas", from: 1, to: 2 });
});

Deno.test("linKvWorkload() passes a linearizable history and shows the failing key's window", () => {
  // Real-time order is the order events are recorded in: invoke and complete them interleaved.
  const history = new History();
  const invoke = (node: string, request: Record<string, unknown>, t: number) =>
    history.invoke(`client@c${node}.lab`, `node@n${node}.lab`, request, t);
  const write = invoke("1", { kind: "write", key: "a", value: 1 }, 0);
  const readB = invoke("2", { kind: "read", key: "b" }, 1);
  history.complete(write, "ok", 2, { kind: "write_ok" });
  history.complete(readB, "fail", 3, { kind: "error", code: 20 });
  const cas = invoke("2", { kind: "cas", key: "a", from: 1, to: 2 }, 3);
  const readA = invoke("3", { kind: "read", key: "a" }, 4);
  history.complete(cas, "ok", 5, { kind: "cas_ok" });
  history.complete(readA, "ok", 6, { kind: "read_ok", value: 1 });
  assertEquals(linKvWorkload().check(history.ops).anomalies, []);
  const stale = invoke("3", { kind: "read", key: "a" }, 7);
  history.complete(stale, "ok", 8, { kind: "read_ok", value: 1 });
  const { anomalies } = linKvWorkload().check(history.ops);
  assertEquals(types(anomalies), ["nonlinearizable"]);
  assertEquals(anomalies[0].key, "a");
  const window = anomalies[0].window as WindowRow[];
  assertEquals(window.map((row) => [row.index, row.op, row.mark ?? ""]), [
    [2, "cas 1->2 ok", ""],
    [3, "read 1", ""],
    [4, "read 1", "failing"],
  ]);
});
