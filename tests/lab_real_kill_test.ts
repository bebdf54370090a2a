/**
 * `kill -9` on a machine of a real run, as an operator (or the OOM killer) does it: the lab
 * notices the dead OS process, says so on stderr naming the machine and the signal, restarts it
 * when the run restarts that machine after crashes, and otherwise ends within a bounded time
 * with a summary that counts the dead machine and what it could not report.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";
import { machineProcess, startLab } from "./_real_kill.ts";
import { deploy } from "../lab/deploy/deploy.ts";
import type { MachineLoss } from "../lab/deploy/run_errors.ts";

/** How long after the kill the lab must have ended (it ends 3 s after progress stops). */
const BOUND_MS = 30_000;

/**
 * Runs `lab client-server` slowed by a network delay, kills `machine` once client c1 sent its
 * fifth request, and returns how the lab ended and how long after the kill.
 */
async function killDuring(machine: string, extra: string[] = []) {
  const lab = startLab([
    "client-server",
    "--requests",
    "1500",
    "--delay",
    "2",
    ...extra,
  ]);
  assertTrue(await lab.waitFor(/c1@m2\.lab -> kv@m1\.lab \S+ \S+ (\S+ )?c1-5\b/), "no request");
  Deno.kill(await machineProcess(lab.pid, machine), "SIGKILL");
  const killed = performance.now();
  const end = await lab.end();
  const after = performance.now() - killed;
  assertTrue(!end.killed, `the lab did not end:\n${end.stdout.slice(-3000)}\n${end.stderr}`);
  // A run that restarts the machine goes on with its work (1,500 requests a client): only a run
  // that cannot must end soon after the kill instead of retrying for minutes.
  const restarts = extra.includes("--crash");
  assertTrue(restarts || after < BOUND_MS, `the lab took ${after.toFixed(0)} ms after the kill`);
  assertTrue(!/Uncaught|BrokenPipe|^\s+at /m.test(end.stderr), end.stderr);
  return end;
}

