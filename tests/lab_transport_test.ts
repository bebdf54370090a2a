/**
 * `--transport tcp|udp|http` on the lab commands that run OS processes, and `transport` in the
 * launcher API: the same system over UDP datagrams and HTTP requests between real processes;
 * over UDP without the reliable channel a duplicated request reaches the server (its
 * at-most-once cache answers it), with the channel none does; bad values refused before the run.
 * @module
 */
import { launch } from "../lab/run/launch.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { assertSummaryKeys, captureMain, runLab } from "./_lab.ts";

const KV = new URL("../examples/run/kv.ts", import.meta.url).pathname;

Deno.test("lab run --transport udp|http runs the same file as OS processes over that transport", async () => {
  for (const transport of ["udp", "http"]) {
    const { code, stdout, stderr } = await runLab("run", KV, "--transport", transport, "--json");
    assertEquals(code, 0, stderr);
    const s = JSON.parse(stdout);
    assertSummaryKeys(s);
    assertEquals([s.transport, s.end, s.requests, s.errors], [transport, "quiet", 2, 0]);
    assertEquals(s.processes, { "kv@m1.lab": "running", "client@m2.lab": "returned" });
  }
});

Deno.test("lab client-server --transport udp: duplicates reach the server without the reliable channel, none with it", async () => {
  const run = async (...flags: string[]) => {
    const { code, stdout, stderr } = await runLab(
      "client-server",
      "--transport",
      "udp",
      "--requests",
      "20",
      "--dup",
      "0.3",
      "--json",
      ...flags,
    );
    assertEquals(code, 0, stderr);
    return JSON.parse(stdout);
  };
  const raw = await run("--unreliable");
  assertEquals(raw.transport, "udp");
  assertTrue(raw.deduplicated > 0, `no duplicate reached the server: ${JSON.stringify(raw)}`);
  const reliable = await run();
  assertEquals([reliable.transport, reliable.deduplicated], ["udp", 0]);
  assertEquals(reliable.executed, reliable.requests);
});

Deno.test("lab run --unreliable shows in its summary what the network did to the messages", async () => {
  const { code, stdout, stderr } = await runLab(
    "run",
    KV,
    "--transport",
    "udp",
    "--unreliable",
    "--dup",
    "1",
    "--json",
  );
  assertEquals(code, 0, stderr);
  const s = JSON.parse(stdout);
  // Every frame sent twice: the client's two requests reach the server twice each.
  assertTrue(s.channel.duplicated >= 2, JSON.stringify(s.channel));
  const calm = JSON.parse((await runLab("run", KV, "--transport", "udp", "--json")).stdout);
  assertEquals([calm.channel.lost, calm.channel.duplicated, calm.channel.reordered], [0, 0, 0]);
});

Deno.test("launch() takes a transport: the system file over HTTP between OS processes; none but TCP in the simulator", async () => {
  const result = await launch(KV, { transport: "http", quiet: 300 });
  assertEquals([result.transport, result.end], ["http", "quiet"]);
  assertEquals([result.requests.count, result.requests.failed], [2, 0]);
  await assertRejects(
    () => launch({ "kv@m1.lab": async () => {} }, { sim: true, transport: "udp" }),
    TypeError,
    'Cannot launch with transport "udp" in the simulator',
  );
});

Deno.test("--transport refuses an unknown transport, and any but tcp with --sim, before the run", async () => {
  const bad = await captureMain(["run", KV, "--transport", "quic"]);
  assertEquals(bad.code, 2);
  assertTrue(
    bad.err.join("\n").includes('Cannot use --transport "quic": choose tcp, udp, http'),
    bad.err.join("\n"),
  );
  const sim = await captureMain(["client-server", "--sim", "--transport", "udp"]);
  assertEquals(sim.code, 2);
  assertTrue(
    sim.err.join("\n").includes("Cannot use --transport udp in the simulator"),
    sim.err.join("\n"),
  );
});

Deno.test("lab run --transport udp fails a process that sends more than a datagram holds, naming the limit", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-udp-" });
  try {
    const file = `${dir}/big.ts`;
    await Deno.writeTextFile(
      file,
      `export default {
  "sink@m1.lab": async (ctx: { receive(): Promise<unknown> }) => { await ctx.receive(); },
  "big@m2.lab": async (ctx: { send(to: string, body: unknown): Promise<void> }) => {
    await ctx.send("sink@m1.lab", "x".repeat(70_000));
  },
};
`,
    );
    const { code, stderr } = await runLab("run", file, "--transport", "udp", "--quiet");
    assertEquals(code, 1, stderr);
    assertTrue(stderr.includes('process "big@m2.lab" failed'), stderr);
    assertTrue(stderr.includes("DatagramTooLargeError"), stderr);
    assertTrue(stderr.includes("datagram limit of 65507 bytes"), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
