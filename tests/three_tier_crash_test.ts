/**
 * The data tier crashes in the middle of a transaction: the user gets 503, nothing of the
 * half-done operation is written, and every write acknowledged before the crash is still there
 * after the restart.
 * @module
 */
import assert from "node:assert/strict";
import { simStack } from "./_three_tier_harness.ts";

Deno.test("dataTier() crashing mid-transaction gives 503, no partial write, and keeps acknowledged writes", async () => {
  const stack = simStack({
    latency: { kind: "constant", ms: 2 },
    data: { statementMs: 20 },
    logic: { dataTimeoutMs: 300 },
  });
  const sim = stack.sim;
  const acknowledged = await stack.one({ path: "/api/loans", body: { bookId: 1, member: "ada" } });
  assert.equal(acknowledged.status, 201);

  // Crash data.lab 50 ms after it takes the next borrow: BEGIN +20 ms, UPDATE books at +40 ms,
  // INSERT loans at +60 ms, so the crash lands between the two writes of one transaction.
  let crashAt = -1;
  const stop = sim.trace.listen((event) => {
    if (
      event.ev === "receive" && event.at === "db@data.lab" && event.kind === "exec" && crashAt < 0
    ) {
      crashAt = event.t + 50;
      sim.crash("data.lab", { at: crashAt, restartAt: crashAt + 1000 });
    }
  });
  const interrupted = await stack.one({ path: "/api/loans", body: { bookId: 4, member: "bob" } });
  stop();
  assert.ok(crashAt > 0, "the data tier took the request");
  assert.equal(interrupted.status, 503);
  assert.equal(interrupted.json.error.code, "unavailable");
  assert.match(
    interrupted.json.error.message,
    /Cannot reach the data tier: "db@data.lab" did not answer within 300 ms/,
  );
  assert.equal(interrupted.headers["retry-after"], "1");

  const restarts = sim.trace.events.filter((e) => e.ev === "restart");
  assert.equal(restarts.length, 1, "the data tier restarted");
  const recovery = sim.trace.events.filter((e) => e.ev === "log" && e.at === "db@data.lab");
  assert.match(recovery[0]?.note ?? "", /rolled back a transaction a crash left open/);

  const loans = await stack.one({ path: "/api/loans" });
  assert.equal(loans.status, 200, "stale sessions are replaced after the restart");
  assert.deepEqual(
    loans.json.loans.map((l: { member: string; bookId: number }) => `${l.member}:${l.bookId}`),
    [
      "ada:1",
    ],
  );
  const frankenstein = await stack.one({ path: "/api/books/4" });
  assert.equal(frankenstein.json.available, 1, "the half-done loan took no copy");
  assert.equal((await stack.one({ path: "/api/books/1" })).json.available, 2);
});

Deno.test("logicTier() answers 503 while the data tier is down, then serves again after it restarts", async () => {
  const stack = simStack({ logic: { dataTimeoutMs: 200 } });
  stack.sim.crash("data.lab", { at: 0, restartAt: 1000 });
  const down = await stack.one({ path: "/api/books" });
  assert.equal(down.status, 503);
  const again = await stack.one({ path: "/api/books" });
  assert.equal(again.status, 200);
});
