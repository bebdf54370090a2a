/**
 * All or nothing across processes (seed 004 §2.4: "si uno o más procesos se niegan (o fallan
 * antes de expresar su acuerdo), entonces la situación regresa al estado que presentaba antes"):
 * over many seeds with random crashes of the coordinator and the participants, every
 * participant applied a transaction or none did, nobody is left in doubt, and the bank's total
 * is unchanged. Same seed, same trace.
 * @module
 */
import { createRandom } from "../core/prng.ts";
import {
  type BankRun,
  checkStores,
  closeRun,
  type CrashPlan,
  runBank,
  totalOf,
} from "./_transactions_harness.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const MACHINES = ["coord.lab", "p1.lab", "p2.lab", "p3.lab"];

/** One to three crashes of random machines in the first 300 ms, each down 10..700 ms. */
function crashPlan(seed: number): CrashPlan[] {
  const random = createRandom(seed * 7919).next;
  const plan: CrashPlan[] = [];
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const machine = MACHINES[Math.floor(random() * MACHINES.length)];
    const at = Math.floor(random() * 300);
    plan.push({ machine, at, restartAt: at + 10 + Math.floor(random() * 700) });
  }
  return plan;
}

/** Asserts that no store broke atomicity, none is left in doubt and the total is kept. */
function assertAllOrNothing(run: BankRun, context: string): ReturnType<typeof checkStores> {
  const verdict = checkStores(run);
  assertEquals(verdict.violations, [], context);
  assertEquals(verdict.inDoubt, 0, context);
  assertEquals(totalOf(run), run.expectedTotal, context);
  return verdict;
}

Deno.test("runBank() keeps all-or-nothing and the total over 60 seeds with random crashes", async () => {
  let commits = 0, aborts = 0, presumed = 0, recoveries = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const crashes = crashPlan(seed);
    const run: BankRun = await runBank({ seed, crashes, transfers: 3 });
    try {
      const context = `seed ${seed}, crashes ${JSON.stringify(crashes)}`;
      const verdict = assertAllOrNothing(run, context);
      assertTrue(run.audit?.settled && run.audit.atomicity.holds, context);
      assertEquals(run.audit!.total, run.expectedTotal, context);
      commits += verdict.committed;
      aborts += verdict.aborted;
      for (const e of run.sim.trace.events) {
        if (e.ev !== "log") continue;
        if (e.note?.includes("presumed abort")) presumed++;
        if (e.note?.startsWith("recovery:") && e.note.includes("in doubt")) recoveries++;
      }
    } finally {
      closeRun(run);
    }
  }
  // The schedules do hit two-phase commit: decisions both ways, in-doubt participants that
  // recover from their logs, and questions a restarted coordinator answers with abort.
  assertTrue(commits > 200 && aborts > 5, `commits ${commits}, aborts ${aborts}`);
  assertTrue(presumed > 0 && recoveries > 0, `presumed ${presumed}, recoveries ${recoveries}`);
});

Deno.test("runBank() keeps all-or-nothing over 30 seeds of crashes on a lossy, duplicating network", async () => {
  let commits = 0;
  for (let seed = 101; seed <= 130; seed++) {
    const crashes = crashPlan(seed);
    // No reliable channel: the protocol's own resends, queries and duplicate checks must do.
    const run = await runBank({
      seed,
      crashes,
      transfers: 3,
      reliable: false,
      drop: 0.05,
      duplicate: 0.1,
      reorder: 0.2,
    });
    try {
      const context = `seed ${seed}, crashes ${JSON.stringify(crashes)}`;
      const verdict = assertAllOrNothing(run, context);
      commits += verdict.committed;
    } finally {
      closeRun(run);
    }
  }
  assertTrue(commits > 60, `commits ${commits}`);
});

Deno.test("runBank() gives the same trace for the same seed and another for another seed", async () => {
  const digest = async (seed: number) => {
    const run = await runBank({ seed, crashes: crashPlan(seed), failpoint: "after-decision" });
    closeRun(run);
    return run.sim.trace.digest();
  };
  const first = await digest(21);
  assertEquals(await digest(21), first);
  assertTrue(await digest(22) !== first);
});
