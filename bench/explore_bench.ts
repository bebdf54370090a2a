/**
 * Systematic exploration, in explored schedules (complete or cut runs) per second of wall time.
 *
 * - "explore echo": exhaustive exploration of a three-process echo (a server on m1.lab, two
 *   clients on m2.lab and m3.lab, one request each, raw network: every order of the four
 *   frames and of the two request timeouts). Baseline: the same number of runs of the system in the seeded order, no chooser.
 *   Target: at least 10,000 explored schedules per second.
 * - "explore 2pc": exhaustive exploration of two-phase commit with one coordinator, two
 *   participants and one coordinator crash at any point (restart 10 ms later), with the
 *   atomicity invariant checked before every event. Target: under 60 s. Baseline: one seeded run.
 *
 * Each bench prints its figures once (runs, states, exhausted, schedules per second).
 * Run with `deno bench -A bench/explore_bench.ts`.
 * @module
 */
import { TimeoutError } from "../core/errors.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { explore } from "../lab/explore/explore.ts";
import { twoPhaseCommit, twoPhaseInvariant } from "../lab/explore/two_phase_commit_model.ts";

function echo(sim: Simulator): void {
  sim.machine("m1.lab").spawn("server", async (ctx) => {
    for (;;) {
      const m = await ctx.receive<string>();
      await ctx.reply(m, m.body);
    }
  });
  for (const m of ["m2.lab", "m3.lab"]) {
    sim.machine(m).spawn("client", async (ctx) => {
      // In an asynchronous network the request's timeout may fire before the answer: fine here.
      await ctx.request("server@m1.lab", `hello from ${m}`).catch((error) => {
        if (!(error instanceof TimeoutError)) throw error;
      });
    });
  }
}

const printed = new Set<string>();
function once(name: string, line: () => string): void {
  if (printed.has(name)) return;
  printed.add(name);
  console.log(`${name}: ${line()}`);
}

const echoReport = await explore(echo, { simulator: { reliable: false } });
const ECHO_RUNS = echoReport.runs;

Deno.bench({
  name: "seeded echo runs (no chooser)",
  group: "explore echo",
  baseline: true,
  async fn() {
    for (let i = 0; i < ECHO_RUNS; i++) {
      const sim = new Simulator({ seed: i + 1, reliable: false, trace: false });
      echo(sim);
      await sim.run();
    }
  },
});

const echoTotals = { runs: 0, ms: 0 };
Deno.bench({
  name: "explore three-process echo, exhaustive",
  group: "explore echo",
  async fn() {
    const r = await explore(echo, { simulator: { reliable: false } });
    if (!r.exhausted || r.violation) throw new Error("echo exploration did not exhaust cleanly");
    echoTotals.runs += r.runs;
    echoTotals.ms += r.elapsedMs;
    once(
      "explore echo",
      () =>
        `${r.runs} schedules, ${r.states} states (${r.distinct} distinct), exhausted ${r.exhausted}`,
    );
  },
});

globalThis.addEventListener("unload", () => {
  if (echoTotals.ms === 0) return;
  console.log(
    `explore echo: ${echoTotals.runs} schedules in ${(echoTotals.ms / 1000).toFixed(2)} s ` +
      `over every iteration: ${Math.round(echoTotals.runs / (echoTotals.ms / 1000))} schedules/s`,
  );
});

Deno.bench({
  name: "one seeded 2pc run",
  group: "explore 2pc",
  baseline: true,
  async fn() {
    const sim = new Simulator({ seed: 1, reliable: false, trace: false });
    twoPhaseCommit(sim);
    await sim.run();
  },
});

Deno.bench({
  name: "explore 2pc, 1 coordinator, 2 participants, 1 crash point, exhaustive",
  group: "explore 2pc",
  n: 3,
  warmup: 1,
  async fn() {
    const r = await explore((sim) => twoPhaseCommit(sim), {
      invariant: twoPhaseInvariant,
      crash: ["coord.lab"],
      simulator: { reliable: false },
      depth: 60,
    });
    if (!r.exhausted || r.violation) throw new Error("2pc exploration did not exhaust cleanly");
    once(
      "explore 2pc",
      () =>
        `${r.runs} schedules, ${r.states} states (${r.distinct} distinct), depth ${r.depth}, ` +
        `exhausted in ${(r.elapsedMs / 1000).toFixed(2)} s, ` +
        `${Math.round(r.runs / (r.elapsedMs / 1000))} schedules/s`,
    );
  },
});
