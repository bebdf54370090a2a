/**
 * The two-phase commit state machines without a network: what the coordinator logs and sends
 * for each vote, timeout, query and restart, and what a participant logs before it votes.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { Input } from "../core/protocol/mod.ts";
import {
  CommitCoordinator,
  LockTable,
  type LogRecord,
  messagesOf,
  ResourceManager,
  StableStore,
  type TxEffect,
  type TxMessage,
} from "../transactions/mod.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const TM = "tm@coord.lab", P1 = "bank@p1.lab", P2 = "bank@p2.lab", C = "c@c1.lab";

let ids = 0;
function env(from: string, body: unknown): Envelope {
  return { id: `e${++ids}`, from, to: TM, kind: "x", body, lamport: 0, corr: `c${ids}` };
}

/** A message input from `from` at time `now`. */
function message(from: string, body: unknown, now: number, to = TM): Input<TxMessage> {
  return { kind: "message", envelope: { ...env(from, body), to } as Envelope<TxMessage>, now };
}

/** A tick input at time `now`. */
function tick(now: number): Input<TxMessage> {
  return { kind: "tick", now };
}

function persisted(effects: readonly TxEffect[]): LogRecord[] {
  return effects.flatMap((e) =>
    e.kind === "persist" && e.record.kind !== "failpoint" ? [e.record.record] : []
  );
}

/** A coordinator with one transaction over P1 and P2 in phase 1; returns its id. */
function voting(tm: CommitCoordinator): string {
  const begun = tm.step(message(C, { kind: "tx-begin" }, 0))[0];
  const txid = (begun as { body: { txid: string } }).body.txid;
  const sent = tm.step(
    message(C, { kind: "tx-end", txid, participants: { [P1]: 2, [P2]: 1 } }, 1),
  );
  assertEquals(messagesOf(sent), [[P1, "tx-prepare"], [P2, "tx-prepare"]]);
  return txid;
}

Deno.test("CommitCoordinator decides abort at the first no vote and logs it before phase 2", () => {
  const tm = new CommitCoordinator(TM, 1, []);
  const txid = voting(tm);
  const effects = tm.step(message(P2, { kind: "tx-vote", txid, vote: "no" }, 5));
  assertEquals(effects.map((e) => e.kind), ["persist", "reply", "send", "send", "deadline"]);
  assertEquals(persisted(effects), [
    { type: "decision", txid, decision: "abort", participants: [P1, P2] },
  ]);
});

Deno.test("CommitCoordinator resends prepare and then aborts when a vote never comes", () => {
  const tm = new CommitCoordinator(TM, 1, [], { voteTimeoutMs: 500, retryMs: 100 });
  const txid = voting(tm);
  tm.step(message(P1, { kind: "tx-vote", txid, vote: "yes" }, 5));
  assertEquals(tm.nextDeadline(), 101);
  assertEquals(messagesOf(tm.step(tick(101))), [[P2, "tx-prepare"]]);
  const late = tm.step(tick(501));
  assertEquals(persisted(late)[0], {
    type: "decision",
    txid,
    decision: "abort",
    participants: [P1, P2],
  });
});

Deno.test("CommitCoordinator answers a query with no logged decision by logging abort", () => {
  const tm = new CommitCoordinator(TM, 2, []);
  const effects = tm.step(message(P1, { kind: "tx-query", txid: `${TM}#1.7` }, 0));
  assertEquals(persisted(effects), [
    { type: "decision", txid: `${TM}#1.7`, decision: "abort", participants: [P1] },
  ]);
  assertEquals(messagesOf(effects), [[P1, "tx-decision"]]);
  // The answer is now in the log: an END for that transaction hears the same.
  const end = tm.step(
    message(C, { kind: "tx-end", txid: `${TM}#1.7`, participants: { [P1]: 1 } }, 1),
  );
  assertEquals(end.map((e) => e.kind === "reply" && e.body), [{
    kind: "tx-outcome",
    txid: `${TM}#1.7`,
    outcome: "aborted",
  }]);
});

