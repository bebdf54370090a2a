/**
 * `kill -9` of a machine in the load runs of proxy, p2p, spmd, mobile-agent and three-tier on
 * OS processes: each run ends within a bound after the kill (a test timeout, the lab killed
 * past it) with its normal summary, marked partial, naming the dead machine, and exits 1;
 * `--json` carries the same (`unfinished`, `machinesLost`).
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { type LabRun, machineProcess, startLab } from "./_real_kill.ts";

/** How long after the kill a run may take: the others stop for 3 s, then everything stops. */
const BOUND_MS = 20_000;

/** Kills `machine` of `lab`, then collects how the lab ended within {@link BOUND_MS}. */
async function killAndEnd(lab: LabRun, machine: string) {
  Deno.kill(await machineProcess(lab.pid, machine), "SIGKILL");
  lab.within(BOUND_MS);
  const end = await lab.end();
  assertTrue(
    !end.killed,
    `the lab did not end in time:\n${end.stdout.slice(-3000)}\n${end.stderr}`,
  );
  assertTrue(!/Uncaught|BrokenPipe|Cannot finish the run|^\s+at /m.test(end.stderr), end.stderr);
  assertTrue(
    new RegExp(`machine "${machine.replace(".", "\\.")}" died at \\d+ ms \\(killed by SIGKILL`)
      .test(end.stderr),
    end.stderr,
  );
  assertEquals(end.code, 1, end.stdout.slice(-3000));
  const summary = end.stdout.split("\n").filter((l) => !/^ +\d+\.\d+ ms {2}|^ {2}-- /.test(l))
    .join("\n");
  return { ...end, summary };
}

/** Asserts the head of a partial summary naming `machine`. */
function assertPartial(summary: string, machine: string): void {
  assertTrue(
    summary.includes("Partial summary: the run did not finish"),
    summary.slice(-3000),
  );
  assertTrue(
    new RegExp(
      `^ {2}${
        machine.replace(".", "\\.")
      } died at \\d+ ms \\(killed by SIGKILL, exit code 137\\), not restarted`,
      "m",
    ).test(summary),
    summary.slice(-3000),
  );
}

