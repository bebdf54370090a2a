/**
 * Slow clocks in the simulator (`--skew MACHINE:OFFSET:-DRIFT`): a machine's timers run on its
 * own clock, so a process that waits `deadline - now()` wakes at its deadline. When timers ran
 * on virtual time, a slow clock read short of the deadline at every wake-up, each wait was
 * shorter than the last until it was lost in rounding, and virtual time stopped: these runs
 * (found by the fault campaign with slow clocks drawn) never ended. Each runs as a user runs it,
 * as a child process bounded by a test timeout.
 * @module
 */
import { assertEquals } from "./_assert.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;

/** Runs `lab ...args --json` in the simulator; fails if it has not ended in 30 s. */
async function runBounded(args: string[]): Promise<Record<string, unknown>> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args, "--json"],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assertEquals(output.signal, null, `the run did not end in 30 s (livelock?): ${args.join(" ")}`);
  assertEquals(output.code, 0, stderr);
  return JSON.parse(new TextDecoder().decode(output.stdout));
}

Deno.test("lab transactions ends, atomic and conserving, with a slow client clock", async () => {
  const summary = await runBounded([
    "transactions",
    ...["--sim", "--seed", "93", "--drop", "0.169", "--transfers", "3"],
    ...["--crash", "c1.lab@109..226", "--crash", "coord.lab@80..142"],
    ...["--skew", "c2.lab:-18:-0.026", "--skew", "coord.lab:15:0.004"],
  ]);
  assertEquals([summary.invariantHolds, summary.violations], [true, []]);
});

Deno.test("lab p2p converges with a slow peer clock", async () => {
  const summary = await runBounded([
    "p2p",
    ...["--sim", "--seed", "39", "--drop", "0.025", "--dup", "0.025", "--reorder", "0.08"],
    ...["--partition", "p7.lab->p4.lab@25..165", "--partition", "p2.lab->p1.lab@4..113"],
    ...["--crash", "p7.lab@412..456", "--crash", "p2.lab@63", "--skew", "p5.lab:9:-0.048"],
    ...["--peers", "8", "--writes", "3"],
  ]);
  assertEquals(summary.converged, true);
});

Deno.test("lab proxy ends with every request answered when the origin's clock runs slow", async () => {
  const summary = await runBounded([
    "proxy",
    ...["--sim", "--seed", "46", "--drop", "0.008", "--dup", "0.088", "--reorder", "0.038"],
    ...["--partition", "c2.lab|origin.lab@26..96", "--partition", "c3.lab|origin.lab@91..203"],
    ...["--crash", "c3.lab@3..32", "--skew", "origin.lab:0:-0.025", "--skew", "c3.lab:45:0.041"],
    ...["--requests", "20", "--keys", "20", "--cache-size", "8"],
  ]);
  assertEquals([summary.requests, summary.errors], [60, 0]);
});

Deno.test("lab three-tier ends with a slow data tier clock", async () => {
  const summary = await runBounded([
    "three-tier",
    ...["--sim", "--seed", "172", "--drop", "0.126", "--dup", "0.183"],
    ...["--crash", "logic.lab@506..613", "--skew", "data.lab:2:-0.039"],
    ...["--skew", "web.lab:-21:0.013", "--users", "3", "--duration", "600"],
  ]);
  assertEquals(summary.errors, 0);
});

Deno.test("lab mobile-agent ends with every node's clock slow", async () => {
  const summary = await runBounded([
    "mobile-agent",
    ...["--sim", "--seed", "1", "--drop", "0.2", "--skew", "n1.lab:0:-0.05"],
    ...["--skew", "n2.lab:7:-0.03", "--skew", "n3.lab:0:-0.04"],
    ...["--nodes", "3", "--rows", "600", "--selectivity", "0.1,1"],
  ]);
  assertEquals(summary.errors, 0);
});
