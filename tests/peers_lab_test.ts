/**
 * `deno task lab p2p` as a user meets it: the summary's keys, convergence in the simulator
 * under a partition and under churn, exit codes, and a run with each peer its own OS process.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab, SUMMARY_KEYS } from "./_lab.ts";

const lab = runLab;

async function summary(...args: string[]): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await lab("p2p", "--json", ...args);
  assertEquals(code, 0, stderr);
  return JSON.parse(stdout);
}

const KEYS = [...SUMMARY_KEYS, "peers", "rounds", "converged"];

Deno.test("lab p2p --sim --json prints the summary keys and converges near log2 n + ln n", async () => {
  const s = await summary("--sim", "--seed", "3");
  for (const key of KEYS) assertTrue(key in s, `missing ${key}`);
  assertEquals([s.architecture, s.transport, s.peers, s.converged], ["p2p", "sim", 20, true]);
  assertTrue((s.rounds as number) <= 2 * (Math.log2(20) + Math.log(20)), `${s.rounds} rounds`);
  assertTrue((s.messages as number) > 0 && (s.bytes as number) > 0);
  assertEquals((await summary("--sim", "--seed", "3")).traceDigest, s.traceDigest);
});

Deno.test("lab p2p --sim converges after a partition heals and under churn", async () => {
  const healed = await summary("--sim", "--mode", "push-pull", "--partition", "half@0..1200");
  assertEquals(healed.converged, true);
  assertTrue((healed.rounds as number) >= 10, `converged after ${healed.rounds} rounds`);
  const churned = await summary("--sim", "--churn", "0.1", "--peers", "30", "--mode", "push-pull");
  assertEquals(churned.converged, true);
  assertEquals(churned.live, 30);
});

Deno.test("lab p2p with a bad --mode or --churn names it and exits 2", async () => {
  const mode = await lab("p2p", "--sim", "--mode", "flood");
  assertEquals(mode.code, 2);
  assertTrue(mode.stderr.includes('--mode "flood"'), mode.stderr);
  const churn = await lab("p2p", "--sim", "--churn", "2");
  assertEquals(churn.code, 2);
});

Deno.test("lab p2p runs each peer as its own OS process and converges", async () => {
  const s = await summary("--peers", "4", "--mode", "push-pull", "--period", "50");
  assertEquals([s.transport, s.peers, s.converged, s.live], ["tcp", 4, true, 4]);
});

Deno.test("lab p2p on OS processes judges convergence only once the write reached the peers", async () => {
  // A write that takes longer than a round to be answered (200 ms each way) used to leave every
  // peer with the same empty state at the first check: "converged" in round 0 with no gossip.
  for (const transport of ["tcp", "udp"]) {
    const s = await summary("--peers", "5", "--delay", "200", "--transport", transport);
    assertEquals([s.transport, s.converged, s.live], [transport, true, 5]);
    assertTrue((s.rounds as number) > 0, `${transport}: rounds ${s.rounds}`);
    assertTrue((s.messages as number) >= 4, `${transport}: ${s.messages} messages`);
  }
});

Deno.test("lab p2p: a write aimed at a crashed peer fails over to a live one, and the rounds count from when it landed", async () => {
  // Seed 3 aims the one write at p2, crashed with p3 before the write: the writer used to retry
  // p2 for ever and the monitor called the untouched state "converged in 0 rounds".
  const { code, stdout } = await lab(
    "p2p",
    "--sim",
    "--seed",
    "3",
    "--peers",
    "8",
    "--crash",
    "p2.lab@50",
    "--crash",
    "p3.lab@50",
    "--json",
  );
  assertEquals(code, 0, stdout);
  const summary = JSON.parse(stdout);
  assertEquals([summary.converged, summary.errors, summary.live], [true, 0, 6]);
  assertTrue(summary.messages > 0, `no gossip carried the write: ${stdout}`);
  assertTrue(
    summary.rounds >= 1 && summary.rounds <= summary.bound,
    `rounds ${summary.rounds} against the bound ${summary.bound}`,
  );
});

Deno.test("lab p2p that does not converge gives no rounds to converge", async () => {
  // It printed "rounds 0" beside "converged no (limit; ...)", which reads as converging at once.
  const { code, stdout } = await lab("p2p", "--sim", "--peers", "2", "--drop", "0.9");
  assertEquals(code, 1, stdout);
  assertTrue(/^converged +no \(limit; /m.test(stdout), stdout);
  assertTrue(
    /^rounds +none \(not converged; the last change came in round \d+\) +\(log2 n/m.test(stdout),
    stdout,
  );
});
