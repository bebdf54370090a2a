/**
 * Transactions with stable storage in PostgreSQL, against a real throwaway server
 * (tests/_postgres.ts): the store keeps each owner's data, log and counters across reopening;
 * on real OS processes a participant and the coordinator that crash after the votes come back
 * from what PostgreSQL holds and commit; `lab transactions --db` keeps the invariant; the
 * simulator and bad URLs are refused clearly.
 * @module
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { ProcessFailedError } from "../core/errors.ts";
import type { TraceEvent } from "../core/trace.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { UsageError } from "../lab/_common.ts";
import { deploy, type MachineSpec } from "../lab/deploy/deploy.ts";
import { runTransactions } from "../lab/transactions/command.ts";
import {
  type Audit,
  audit,
  failpointOf,
  PostgresStableStore,
  scanCoordinatorLog,
  TransactionClient,
  TransactionInDoubtError,
  transactionParticipant,
} from "../transactions/mod.ts";
import { captureLog, captureMain } from "./_lab.ts";
import { withPostgres } from "./_postgres.ts";

Deno.test("PostgresStableStore keeps each owner's data, log and counters across reopening", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("bank");
    const p1 = await PostgresStableStore.open(url, { owner: "bank@p1.lab" });
    const p2 = await PostgresStableStore.open(url, { owner: "bank@p2.lab" });
    try {
      assert.equal(await p1.initialize({ alice: 100, carol: { limit: 5 } }), true);
      assert.equal(await p1.initialize({ alice: 1 }), false, "only the first boot writes");
      await p1.apply([["alice", 70], ["bob", 30]], {
        type: "outcome",
        txid: "t1",
        decision: "commit",
        blockedMs: 0,
      });
      await p1.append({ type: "end", txid: "t2" });
      assert.equal(await p1.nextIncarnation(), 1);
      assert.equal(await p1.nextIncarnation(), 2);
      assert.equal(await p2.initialize({ zed: 1 }), true, "owners do not see each other's rows");
    } finally {
      await p1.close();
      await p2.close();
    }
    const again = await PostgresStableStore.open(url, { owner: "bank@p1.lab" });
    try {
      assert.deepEqual(again.entries(), { alice: 70, bob: 30, carol: { limit: 5 } });
      assert.equal(again.get("zed"), undefined);
      assert.deepEqual(again.log().map((r) => `${r.type}:${r.txid}`), ["outcome:t1", "end:t2"]);
      assert.equal(again.meta("incarnation"), "2");
      assert.equal(await again.nextIncarnation(), 3);
    } finally {
      await again.close();
    }
  });
});

Deno.test("transactionParticipant() with a PostgreSQL url fails at start in the simulator, saying why", async () => {
  const sim = new Simulator({ seed: 1 });
  sim.machine("p1.lab").spawn(
    "bank",
    transactionParticipant({ url: "postgres://lab@127.0.0.1:5432/bank" }),
  );
  const error = await sim.run().then(
    () => assert.fail("the simulated run must fail"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ProcessFailedError);
  assert.match(String(error.cause), /outside the simulator's virtual time; run on real sockets/);
  assert.throws(() => transactionParticipant({ url: "mysql://db/bank" }), /not a PostgreSQL URL/);
  assert.throws(
    () => transactionParticipant({ url: "postgres://lab@db/bank", path: "p1.sqlite" }),
    /not both/,
  );
});

const COORDINATOR = "tm@coord.lab";
const P1 = "bank@p1.lab", P2 = "bank@p2.lab";

Deno.test("transactionCoordinator() and transactionParticipant() on OS processes recover from PostgreSQL after both crash past the votes", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("bank");
    const machines: MachineSpec[] = [
      {
        name: "coord.lab",
        processes: [{
          name: "tm",
          program: "tx-coordinator",
          args: { url, failpoint: "after-decision", failpointMs: 10_000 },
        }],
      },
      {
        name: "p1.lab",
        processes: [{
          name: "bank",
          program: "tx-participant",
          args: { url, initial: { a: 100 } },
        }],
      },
      {
        name: "p2.lab",
        processes: [{
          name: "bank",
          program: "tx-participant",
          args: { url, initial: { b: 100 } },
        }],
      },
    ];
    const deployment = await deploy(machines, { seed: 1 });
    let crashed = false;
    const notes: string[] = [];
    deployment.trace.listen((event: TraceEvent) => {
      if (event.ev === "log" && event.at === P1 && event.note) notes.push(event.note);
      if (crashed || failpointOf(event) === undefined) return;
      // The decision (commit) is logged, not sent: both participants voted yes and wait.
      crashed = true;
      deployment.crash("p1.lab", { at: event.t, restartAt: event.t + 300 });
      deployment.crash("coord.lab", { at: event.t, restartAt: event.t + 1500 });
    });
    let outcome = "";
    let found: Audit | undefined;
    try {
      const done = Promise.withResolvers<void>();
      deployment.spawnControl("client", async (ctx) => {
        const tx = new TransactionClient(ctx, { coordinator: COORDINATOR, endAttempts: 5 });
        await tx.begin();
        await tx.write(P1, "a", (await tx.read<number>(P1, "a"))! - 30);
        await tx.write(P2, "b", (await tx.read<number>(P2, "b"))! + 30);
        try {
          outcome = await tx.end();
        } catch (error) {
          // The client may give up asking while the coordinator is down: the audit decides.
          if (!(error instanceof TransactionInDoubtError)) throw error;
          outcome = "in doubt";
        }
        found = await audit(ctx, { coordinator: COORDINATOR, participants: [P1, P2] });
        done.resolve();
      });
      await deployment.run(done.promise, { until: 60_000 });
    } finally {
      await deployment.stop();
    }
    assert.ok(crashed, "the coordinator reached its failpoint");
    assert.ok(found?.settled, "nobody is left in doubt");
    assert.ok(["committed", "in doubt"].includes(outcome), outcome);
    assert.deepEqual([found.participants[P1].data, found.participants[P2].data], [{ a: 70 }, {
      b: 130,
    }]);
    // The restarted participant (a new OS process) found its yes vote in PostgreSQL.
    assert.ok(notes.some((n) => /^recovery: .* is in doubt/.test(n)), notes.join("\n"));

    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const data = await sql`SELECT owner, key, value FROM tx_data ORDER BY owner, key`;
      assert.deepEqual(data.map((r) => `${r.owner} ${r.key}=${r.value}`), [
        "bank@p1.lab a=70",
        "bank@p2.lab b=130",
      ]);
      const log = await sql`SELECT record FROM tx_log WHERE owner = ${COORDINATOR} ORDER BY seq`;
      const scan = scanCoordinatorLog(log.map((r) => JSON.parse(r.record)));
      assert.deepEqual([...scan.decisions.values()].map((d) => d.decision), ["commit"]);
      assert.deepEqual(scan.unended, [], "both participants acknowledged the commit");
      const [incarnation] =
        await sql`SELECT value FROM tx_meta WHERE owner = ${COORDINATOR} AND name = 'incarnation'`;
      assert.equal(incarnation.value, "2", "the coordinator started twice");
    } finally {
      await sql.end();
    }
  });
});

Deno.test("runTransactions() --db postgres://... keeps all-or-nothing through a coordinator crash", async () => {
  await withPostgres(async (server) => {
    const url = await server.createDatabase("bank");
    const { code, out } = await captureLog(runTransactions, [
      "--json",
      "--db",
      url,
      "--transfers",
      "2",
      "--crash-coordinator-after-votes",
      "--down",
      "300",
    ]);
    const summary = JSON.parse(out.at(-1)!);
    assert.equal(code, 0, out.join("\n"));
    assert.equal(summary.invariantHolds, true);
    assert.equal(typeof summary.coordinatorCrashedAt, "number");
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const owners = await sql`SELECT DISTINCT owner FROM tx_log ORDER BY owner`;
      assert.ok(owners.some((r) => r.owner === COORDINATOR), "the decision log is in PostgreSQL");
      const [{ total }] = await sql`SELECT SUM(value::int)::int AS total FROM tx_data`;
      assert.equal(total, 600);
    } finally {
      await sql.end();
    }
  });
});

Deno.test("runTransactions() refuses --db with --sim or --data-dir, and a bad URL, as usage errors", async () => {
  const url = "postgres://lab@127.0.0.1:5432/bank";
  await assertUsage(["--sim", "--db", url], /--db.*outside the simulator's virtual time/);
  await assertUsage(["--db", url, "--data-dir", "x"], /--data-dir.*PostgreSQL/);
  await assertUsage(["--db", "postgres:///bank"], /--db "postgres:\/\/\/bank": it has no host/);
  const down = await captureMain(["transactions", "--db", "postgres://lab@127.0.0.1:1/bank"]);
  assert.equal(down.code, 1, "an unreachable server fails the run before any machine starts");
  assert.match(
    down.err.join("\n"),
    /Cannot connect to PostgreSQL at postgres:\/\/lab@127\.0\.0\.1:1/,
  );
});

async function assertUsage(args: string[], message: RegExp): Promise<void> {
  await assert.rejects(() => runTransactions(args), (error: unknown) => {
    assert.ok(error instanceof UsageError, String(error));
    assert.match(error.message, message);
    return true;
  });
}
