/**
 * The transaction primitives (seed 004 §2.4: BEGIN_TRANSACTION, END_TRANSACTION,
 * ABORT_TRANSACTION, READ, WRITE): a commit applies at every participant, an abort at none,
 * uncommitted writes stay private, and a lock conflict aborts the requester at once.
 * @module
 */
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import {
  StableStore,
  TransactionAbortedError,
  TransactionClient,
  transactionCoordinator,
  transactionParticipant,
  transferClient,
  type TransferReport,
} from "../transactions/mod.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { decisionsOf, statusOf } from "./_transactions_harness.ts";

const P1 = "bank@p1.lab", P2 = "bank@p2.lab";

interface Bank {
  readonly sim: Simulator;
  readonly tm: StableStore;
  readonly p1: StableStore;
  readonly p2: StableStore;
  client(ctx: ProcessContext): TransactionClient;
  close(): void;
}

function bank(seed = 1): Bank {
  const sim = new Simulator({ seed });
  const tm = new StableStore(), p1 = new StableStore(), p2 = new StableStore();
  sim.machine("coord.lab").spawn("tm", transactionCoordinator({ store: tm }));
  sim.machine("p1.lab").spawn("bank", transactionParticipant({ store: p1, initial: { a: 100 } }));
  sim.machine("p2.lab").spawn("bank", transactionParticipant({ store: p2, initial: { b: 100 } }));
  return {
    sim,
    tm,
    p1,
    p2,
    client: (ctx) => new TransactionClient(ctx, { coordinator: "tm@coord.lab" }),
    close() {
      for (const s of [tm, p1, p2]) s.close();
    },
  };
}

async function peek(ctx: ProcessContext, participant: string, key: string): Promise<unknown> {
  return (await ctx.request<{ value: unknown }>(participant, { kind: "tx-peek", key })).body.value;
}

Deno.test("TransactionClient.end() commits a transfer at every participant", async () => {
  const b = bank();
  let outcome = "", txid = "";
  b.sim.machine("c1.lab").spawn("c", async (ctx) => {
    const tx = b.client(ctx);
    txid = await tx.begin();
    const a = (await tx.read<number>(P1, "a"))!;
    await tx.write(P1, "a", a - 30);
    await tx.write(P2, "b", (await tx.read<number>(P2, "b"))! + 30);
    outcome = await tx.end();
  });
  await b.sim.run();
  assertEquals(outcome, "committed");
  assertEquals([b.p1.get("a"), b.p2.get("b")], [70, 130]);
  assertEquals(statusOf(b.p1).outcomes[txid], "commit");
  assertEquals(statusOf(b.p2).outcomes[txid], "commit");
  assertEquals(decisionsOf(b.tm).decisions[txid], {
    decision: "commit",
    participants: [P1, P2],
  });
  // The decision is logged before phase 2, and forgotten ("end") once both acknowledged it.
  assertEquals(b.tm.log().map((r) => r.type), ["decision", "end"]);
  b.close();
});

Deno.test("TransactionClient.abort() applies nothing anywhere and releases the locks", async () => {
  const b = bank();
  let second = "";
  b.sim.machine("c1.lab").spawn("c", async (ctx) => {
    const tx = b.client(ctx);
    await tx.begin();
    await tx.write(P1, "a", 0);
    await tx.write(P2, "b", 200);
    assertEquals(await tx.read(P1, "a"), 0, "a transaction reads its own writes");
    await tx.abort();
    assertEquals(tx.txid, undefined);
    await tx.begin();
    assertEquals(await tx.read(P1, "a"), 100);
    await tx.write(P2, "b", 101);
    second = await tx.end();
  });
  await b.sim.run();
  assertEquals(second, "committed");
  assertEquals([b.p1.get("a"), b.p2.get("b")], [100, 101]);
  b.close();
});

