/**
 * The lab's command line as a user meets it: exit codes, help, `--json` shape, traces, and the
 * client/server architecture both in the simulator and as real OS processes over TCP.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { assertSummaryKeys, runLab } from "./_lab.ts";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;

const lab = runLab;

Deno.test("lab --help lists every architecture with one line each and exits 0", async () => {
  const { code, stdout } = await lab("--help");
  assertEquals(code, 0);
  for (
    const name of ["client-server", "proxy", "three-tier", "mobile-agent", "p2p", "group", "spmd"]
  ) {
    assertTrue(new RegExp(`^  ${name} +\\S`, "m").test(stdout), `${name} missing from help`);
  }
});

Deno.test("lab with an unknown architecture prints what is accepted and exits 2", async () => {
  const { code, stderr } = await lab("mainframe");
  assertEquals(code, 2);
  assertTrue(stderr.includes('Cannot run "mainframe"'), stderr);
  assertTrue(stderr.includes("client-server"), stderr);
});

Deno.test("lab client-server with an unknown flag names it, lists the flags and exits 2", async () => {
  const { code, stderr } = await lab("client-server", "--sim", "--colour");
  assertEquals(code, 2);
  assertTrue(stderr.includes("--colour"), stderr);
  assertTrue(stderr.includes("accepted flags:") && stderr.includes("--clients"), stderr);
});

Deno.test("lab client-server with a bad value quotes it and exits 2", async () => {
  const { code, stderr } = await lab("client-server", "--sim", "--drop", "1.5");
  assertEquals(code, 2);
  assertTrue(stderr.includes('--drop "1.5"'), stderr);
});

Deno.test("lab client-server --sim --json prints one JSON object with the summary keys", async () => {
  const { code, stdout } = await lab("client-server", "--sim", "--json", "--seed", "7");
  assertEquals(code, 0);
  const lines = stdout.trim().split("\n");
  assertEquals(lines.length, 1, stdout);
  const summary = JSON.parse(lines[0]);
  assertSummaryKeys(summary);
  assertEquals(summary.architecture, "client-server");
  assertEquals(summary.transport, "sim");
  assertEquals(summary.requests, 30);
  assertEquals(summary.errors, 0);
  assertEquals(typeof summary.latency.p50, "number");
  assertTrue(/^[0-9a-f]{64}$/.test(summary.traceDigest));
});

Deno.test("lab client-server --sim gives the same digest for the same seed, another for another", async () => {
  const args = [
    "client-server",
    "--sim",
    "--json",
    "--drop",
    "0.2",
    "--dup",
    "0.1",
    "--reorder",
    "0.2",
  ];
  const a = JSON.parse((await lab(...args, "--seed", "3")).stdout);
  const b = JSON.parse((await lab(...args, "--seed", "3")).stdout);
  const c = JSON.parse((await lab(...args, "--seed", "4")).stdout);
  assertEquals(a.traceDigest, b.traceDigest);
  assertTrue(a.traceDigest !== c.traceDigest);
  assertTrue(a.retransmissions > 0, "20% loss must cause retransmissions");
  assertEquals(a.errors, 0);
});

Deno.test("lab client-server --trace writes Mermaid and JSON Lines", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const mmd = `${dir}/run.mmd`, jsonl = `${dir}/run.jsonl`;
    assertEquals(
      (await lab("client-server", "--sim", "-q", "--drop", "0.3", "--trace", mmd)).code,
      0,
    );
    const diagram = await Deno.readTextFile(mmd);
    assertTrue(diagram.startsWith("sequenceDiagram\n"));
    assertTrue(diagram.includes("participant kv_m1_lab as kv@m1.lab"));
    assertTrue(/c1_m2_lab->>kv_m1_lab: (GET|PUT) /.test(diagram), diagram.slice(0, 400));
    assertEquals((await lab("client-server", "--sim", "-q", "--trace", jsonl)).code, 0);
    const events = (await Deno.readTextFile(jsonl)).trim().split("\n").map((l) => JSON.parse(l));
    assertTrue(events.some((e) => e.ev === "send" && e.to === "kv@m1.lab"));
    assertTrue(events.some((e) => e.ev === "deliver" && e.from === "kv@m1.lab"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab client-server narrates each message as it happens", async () => {
  const { code, stdout } = await lab("client-server", "--sim", "--clients", "1", "--requests", "2");
  assertEquals(code, 0);
  assertTrue(/c1@m2\.lab -> kv@m1\.lab (GET|PUT) [a-z]/.test(stdout), stdout);
  assertTrue(/kv@m1\.lab -> c1@m2\.lab (VALUE|OK) /.test(stdout), stdout);
  assertTrue(stdout.includes("latency p99"), stdout);
});

Deno.test("lab client-server runs each machine as an OS process over TCP by default", async () => {
  const { code, stdout, stderr } = await lab(
    "client-server",
    "--json",
    "--clients",
    "3",
    "--requests",
    "5",
  );
  assertEquals(code, 0, stderr);
  const summary = JSON.parse(stdout);
  assertEquals(summary.transport, "tcp");
  assertEquals(summary.requests, 15);
  assertEquals(summary.errors, 0);
  assertTrue(summary.bytes > 0 && summary.messages >= 30, stdout);
});

Deno.test("lab client-server survives a server crash and restart in the simulator", async () => {
  const { code, stdout } = await lab(
    "client-server",
    "--sim",
    "--json",
    "--requests",
    "20",
    "--crash",
    "m1.lab@20..300",
  );
  const summary = JSON.parse(stdout);
  assertEquals(code, 0, stdout);
  assertEquals(summary.errors, 0);
  assertTrue(summary.retransmissions > 0);
});

Deno.test("lab node starts a machine, reports its endpoint and stops when stdin closes", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "node",
      "--machine",
      "m1.lab",
      "--listen",
      "127.0.0.1:0",
      "--spawn",
      "kv=kv-server",
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const ready = JSON.parse(text.slice(0, text.indexOf("\n")));
  assertEquals(ready.type, "ready");
  assertEquals(ready.machine, "m1.lab");
  assertTrue(/^127\.0\.0\.1:\d+$/.test(ready.endpoint));
  await child.stdin.close();
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  await child.stderr.cancel();
  assertEquals((await child.status).code, 0);
});

Deno.test("lab client-server stops every machine process on Ctrl-C (SIGINT) and exits 130", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/run.jsonl`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "client-server",
      "--clients",
      "2",
      "--requests",
      "1000000",
      "--trace",
      file,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes(" -> kv@m1.lab ")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  const ps = await new Deno.Command("ps", { args: ["-o", "pid=", "--ppid", String(child.pid)] })
    .output();
  const machines = new TextDecoder().decode(ps.stdout).trim().split(/\s+/).map(Number);
  assertEquals(machines.length, 3, "one OS process per machine: kv, c1, c2");
  child.kill("SIGINT");
  const drained = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += value;
    }
  })();
  const stderr = await new Response(child.stderr).text();
  const stdout = await drained;
  assertEquals((await child.status).code, 130);
  assertTrue(stderr.includes("interrupted"), stderr);
  assertTrue(!/Uncaught|^\s+at /m.test(stderr), stderr);
  assertTrue(stdout.includes("Partial summary: the run did not finish"), stdout);
  assertTrue(/^requests +2000000$/m.test(stdout), stdout);
  assertTrue((await Deno.readTextFile(file)).includes('"ev":"send"'), "the trace so far");
  await Deno.remove(dir, { recursive: true });
  for (const pid of machines) {
    let alive = true;
    try {
      await Deno.stat(`/proc/${pid}`);
    } catch {
      alive = false;
    }
    assertTrue(!alive, `machine process ${pid} outlived the lab`);
  }
});

Deno.test("lab client-server shows the server's error reply to a malformed request, not as an error", async () => {
  const { code, stdout } = await lab("client-server", "--sim", "--clients", "1", "--requests", "3");
  assertEquals(code, 0, stdout);
  assertTrue(/c1@m2\.lab -> kv@m1\.lab INCR /.test(stdout), stdout);
  assertTrue(/kv@m1\.lab -> c1@m2\.lab ERROR bad-request unknown kind/.test(stdout), stdout);
  assertTrue(/^error replies +1 to 1 malformed requests/m.test(stdout), stdout);
  assertTrue(
    /^at-most-once +3 requests executed, 0 retransmissions answered/m.test(stdout),
    stdout,
  );
  assertTrue(/^errors +0$/m.test(stdout), stdout);
});

Deno.test("lab client-server --json reports at-most-once: retransmissions deduplicated, never re-executed", async () => {
  const calm = JSON.parse(
    (await lab("client-server", "--sim", "--json", "--bad-requests", "2")).stdout,
  );
  assertEquals([calm.executed, calm.deduplicated], [30, 0]);
  assertEquals([calm.badRequests, calm.errorReplies, calm.errors], [2, 2, 0]);
  const lossy = JSON.parse(
    (await lab("client-server", "--sim", "--json", "--unreliable", "--drop", "0.3")).stdout,
  );
  assertTrue(lossy.deduplicated > 0, "lost replies make clients retransmit");
  assertTrue(lossy.executed <= lossy.requests, `executed ${lossy.executed} > ${lossy.requests}`);
});

Deno.test("lab client-server --sim --delay 1000 without --timeout answers every request: no artifact of a fixed timeout", async () => {
  const { code, stdout } = await lab("client-server", "--sim", "--seed", "3", "--delay", "1000");
  assertEquals(code, 0, stdout);
  assertTrue(/^errors +0$/m.test(stdout), stdout);
  assertTrue(/^retransmissions +0$/m.test(stdout), stdout);
  assertTrue(/^latency p50 +2000\.000 ms$/m.test(stdout), stdout);
  assertTrue(!stdout.includes("note:"), stdout);
});

Deno.test("lab client-server --sim with a round trip longer than --timeout says why every request is sent again", async () => {
  const args = ["client-server", "--sim", "--seed", "3", "--delay", "2000", "--timeout"];
  const { code, stdout } = await lab(...args, "500");
  assertEquals(code, 1);
  assertTrue(/^latency p50 +none: no request was answered$/m.test(stdout), stdout);
  assertTrue(
    stdout.includes("a round trip takes at least 4000 ms (--delay) but --timeout is 500 ms"),
    stdout,
  );
  const patient = await lab(...args, "4500");
  assertEquals(patient.code, 0);
  assertTrue(/^latency p50 +4000\.000 ms$/m.test(patient.stdout), patient.stdout);
  assertTrue(!patient.stdout.includes("a round trip takes"), patient.stdout);
});
