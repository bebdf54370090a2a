/**
 * Crashes in two-phase commit. A coordinator that crashes after the votes leaves the
 * participants that voted yes blocked, holding their locks, until it restarts and answers from
 * its decision log (commit if logged, abort if not). A participant that crashes before voting
 * makes the transaction abort everywhere; one that crashes after voting yes recovers in doubt
 * from its log and applies the decision.
 * @module
 */
import type { TraceEvent } from "../core/trace.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import {
  type Failpoint,
  failpointOf,
  type ParticipantStatus,
  StableStore,
  TransactionClient,
  transactionCoordinator,
  transactionParticipant,
} from "../transactions/mod.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { decisionsOf, statusOf } from "./_transactions_harness.ts";

const P1 = "bank@p1.lab", P2 = "bank@p2.lab";

interface Scenario {
  readonly sim: Simulator;
  readonly tm: StableStore;
  readonly p1: StableStore;
  readonly p2: StableStore;
  readonly result: { outcome?: string; txid?: string };
}

/** One transfer of 30 from a@p1 to b@p2; `pause` ms between the writes and END. */
function transfer(seed: number, options: { failpoint?: Failpoint; pause?: number } = {}): Scenario {
  const sim = new Simulator({ seed });
  const tm = new StableStore(), p1 = new StableStore(), p2 = new StableStore();
  sim.machine("coord.lab").spawn(
    "tm",
    transactionCoordinator({ store: tm, failpoint: options.failpoint }),
  );
  sim.machine("p1.lab").spawn("bank", transactionParticipant({ store: p1, initial: { a: 100 } }));
  sim.machine("p2.lab").spawn("bank", transactionParticipant({ store: p2, initial: { b: 100 } }));
  const result: { outcome?: string; txid?: string } = {};
  sim.machine("c1.lab").spawn("c", async (ctx) => {
    const tx = new TransactionClient(ctx, { coordinator: "tm@coord.lab" });
    result.txid = await tx.begin();
    await tx.write(P1, "a", (await tx.read<number>(P1, "a"))! - 30);
    await tx.write(P2, "b", (await tx.read<number>(P2, "b"))! + 30);
    ctx.log("written");
    if (options.pause) await ctx.sleep(options.pause);
    result.outcome = await tx.end();
  });
  return { sim, tm, p1, p2, result };
}

/** Crashes the coordinator at its failpoint and restarts it `downMs` later; returns the crash time. */
function crashAtFailpoint(sim: Simulator, downMs: number): { at?: number } {
  const crash: { at?: number } = {};
  sim.trace.listen((event: TraceEvent) => {
    if (crash.at !== undefined || failpointOf(event) === undefined) return;
    crash.at = sim.now;
    sim.crash("coord.lab", { restartAt: sim.now + downMs });
  });
  return crash;
}

/** Asks both participants for their status at virtual time `at`. */
function statusAt(sim: Simulator, at: number): Record<string, ParticipantStatus> {
  const seen: Record<string, ParticipantStatus> = {};
  sim.machine("obs.lab").spawn("obs", async (ctx) => {
    await ctx.sleep(at);
    for (const p of [P1, P2]) {
      seen[p] = (await ctx.request<ParticipantStatus>(p, { kind: "tx-status" })).body;
    }
  });
  return seen;
}

for (
  const [failpoint, outcome, values] of [
    ["after-decision", "committed", [70, 130]],
    ["after-votes", "aborted", [100, 100]],
  ] as const
) {
  Deno.test(`transactionCoordinator() crashed at ${failpoint}: participants block, then ${outcome}`, async () => {
    const s = transfer(1, { failpoint });
    const crash = crashAtFailpoint(s.sim, 1000);
    const during = statusAt(s.sim, 300);
    await s.sim.run();
    assertTrue(crash.at !== undefined && crash.at < 300, `crashed at ${crash.at}`);
    // While the coordinator is down both participants wait, holding their locks, unable to
    // decide alone; the committed data is still the old one.
    for (const [p, key] of [[P1, "a"], [P2, "b"]] as const) {
      assertEquals(during[p].inDoubt.map((d) => [d.txid, [...d.locks]]), [[s.result.txid!, [key]]]);
      assertEquals(during[p].data[key], 100);
    }
    // After the restart the logged decision (or, with none logged, abort) reaches everyone.
    assertEquals(s.result.outcome, outcome);
    assertEquals([s.p1.get("a"), s.p2.get("b")], [...values] as unknown[]);
    const decision = outcome === "committed" ? "commit" : "abort";
    for (const store of [s.p1, s.p2]) {
      const status = statusOf(store);
      assertEquals(status.outcomes[s.result.txid!], decision);
      assertEquals(status.inDoubt, []);
      assertTrue(status.blockedMs >= 900, `blocked ${status.blockedMs} ms`);
    }
    assertEquals(decisionsOf(s.tm).decisions[s.result.txid!].decision, decision);
    const notes = s.sim.trace.events.filter((e) => e.ev === "log").map((e) => e.note ?? "");
    assertTrue(notes.some((n) => n.startsWith(`blocked: in doubt about ${s.result.txid}`)));
    assertTrue(notes.some((n) => n.startsWith("recovery: incarnation 2")));
  });
}

Deno.test("transactionParticipant() that crashes before voting makes the transaction abort everywhere", async () => {
  for (const downMs of [20, 2000]) {
    const s = transfer(2, { pause: 100 });
    s.sim.trace.listen((event) => {
      if (event.ev === "log" && event.note === "written") {
        s.sim.crash("p2.lab", { restartAt: s.sim.now + downMs });
      }
    });
    await s.sim.run();
    // Restarted quickly, p2 lost the workspace and votes no; down longer, it never votes.
    assertEquals(s.result.outcome, "aborted", `down ${downMs} ms`);
    assertEquals([s.p1.get("a"), s.p2.get("b")], [100, 100]);
    assertEquals(statusOf(s.p1).outcomes[s.result.txid!], "abort");
    assertEquals(decisionsOf(s.tm).decisions[s.result.txid!].decision, "abort");
  }
});

Deno.test("transactionParticipant() that crashes after voting yes recovers in doubt and applies the decision", async () => {
  const s = transfer(3);
  let crashed = false;
  s.sim.trace.listen((event) => {
    if (!crashed && event.ev === "send" && event.from === P2 && event.kind === "tx-vote") {
      crashed = true;
      s.sim.crash("p2.lab", { restartAt: s.sim.now + 300 });
    }
  });
  await s.sim.run();
  assertTrue(crashed);
  const notes = s.sim.trace.events.filter((e) => e.ev === "log").map((e) => e.note ?? "");
  assertTrue(
    notes.some((n) => n.startsWith(`recovery: ${s.result.txid} is in doubt`)),
    notes.join("\n"),
  );
  const decision = decisionsOf(s.tm).decisions[s.result.txid!].decision;
  assertEquals(s.result.outcome, decision === "commit" ? "committed" : "aborted");
  assertEquals(statusOf(s.p1).outcomes[s.result.txid!], decision);
  assertEquals(statusOf(s.p2).outcomes[s.result.txid!], decision);
  assertEquals((s.p1.get("a") as number) + (s.p2.get("b") as number), 200);
});