Deno.test("transactionParticipant() keeps uncommitted writes invisible to peeks and other transactions", async () => {
  const b = bank();
  const seen: unknown[] = [];
  let refused: TransactionAbortedError | undefined;
  b.sim.machine("c1.lab").spawn("writer", async (ctx) => {
    const tx = b.client(ctx);
    await tx.begin();
    await tx.write(P1, "a", 5);
    await ctx.send("reader@c2.lab", "written");
    await ctx.receive({ kind: "data" });
    assertEquals(await tx.end(), "committed");
    await ctx.send("reader@c2.lab", "committed");
  });
  b.sim.machine("c2.lab").spawn("reader", async (ctx) => {
    await ctx.receive();
    seen.push(await peek(ctx, P1, "a"));
    const tx = b.client(ctx);
    await tx.begin();
    refused = await assertRejects(
      () => tx.read(P1, "a"),
      TransactionAbortedError,
      "holds it",
    ) as TransactionAbortedError;
    await ctx.send("writer@c1.lab", "checked");
    await ctx.receive();
    seen.push(await peek(ctx, P1, "a"));
  });
  await b.sim.run();
  assertEquals(seen, [100, 5]);
  assertEquals(refused?.reason, "conflict");
  b.close();
});

Deno.test("transactionParticipant() refuses a conflicting lock at once and the holder commits", async () => {
  const b = bank(3);
  const outcomes: string[] = [];
  b.sim.machine("c1.lab").spawn("holder", async (ctx) => {
    const tx = b.client(ctx);
    await tx.begin();
    const a = (await tx.read<number>(P1, "a"))!;
    await ctx.send("other@c2.lab", "locked");
    await ctx.receive();
    await tx.write(P1, "a", a + 1);
    outcomes.push(`holder ${await tx.end()}`);
    await ctx.send("other@c2.lab", "done");
  });
  b.sim.machine("c2.lab").spawn("other", async (ctx) => {
    await ctx.receive();
    const tx = b.client(ctx);
    await tx.begin();
    await tx.write(P2, "b", 0);
    const error = await assertRejects(() => tx.write(P1, "a", 0), TransactionAbortedError);
    outcomes.push(`other ${(error as TransactionAbortedError).reason}`);
    assertEquals(tx.txid, undefined, "the refused transaction is aborted");
    await ctx.send("holder@c1.lab", "go");
    await ctx.receive();
    await tx.begin();
    await tx.write(P1, "a", 0);
    outcomes.push(`retry ${await tx.end()}`);
  });
  await b.sim.run();
  assertEquals(outcomes, ["other conflict", "holder committed", "retry committed"]);
  assertEquals([b.p1.get("a"), b.p2.get("b")], [0, 100]);
  b.close();
});

Deno.test("TransactionClient rejects a read before begin() and a second begin()", async () => {
  const b = bank();
  const errors: string[] = [];
  b.sim.machine("c1.lab").spawn("c", async (ctx) => {
    const tx = b.client(ctx);
    await assertRejects(() => tx.read(P1, "a"), TypeError, "call begin() first");
    await tx.begin();
    const error = await assertRejects(() => tx.begin(), TypeError, "is still open");
    errors.push(error.message);
    await tx.end();
  });
  await b.sim.run();
  assertTrue(errors.length === 1);
  b.close();
});

Deno.test("transferClient({ stoppable }) stops when told to and reports how far it got", async () => {
  const sim = new Simulator({ seed: 2 });
  sim.machine("coord.lab").spawn("tm", transactionCoordinator());
  for (const p of ["p1.lab", "p2.lab"]) {
    sim.machine(p).spawn("bank", transactionParticipant({ initial: { acct0: 100, acct1: 100 } }));
  }
  const options = { coordinator: "tm@coord.lab", participants: [P1, P2], transfers: 1000 };
  sim.machine("c1.lab").spawn(
    "client",
    transferClient({ ...options, collector: "out@c9.lab", stoppable: true }),
  );
  const reports: TransferReport[] = [];
  sim.machine("c9.lab").spawn("out", async (ctx) => {
    await ctx.sleep(300);
    await ctx.send("client@c1.lab", { kind: "tx-stop" });
    reports.push((await ctx.receive<TransferReport>()).body);
  });
  await sim.run();
  const [report] = reports;
  assertEquals(report.stopped, true);
  const made = report.commits + report.overdrafts + report.abandoned + report.inDoubt;
  assertTrue(made > 0 && made < 1000, JSON.stringify(report));
});