Deno.test("CommitCoordinator after a restart sends its unacknowledged decisions again", () => {
  const log: LogRecord[] = [
    { type: "decision", txid: "t1", decision: "commit", participants: [P1, P2] },
    { type: "decision", txid: "t2", decision: "commit", participants: [P1] },
    { type: "end", txid: "t2" },
  ];
  const tm = new CommitCoordinator(TM, 2, log);
  assertTrue(tm.nextDeadline() < 0);
  assertEquals(messagesOf(tm.step(tick(0))), [[P1, "tx-decision"], [P2, "tx-decision"]]);
  tm.step(message(P1, { kind: "tx-ack", txid: "t1" }, 1));
  assertEquals(persisted(tm.step(message(P2, { kind: "tx-ack", txid: "t1" }, 2))), [
    { type: "end", txid: "t1" },
  ]);
  // A transaction of the earlier incarnation that was never decided ends as aborted.
  const old = tm.step(
    message(C, { kind: "tx-end", txid: `${TM}#1.9`, participants: { [P1]: 1 } }, 3),
  );
  assertEquals(persisted(old)[0], {
    type: "decision",
    txid: `${TM}#1.9`,
    decision: "abort",
    participants: [P1],
  });
});

Deno.test("ResourceManager logs prepared with its workspace and locks, then retakes them after a crash", () => {
  const store = new StableStore();
  store.initialize({ x: 1, y: 2 });
  const rm = new ResourceManager(store);
  rm.start(0);
  const op = (body: unknown) => rm.step(message(C, body, 1, P1));
  op({ kind: "tx-read", txid: "t1", key: "x", n: 1 });
  op({ kind: "tx-write", txid: "t1", key: "y", value: 20, n: 2 });
  const prepare = rm.step(message(TM, { kind: "tx-prepare", txid: "t1", ops: 2 }, 2, P1));
  assertEquals(prepare.map((e) => e.kind), ["persist", "send", "deadline"]);
  for (const record of persisted(prepare)) store.append(record);
  // The machine crashes: a new state machine over the same stable storage.
  const again = new ResourceManager(store);
  const notes = again.start(10);
  assertEquals(notes.map((e) => e.kind), ["log", "deadline"]);
  const status = again.status(10);
  assertEquals(status.inDoubt.map((d) => [d.txid, [...d.locks]]), [["t1", ["x", "y"]]]);
  assertEquals(status.data, { x: 1, y: 2 });
  assertEquals(messagesOf(again.step(tick(10))), [[TM, "tx-query"]]);
  const decided = again.step(
    message(TM, { kind: "tx-decision", txid: "t1", decision: "commit" }, 20, P1),
  );
  assertEquals(decided[0].kind === "persist" && decided[0].record.kind, "apply");
  store.close();
});

Deno.test("ResourceManager votes no for a transaction whose operations it lost", () => {
  const store = new StableStore();
  const rm = new ResourceManager(store);
  rm.start(0);
  rm.step(message(C, { kind: "tx-write", txid: "t1", key: "x", value: 1, n: 1 }, 1, P1));
  const vote = rm.step(message(TM, { kind: "tx-prepare", txid: "t1", ops: 2 }, 2, P1));
  const sent = vote.find((e) => e.kind === "send");
  assertEquals(sent?.kind === "send" && sent.body, {
    kind: "tx-vote",
    txid: "t1",
    vote: "no",
    reason: "saw 1 of 2 operations",
  });
  store.close();
});

Deno.test("LockTable shares reads, upgrades a lone reader and refuses a second writer", () => {
  const locks = new LockTable();
  assertEquals(locks.acquire("t1", "x", "S"), undefined);
  assertEquals(locks.acquire("t2", "x", "S"), undefined);
  assertEquals(locks.acquire("t1", "x", "X"), "t2");
  locks.releaseAll("t2");
  assertEquals(locks.acquire("t1", "x", "X"), undefined);
  assertEquals(locks.heldBy("t1"), [["x", "X"]]);
  assertEquals(locks.acquire("t3", "x", "X"), "t1");
});
