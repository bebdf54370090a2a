/**
 * The two-phase commit state machines without a network: what the coordinator logs and sends
 * for each vote, timeout, query and restart, and what a participant logs before it votes.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import {
  CommitCoordinator,
  type Effect,
  LockTable,
  type LogRecord,
  messagesOf,
  ResourceManager,
  StableStore,
} from "../transactions/mod.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const TM = "tm@coord.lab", P1 = "bank@p1.lab", P2 = "bank@p2.lab", C = "c@c1.lab";

let ids = 0;
function env(from: string, body: unknown): Envelope {
  return { id: `e${++ids}`, from, to: TM, kind: "x", body, lamport: 0, corr: `c${ids}` };
}

function persisted(effects: readonly Effect[]): LogRecord[] {
  return effects.flatMap((e) => e.do === "persist" || e.do === "apply" ? [e.record] : []);
}

/** A coordinator with one transaction over P1 and P2 in phase 1; returns its id. */
function voting(tm: CommitCoordinator): string {
  const begun = tm.onMessage(env(C, { kind: "tx-begin" }), 0)[0];
  const txid = (begun as { body: { txid: string } }).body.txid;
  const sent = tm.onMessage(
    env(C, { kind: "tx-end", txid, participants: { [P1]: 2, [P2]: 1 } }),
    1,
  );
  assertEquals(messagesOf(sent), [[P1, "tx-prepare"], [P2, "tx-prepare"]]);
  return txid;
}

Deno.test("CommitCoordinator decides abort at the first no vote and logs it before phase 2", () => {
  const tm = new CommitCoordinator(TM, 1, []);
  const txid = voting(tm);
  const effects = tm.onMessage(env(P2, { kind: "tx-vote", txid, vote: "no" }), 5);
  assertEquals(effects.map((e) => e.do), ["persist", "answer", "send", "send"]);
  assertEquals(persisted(effects), [
    { type: "decision", txid, decision: "abort", participants: [P1, P2] },
  ]);
});

Deno.test("CommitCoordinator resends prepare and then aborts when a vote never comes", () => {
  const tm = new CommitCoordinator(TM, 1, [], { voteTimeoutMs: 500, retryMs: 100 });
  const txid = voting(tm);
  tm.onMessage(env(P1, { kind: "tx-vote", txid, vote: "yes" }), 5);
  assertEquals(tm.nextDeadline(), 101);
  assertEquals(messagesOf(tm.onTick(101)), [[P2, "tx-prepare"]]);
  const late = tm.onTick(501);
  assertEquals(persisted(late)[0], {
    type: "decision",
    txid,
    decision: "abort",
    participants: [P1, P2],
  });
});

Deno.test("CommitCoordinator answers a query with no logged decision by logging abort", () => {
  const tm = new CommitCoordinator(TM, 2, []);
  const effects = tm.onMessage(env(P1, { kind: "tx-query", txid: `${TM}#1.7` }), 0);
  assertEquals(persisted(effects), [
    { type: "decision", txid: `${TM}#1.7`, decision: "abort", participants: [P1] },
  ]);
  assertEquals(messagesOf(effects), [[P1, "tx-decision"]]);
  // The answer is now in the log: an END for that transaction hears the same.
  const end = tm.onMessage(
    env(C, { kind: "tx-end", txid: `${TM}#1.7`, participants: { [P1]: 1 } }),
    1,
  );
  assertEquals(end.map((e) => e.do === "answer" && e.body), [{
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
  assertEquals(messagesOf(tm.onTick(0)), [[P1, "tx-decision"], [P2, "tx-decision"]]);
  tm.onMessage(env(P1, { kind: "tx-ack", txid: "t1" }), 1);
  assertEquals(persisted(tm.onMessage(env(P2, { kind: "tx-ack", txid: "t1" }), 2)), [
    { type: "end", txid: "t1" },
  ]);
  // A transaction of the earlier incarnation that was never decided ends as aborted.
  const old = tm.onMessage(
    env(C, { kind: "tx-end", txid: `${TM}#1.9`, participants: { [P1]: 1 } }),
    3,
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
  const op = (body: unknown) => rm.onMessage({ ...env(C, body), to: P1 }, 1);
  op({ kind: "tx-read", txid: "t1", key: "x", n: 1 });
  op({ kind: "tx-write", txid: "t1", key: "y", value: 20, n: 2 });
  const prepare = rm.onMessage(
    { ...env(TM, { kind: "tx-prepare", txid: "t1", ops: 2 }), to: P1 },
    2,
  );
  assertEquals(prepare.map((e) => e.do), ["persist", "send"]);
  for (const record of persisted(prepare)) store.append(record);
  // The machine crashes: a new state machine over the same stable storage.
  const again = new ResourceManager(store);
  const notes = again.start(10);
  assertEquals(notes.length, 1);
  const status = again.status(10);
  assertEquals(status.inDoubt.map((d) => [d.txid, [...d.locks]]), [["t1", ["x", "y"]]]);
  assertEquals(status.data, { x: 1, y: 2 });
  assertEquals(messagesOf(again.onTick(10)), [[TM, "tx-query"]]);
  const decided = again.onMessage({
    ...env(TM, { kind: "tx-decision", txid: "t1", decision: "commit" }),
    to: P1,
  }, 20);
  assertEquals(decided[0].do, "apply");
  store.close();
});

Deno.test("ResourceManager votes no for a transaction whose operations it lost", () => {
  const store = new StableStore();
  const rm = new ResourceManager(store);
  rm.start(0);
  rm.onMessage(
    { ...env(C, { kind: "tx-write", txid: "t1", key: "x", value: 1, n: 1 }), to: P1 },
    1,
  );
  const vote = rm.onMessage({ ...env(TM, { kind: "tx-prepare", txid: "t1", ops: 2 }), to: P1 }, 2);
  const sent = vote.find((e) => e.do === "send");
  assertEquals(sent?.do === "send" && sent.body, {
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
