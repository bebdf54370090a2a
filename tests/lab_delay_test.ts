/**
 * A plain network delay (no loss, no crash, no partition) shows no failure that is an artifact of
 * the lab's own fixed timeouts: with `--delay 1000` every architecture's timeouts the user did not
 * set follow the delay (lab/_delay_timeouts.ts), and the run answers everything. A timeout the
 * user set shorter than the round trip is kept, and the output says why requests fail. The
 * faults a command schedules by default follow the delay too: lab rpc's crash still leaves an
 * orphan and lab compare's outage still meets the requests.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { assertSummaryKeys, captureMain, runLab } from "./_lab.ts";

/** Runs `lab ARCH --sim --seed 3 --delay DELAY ...extra --json`; exit code and summary. */
async function delayed(
  architecture: string,
  delay: string,
  ...extra: string[]
): Promise<{ code: number; summary: Record<string, unknown> }> {
  const { code, stdout, stderr } = await runLab(
    architecture,
    "--sim",
    "--seed",
    "3",
    "--delay",
    delay,
    ...extra,
    "--json",
  );
  const line = stdout.trim().split("\n").findLast((l) => l.startsWith("{"));
  assertTrue(line !== undefined, `${architecture} printed no summary: ${stderr}`);
  const summary = JSON.parse(line);
  assertSummaryKeys(summary);
  return { code, summary };
}

Deno.test("lab group --sim --delay 1000 excludes no member: the failure detector waits for the delay", async () => {
  for (const order of ["none", "total"]) {
    const { code, stdout } = await runLab(
      "group",
      "--sim",
      "--seed",
      "3",
      "--delay",
      "1000",
      "--order",
      order,
      "-q",
    );
    assertEquals(code, 0, stdout);
    assertTrue(/^errors +0$/m.test(stdout), stdout);
    assertTrue(!stdout.includes("excluded"), stdout);
    assertTrue(!stdout.includes("[stopped"), stdout);
    assertTrue(/^deliveries +80$/m.test(stdout), `4 members x 5 messages x 4: ${stdout}`);
  }
});

Deno.test("lab three-tier --sim --delay 1000 answers every request: budget and waits follow the delay", async () => {
  const { code, summary } = await delayed("three-tier", "1000");
  assertEquals(code, 0);
  assertEquals(summary.errors, 0);
  assertTrue((summary.requests as number) > 0, `requests ${summary.requests}`);
  assertEquals(Object.keys(summary.statuses as object), ["200"]);
});

Deno.test("lab three-tier --sim with a --budget shorter than the round trip says why requests fail", async () => {
  const args = ["three-tier", "--sim", "--seed", "3", "--delay", "1000", "-q"];
  const { code, stdout } = await runLab(...args, "--budget", "2000");
  assertEquals(code, 0);
  assertTrue(/^errors \(5xx, no answer\) +[1-9]/m.test(stdout), stdout);
  assertTrue(
    stdout.includes("a round trip takes at least 4000 ms (--delay) but --budget is 2000 ms"),
    stdout,
  );
  const patient = await runLab(...args);
  assertTrue(!patient.stdout.includes("note:"), patient.stdout);
});

Deno.test("lab rpc --sim --delay 1000 completes every call under every policy: renewals wait for the delay", async () => {
  const { code, summary } = await delayed("rpc", "1000");
  assertEquals(code, 0);
  assertEquals(summary.errors, 0);
  const policies = summary.policies as Record<string, { completed: number }>;
  for (const [policy, figures] of Object.entries(policies)) {
    assertEquals(figures.completed, 8, `${policy} completed ${figures.completed} of 8 calls`);
  }
});

Deno.test("lab rpc --sim under a long --delay still leaves an orphan under every policy: the default crash is timed by the call", async () => {
  for (const delay of ["1000", "100..3000", "exp:300"]) {
    const { code, summary } = await delayed("rpc", delay);
    assertEquals(code, 0);
    const policies = summary.policies as Record<string, { orphans: number; killed: number }>;
    for (const [policy, figures] of Object.entries(policies)) {
      assertEquals(figures.orphans, 1, `--delay ${delay} ${policy}: ${JSON.stringify(figures)}`);
    }
    assertEquals(policies.expiration.killed, 1, `--delay ${delay}`);
  }
  const args = ["rpc", "--seed", "3", "-q"];
  const { out } = await captureMain([...args, "--delay", "1000"]);
  const text = out.join("\n");
  // A kill leaves at the restart and arrives 1000 ms later: after the 100 ms of work.
  assertTrue(/^extermination +1 +0 /m.test(text), text);
  assertTrue(text.includes("takes up to 1000 ms (--delay) to reach the server"), text);
  assertTrue(text.includes("--work above 1700 leaves them time"), text);
  const long = await delayed("rpc", "1000", "--work", "1800", "--policy", "extermination");
  assertEquals(
    (long.summary.policies as { extermination: { killed: number } }).extermination.killed,
    1,
  );
});