Deno.test("lab proxy with the proxy machine killed prints its partial summary naming it", async () => {
  const lab = startLab(["proxy", "--requests", "300", "--delay", "1"]);
  assertTrue(await lab.waitFor(/origin@origin\.lab -> cache-f\d+@proxy\.lab VALUE/), "no fetch");
  // A client said how far it got (every few requests), so there is something to count.
  assertTrue(
    await lab.waitFor(/-> collector@ctl\.lab PROGRESS client@c\d\.lab [2-9]\d\b/),
    "no progress",
  );
  const { summary } = await killAndEnd(lab, "proxy.lab");
  assertPartial(summary, "proxy.lab");
  // The clients' progress before the kill is counted, though none of them reported.
  const ratio = /^hit ratio +\d+\.\d% \((\d+) hits, (\d+) misses/m.exec(summary);
  assertTrue(ratio !== null && Number(ratio[1]) > 0 && Number(ratio[2]) > 0, summary);
  assertTrue(
    /clients did not report \(their progress messages count the \d+ requests/.test(summary),
    summary,
  );
  // The origin, still alive, was asked for its counters after the loss.
  assertTrue(/^origin requests +[1-9]\d* with the proxy, not run without/m.test(summary), summary);
  assertTrue(/^machines lost +proxy\.lab$/m.test(summary), summary);
  assertTrue(/^errors +\d+$/m.test(summary), summary);
  assertTrue(summary.includes("the run without the proxy was not made"), summary);
});

Deno.test("lab p2p with a peer killed converges among the others and names the dead peer", async () => {
  // Long rounds: the kill comes well before the peers converge.
  const lab = startLab(["p2p", "--peers", "12", "--period", "400", "--writes", "3"]);
  assertTrue(await lab.waitFor(/-- after round 1:/), "no round");
  const { summary } = await killAndEnd(lab, "p3.lab");
  assertPartial(summary, "p3.lab");
  assertTrue(/^peers +12 initial, 11 live at the end/m.test(summary), summary);
  assertTrue(/^converged +/m.test(summary), summary);
  assertTrue(/^machines lost +p3\.lab$/m.test(summary), summary);
});

Deno.test("lab spmd --json with a rank killed carries the partial summary naming it", async () => {
  const lab = startLab(["spmd", "-n", "3", "--json", "tests/testdata/spmd/rounds.ts"]);
  assertTrue(await lab.waitForError(/round 100 done/), "no round 100");
  const { stdout } = await killAndEnd(lab, "rank1.lab");
  const json = JSON.parse(stdout);
  assertEquals(json.machinesLost, ["rank1.lab"]);
  assertTrue(/^rank1\.lab died at \d+ ms \(killed by SIGKILL/.test(json.unfinished[0]), stdout);
  assertTrue(
    json.failures.some((f: string) => /^rank 1 never reported \(its machine died at/.test(f)),
    stdout,
  );
  assertEquals(json.architecture, "spmd");
});

Deno.test("lab mobile-agent with a data node killed sums up the comparisons made before", async () => {
  const lab = startLab(["mobile-agent", "--nodes", "3", "--selectivity", "0.1,1"]);
  assertTrue(await lab.waitFor(/AGENT-ARRIVED owner2\.1 n1\.lab/), "no second comparison");
  const { summary } = await killAndEnd(lab, "n2.lab");
  assertPartial(summary, "n2.lab");
  assertTrue(
    /^ {2}1 of 2 comparisons made; the one at selectivity 1 was cut off/m.test(summary),
    summary,
  );
  // The first comparison's rows are there.
  assertTrue(/^10% +agent /m.test(summary), summary);
});

Deno.test("lab three-tier with its logic tier killed prints its partial summary naming it", async () => {
  const lab = startLab(["three-tier", "--duration", "30000"]);
  assertTrue(await lab.waitFor(/^open http/m), "no URL");
  const { summary } = await killAndEnd(lab, "logic.lab");
  assertPartial(summary, "logic.lab");
  assertTrue(/^requests +\d+/m.test(summary), summary);
  assertTrue(/^machines lost +logic\.lab$/m.test(summary), summary);
});

Deno.test("lab three-tier with its data tier killed stops the users and ends, naming it", async () => {
  // A minute of load: the kill timer (armed at the kill) fires long before the minute is up.
  const lab = startLab(["three-tier", "--duration", "60000"]);
  assertTrue(await lab.waitFor(/^open http/m), "no URL");
  const { summary } = await killAndEnd(lab, "data.lab");
  assertPartial(summary, "data.lab");
  assertTrue(
    /^ {2}the data tier \(data\.lab\) is gone: the lab stopped the users before --duration was up$/m
      .test(summary),
    summary,
  );
  assertTrue(/^requests +[1-9]\d*/m.test(summary), summary);
  assertTrue(/^machines lost +data\.lab$/m.test(summary), summary);
});

/** A port free now on 127.0.0.1 (the lab's presentation takes it next). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Asks `url` until it answers 200 (the three tiers are up), at most 100 times, 100 ms apart. */
async function untilServing(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.body?.cancel();
      if (response.status === 200) return true;
    } catch {
      // Not listening yet: ask again.
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

Deno.test("lab three-tier --json with its data tier killed carries the partial summary naming it", async () => {
  const port = freePort();
  const lab = startLab(["three-tier", "--json", "--duration", "60000", "--port", String(port)]);
  // --json narrates nothing: the books answered through all three tiers say the run is on.
  assertTrue(await untilServing(`http://127.0.0.1:${port}/api/books`), "the tiers never served");
  const { stdout } = await killAndEnd(lab, "data.lab");
  const json = JSON.parse(stdout);
  assertEquals(json.architecture, "three-tier");
  assertEquals(json.machinesLost, ["data.lab"]);
  assertTrue(/^data\.lab died at \d+ ms \(killed by SIGKILL/.test(json.unfinished[0]), stdout);
  assertTrue(json.unfinished[1].startsWith("the data tier (data.lab) is gone"), stdout);
  // The requests made before the users were stopped (answered, or failed with 503) count.
  assertTrue(json.requests > 0 && Number.isInteger(json.errors), stdout);
});