Deno.test("lab client-server with a client killed ends with a summary naming the dead machine", async () => {
  const { code, stdout, stderr } = await killDuring("m2.lab");
  assertTrue(/machine "m2\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  assertEquals(code, 1, stdout.slice(-2000));
  assertTrue(stdout.includes("Partial summary: the run did not finish"), stdout.slice(-2000));
  assertTrue(
    /c1@m2\.lab: no report \(its machine died at \d+ ms: killed by SIGKILL/.test(stdout),
    stdout.slice(-2000),
  );
  assertTrue(/^machines lost +m2\.lab at \d+ ms/m.test(stdout), stdout.slice(-2000));
  // The others finished their work and the server still answered for its counters.
  assertTrue(/^at-most-once +\d+ requests executed/m.test(stdout), stdout.slice(-2000));
  assertTrue(/^errors +1500$/m.test(stdout), stdout.slice(-2000));
});

Deno.test("lab client-server with its server killed ends with a summary instead of retrying for minutes", async () => {
  const { code, stdout, stderr } = await killDuring("m1.lab");
  assertTrue(/machine "m1\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  assertEquals(code, 1, stdout.slice(-2000));
  assertTrue(
    /m1\.lab died at \d+ ms \(killed by SIGKILL, exit code 137\), not restarted; the run ended/
      .test(stdout),
    stdout.slice(-2000),
  );
  assertTrue(/^machines lost +m1\.lab at/m.test(stdout), stdout.slice(-2000));
  assertTrue(/^at-most-once +server counters unknown/m.test(stdout), stdout.slice(-2000));
});

Deno.test("lab client-server restarts a killed server when the run restarts it after crashes", async () => {
  // The planned crash is far past the end of the run: it only says the server restarts.
  const { code, stdout, stderr } = await killDuring("m1.lab", ["--crash", "m1.lab@600000..600500"]);
  assertTrue(
    /machine "m1\.lab" died at \d+ ms \(killed by SIGKILL.*\); restarting it/.test(stderr),
    stderr,
  );
  assertTrue(/\*\*\* CRASH m1\.lab \(killed by SIGKILL/.test(stdout), stdout.slice(-2000));
  assertTrue(/\*\*\* RESTART m1\.lab/.test(stdout), stdout.slice(-2000));
  assertTrue(!stdout.includes("machines lost"), stdout.slice(-2000));
  // Every client reported: the run finished (its writes before the kill may be lost: exit 1).
  assertTrue(!/no report/.test(stdout), stdout.slice(-2000));
  assertTrue(code === 0 || code === 1, stderr);
});

Deno.test("lab client-server --durable loses no acknowledged write when its server is killed and restarted", async () => {
  const { stdout } = await killDuring("m1.lab", ["--durable", "--crash", "m1.lab@600000..600500"]);
  assertTrue(/\*\*\* RESTART m1\.lab/.test(stdout), stdout.slice(-2000));
  assertTrue(/^lost acked +0 acknowledged writes/m.test(stdout), stdout.slice(-2000));
});

Deno.test("lab client-server on OS processes: the restarted server's replies reach the clients", async () => {
  // The replacement process starts with the others; it must still be a later incarnation of
  // m1.lab, or the clients take its replies for the old one's and retry until they give up.
  const { code, stdout, stderr } = await runLab(
    "client-server",
    "--json",
    "--requests",
    "40",
    "--delay",
    "1",
    "--durable",
    "--crash",
    "m1.lab@100..400",
  );
  const summary = JSON.parse(stdout);
  assertEquals(summary.errors, 0, stdout + stderr);
  assertEquals(summary.lostAcked, 0, stdout);
  assertEquals(code, 0, stdout + stderr);
});

Deno.test("lab transactions with a client killed ends with a summary naming the dead machine", async () => {
  const lab = startLab(["transactions", "--transfers", "100", "--delay", "1"]);
  assertTrue(await lab.waitFor(/ ms {2}client@c1\.lab -> /), "no transfer");
  Deno.kill(await machineProcess(lab.pid, "c1.lab"), "SIGKILL");
  const killed = performance.now();
  const { code, stdout, stderr, killed: hung } = await lab.end();
  const after = performance.now() - killed;
  assertTrue(!hung, `the lab did not end:\n${stdout.slice(-3000)}\n${stderr}`);
  assertTrue(after < BOUND_MS, `the lab took ${after.toFixed(0)} ms after the kill`);
  assertTrue(/machine "c1\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  assertTrue(
    /^machines lost +c1\.lab at \d+ ms \(killed by SIGKILL/m.test(stdout),
    stdout.slice(-2500),
  );
  assertTrue(/^Invariant: /m.test(stdout), stdout.slice(-2500));
  assertTrue(/^errors +[1-9]/m.test(stdout), stdout.slice(-2500));
  assertEquals(code, 1);
});

Deno.test("lab three-tier --serve stops every machine on SIGTERM, with no BrokenPipe trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lab = startLab(["three-tier", "--serve", "--db", `${dir}/shop.db`]);
    assertTrue(await lab.waitFor(/serving until Ctrl-C/), "not serving");
    Deno.kill(lab.pid, "SIGTERM");
    const { code, stderr, killed } = await lab.end();
    assertTrue(!killed, `the lab did not stop:\n${stderr}`);
    assertEquals(code, 0, stderr);
    assertTrue(stderr.includes("stopping every machine"), stderr);
    assertTrue(!/Uncaught|BrokenPipe|^\s+at /m.test(stderr), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab group with a member killed ends with a summary naming the dead machine", async () => {
  const lab = startLab(["group", "--messages", "300", "--delay", "1"]);
  assertTrue(await lab.waitFor(/ ms {2}p2@m2\.lab -> /), "no multicast");
  Deno.kill(await machineProcess(lab.pid, "m2.lab"), "SIGKILL");
  const killed = performance.now();
  const { code, stdout, stderr, killed: hung } = await lab.end();
  const after = performance.now() - killed;
  assertTrue(!hung, `the lab did not end:\n${stdout.slice(-3000)}\n${stderr}`);
  assertTrue(after < BOUND_MS, `the lab took ${after.toFixed(0)} ms after the kill`);
  assertTrue(/machine "m2\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  const summary = stdout.split("\n").filter((l) => !/^ +\d+\.\d+ ms {2}/.test(l)).join("\n");
  assertTrue(/m2\.lab died at \d+ ms \(killed by SIGKILL, exit code 137\)/.test(summary), summary);
  assertTrue(summary.includes("p2@m2.lab: no report"), summary);
  assertTrue(!/Uncaught|BrokenPipe|^\s+at /m.test(stderr), stderr);
  assertEquals(code, 1);
});

/**
 * Runs `lab transactions` on OS processes, kills `machine` once the tenth transaction began,
 * and returns how the lab ended: it must end within `bound` ms of the kill (the clients' own
 * timeouts are 1 s, END's 2 s; the lab stops them, audits the others and stops every machine).
 */
async function killTransactions(machine: string, extra: string[] = [], bound = 15_000) {
  const lab = startLab(["transactions", "--transfers", "100", "--delay", "1", ...extra]);
  assertTrue(await lab.waitFor(/TX-BEGUN tm@coord\.lab#\d+\.10\b/), "no tenth transaction");
  Deno.kill(await machineProcess(lab.pid, machine), "SIGKILL");
  lab.within(bound);
  const end = await lab.end();
  assertTrue(
    !end.killed,
    `the lab did not end in time:\n${end.stdout.slice(-3000)}\n${end.stderr}`,
  );
  assertTrue(!/Uncaught|BrokenPipe|^\s+at /m.test(end.stderr), end.stderr);
  const summary = end.stdout.split("\n").filter((l) => !/^ +\d+\.\d+ ms {2}/.test(l)).join("\n");
  return { ...end, summary };
}

Deno.test("lab transactions with a participant killed stops the clients and audits the others within seconds", async () => {
  const { code, summary, stderr } = await killTransactions("p2.lab");
  assertTrue(/machine "p2\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  assertEquals(code, 1, summary);
  assertTrue(summary.includes("Partial summary: the run did not finish"), summary);
  assertTrue(
    /^ {2}p2\.lab died at \d+ ms \(killed by SIGKILL, exit code 137\), not restarted; the lab told the clients to stop/m
      .test(summary),
    summary,
  );
  // Both clients stopped early and said how far they got.
  assertTrue(/client@c1\.lab: stopped after \d+ of 100 transfers/.test(summary), summary);
  assertTrue(/client@c2\.lab: stopped after \d+ of 100 transfers/.test(summary), summary);
  // Its committed balances survive the kill in its SQLite file, which the lab reads afterwards.
  assertTrue(
    /bank@p2\.lab: its machine died; its SQLite file, read after the run, holds \{"acct0":-?\d+,"acct1":-?\d+\}/
      .test(summary),
    summary,
  );
  assertTrue(
    /^ {2}total with the dead branches' files: -?\d+ \(expected 600/m.test(summary),
    summary,
  );
  assertTrue(
    /^ {2}bank@p2\.lab {2}\(its machine died at \d+ ms: its file holds/m.test(summary),
    summary,
  );
  assertTrue(/^machines lost +p2\.lab at \d+ ms \(killed by SIGKILL/m.test(summary), summary);
  // The verdict over every participant, p2 by its file: nothing broken. Killed between its yes
  // vote and the decision, p2 holds that transaction in doubt (it applies when p2 recovers).
  const verdict = summary.match(
    /^Invariant: total (-?\d+) \(expected 600, with what the dead machines' files hold\); all-or-nothing (holds => PASS|not established: 1 transactions still in doubt \(participants blocked\) => FAIL)$/m,
  );
  assertTrue(verdict !== null, summary);
  if (verdict[2].startsWith("holds")) assertEquals(verdict[1], "600", summary);
});

Deno.test("lab transactions with its coordinator killed ends with the participants' verdict within seconds", async () => {
  const { code, summary, stderr } = await killTransactions("coord.lab");
  assertTrue(/machine "coord\.lab" died at \d+ ms \(killed by SIGKILL/.test(stderr), stderr);
  assertEquals(code, 1, summary);
  assertTrue(
    /^ {2}coord\.lab died at \d+ ms .*the lab told the clients to stop/m.test(summary),
    summary,
  );
  assertTrue(/client@c1\.lab: stopped after \d+ of 100 transfers/.test(summary), summary);
  assertTrue(/^ {2}bank@p1\.lab {2}\{"acct0"/m.test(summary), summary);
  // Its decisions, read from its file after the run, complete the audit.
  assertTrue(
    /^Invariant: total \d+ \(expected 600, with what the dead machines' files hold\); all-or-nothing (holds => PASS|not established: \d+ transactions still in doubt \(participants blocked\) => FAIL)$/m
      .test(summary),
    summary,
  );
});

Deno.test("lab transactions restarts a killed participant that recovers from its SQLite file, atomic and conserving", async () => {
  // The planned crash is far past the end of the run: it only says the participant restarts.
  const { code, summary, stderr } = await killTransactions("p2.lab", [
    "--crash",
    "p2.lab@600000..600500",
  ], 30_000);
  assertTrue(
    /machine "p2\.lab" died at \d+ ms \(killed by SIGKILL.*\); restarting it/.test(stderr),
    stderr,
  );
  assertTrue(!summary.includes("machines lost"), summary);
  assertTrue(
    /^Invariant: total 600 \(expected 600\); all-or-nothing holds => PASS/m.test(summary),
    summary,
  );
  assertEquals(code, 0, summary);
});

Deno.test("a machine killed before the run listens for losses is still handed to its listener", async () => {
  // Under load a kill can land while the deployment is still starting, before the command
  // registered its listener: the loss must not be missed (the run would wait for ever).
  const deployment = await deploy([{
    name: "m1.lab",
    processes: [{ name: "origin", program: "proxy-origin" }],
  }], {});
  try {
    const first = Promise.withResolvers<MachineLoss>();
    deployment.onLost?.((loss) => first.resolve(loss));
    Deno.kill(await machineProcess(Deno.pid, "m1.lab"), "SIGKILL");
    const loss = await first.promise;
    assertEquals(loss.machine, "m1.lab");
    const late: MachineLoss[] = [];
    deployment.onLost?.((l) => late.push(l));
    assertEquals(late, [loss]);
  } finally {
    await deployment.stop();
  }
});