Deno.test("lab rpc --sim keeps its crash at 150..170 ms without --delay, under small delays and when given", async () => {
  const opening = async (...extra: string[]) =>
    (await captureMain(["rpc", "--seed", "3", "--policy", "none", ...extra])).out[0];
  const timed = await opening("--delay", "1000");
  assertTrue(
    timed.includes("c1.lab crashes 40 ms after its second call reaches its server (--delay)"),
    timed,
  );
  for (const small of [[], ["--delay", "1..20"], ["--delay", "25"]]) {
    const line = await opening(...small);
    assertTrue(line.includes("c1.lab crashes at 150 ms and restarts at 170 ms"), line);
  }
  const given = await opening("--delay", "1000", "--crash", "c1.lab@150..170");
  assertTrue(given.includes("c1.lab crashes at 150 ms and restarts at 170 ms"), given);
});

Deno.test("lab proxy --sim --delay 1000 answers every request with and without the proxy", async () => {
  const { code, summary } = await delayed("proxy", "1000");
  assertEquals(code, 0);
  const without = summary.withoutProxy as Record<string, unknown>;
  assertEquals([summary.errors, without.errors], [0, 0]);
  // Through the proxy a miss costs two round trips, a hit one: latencies of answers, not 0.
  assertTrue((summary.latency as { p50: number }).p50 >= 2000, JSON.stringify(summary.latency));
});

Deno.test("lab transactions --sim --delay 1000 commits: no operation times out on the delay", async () => {
  const { code, summary } = await delayed("transactions", "1000");
  assertEquals(code, 0);
  assertEquals(summary.errors, 0);
  assertTrue((summary.commits as number) > 0, `commits ${summary.commits}`);
  assertTrue((summary.latency as { p50: number }).p50 > 0, JSON.stringify(summary.latency));
});

Deno.test("lab transactions --sim with nothing committed says none, not a latency of 0 ms", async () => {
  const { code, stdout } = await runLab("transactions", "--sim", "--transfers", "0", "-q");
  assertEquals(code, 0, stdout);
  assertTrue(/^latency p50 +none: no transaction committed$/m.test(stdout), stdout);
});

Deno.test("lab p2p --sim --delay 1000 sizes the round to the delay; a shorter --period gets a note", async () => {
  const sized = await delayed("p2p", "1000", "--peers", "8");
  assertEquals(sized.code, 0);
  assertEquals(sized.summary.converged, true);
  // Seed 3 converges in 8 rounds without --delay: the delay costs at most the boundary round.
  assertTrue((sized.summary.rounds as number) <= 9, `rounds ${sized.summary.rounds}`);
  const args = ["p2p", "--sim", "--seed", "3", "--delay", "1000", "--peers", "8", "-q"];
  const short = await runLab(...args, "--period", "100");
  assertTrue(
    short.stdout.includes(
      "the bounds on the rounds assume an exchange (digest, want, delta: 3 " +
        "trips, up to 3000 ms at the delay's bound) ends within its round; --period 100",
    ),
    short.stdout,
  );
  assertTrue(!(await runLab(...args)).stdout.includes("note:"));
});

Deno.test("lab mobile-agent --sim --delay 1000 reaches every node: handoffs and pulls wait for the delay", async () => {
  const { code, summary } = await delayed("mobile-agent", "1000");
  assertEquals(code, 0);
  assertEquals(summary.errors, 0);
});

Deno.test("lab spmd --sim --delay 5000 completes; a --timeout shorter than the round trip gets a note", async () => {
  const heat = new URL("../examples/heat_diffusion.ts", import.meta.url).pathname;
  const args = ["spmd", "-n", "4", "--sim", "--seed", "3", "--delay", "5000", "-q"];
  const patient = await runLab(...args, heat);
  assertEquals(patient.code, 0, patient.stderr);
  const short = await runLab(...args, "--timeout", "5000", heat);
  assertEquals(short.code, 1);
  assertTrue(
    short.stderr.includes("a round trip takes at least 10000 ms (--delay) but --timeout is 5000"),
    short.stderr,
  );
});

Deno.test("lab compare --delay 1000 keeps its outage in the requests' way: the default window follows the delay", async () => {
  const compare = async (...args: string[]) => {
    const { code, out } = await captureMain(["compare", "--json", ...args]);
    assertEquals(code, 0);
    return JSON.parse(out[0]) as {
      outage: string;
      rows: { architecture: string; latency: { p99: number }; outageP99: number }[];
    };
  };
  const slow = await compare("--delay", "1000");
  // Two round trips at 1000 ms + 100 ms: a request sent at 0 ms arrives at 1000 ms, inside it.
  assertEquals(slow.outage, "20..4120");
  const server = slow.rows.find((r) => r.architecture === "client-server")!;
  assertTrue(server.outageP99 > server.latency.p99 + 1000, JSON.stringify(server));
  assertEquals((await compare("--delay", "1..20")).outage, "20..400");
  assertEquals((await compare()).outage, "20..400");
  assertEquals((await compare("--delay", "1000", "--outage", "20..400")).outage, "20..400");
  const { out } = await captureMain(["compare", "--delay", "1000"]);
  assertTrue(out.some((l) => l.includes("down at 20..4120 ms")), out.join("\n"));
});
