/**
 * Acknowledged data in the client-server key-value store: a server that keeps its data in
 * memory loses writes it answered `ok` to when it crashes, and every summary counts them
 * (`lost acked`, `lostAcked`); a durable server (`--durable`, `kvServer({ durable })`) keeps
 * them on stable storage that survives the crash, and loses none.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { runLab } from "./_lab.ts";

/** A crash late in the run (seed 1): writes acknowledged before it are not all written again. */
const CRASH = ["--sim", "--seed", "1", "--requests", "20", "--crash", "m1.lab@100..300"];

Deno.test("lab client-server counts the writes a crashed in-memory server lost, as the expected lesson", async () => {
  const { code, stdout } = await runLab("client-server", "--json", ...CRASH);
  const summary = JSON.parse(stdout);
  assertTrue(summary.lostAcked > 0, stdout);
  assertEquals(summary.durable, false);
  // A server that keeps its data in memory forgets it when its machine crashes: what the run
  // shows, not a failure of it.
  assertEquals(summary.lostAckedExpected, true, stdout);
  assertEquals(summary.errors, 0);
  assertEquals(code, 0, stdout);
  const table = await runLab("client-server", "-q", ...CRASH);
  assertEquals(table.code, 0, table.stdout);
  assertTrue(
    new RegExp(
      `^lost acked +${summary.lostAcked} acknowledged writes read back empty: expected, not an ` +
        "error: the server keeps its data in memory and m1\\.lab crashed; --durable keeps them$",
      "m",
    ).test(table.stdout),
    table.stdout,
  );
});

Deno.test("lab client-server over UDP with the server crashing exits 0 without --durable", async () => {
  const args = ["--transport", "udp", "--keys", "50", "--crash", "m1.lab@40..300", "--json"];
  const { code, stdout, stderr } = await runLab("client-server", ...args);
  const summary = JSON.parse(stdout);
  assertEquals(summary.transport, "udp");
  assertEquals(summary.lostAckedExpected, true, stdout);
  assertEquals([summary.errors, code], [0, 0], `${stdout}\n${stderr}`);
});

Deno.test("lab client-server --durable loses no acknowledged write across the crash", async () => {
  const { code, stdout } = await runLab("client-server", "--json", "--durable", ...CRASH);
  const summary = JSON.parse(stdout);
  assertEquals(summary.lostAcked, 0, stdout);
  assertEquals(summary.durable, true);
  assertEquals(summary.lostAckedExpected, false, stdout);
  assertEquals(code, 0, stdout);
  // Every key was written before the crash, and reads back a value after it.
  for (const key of ["x", "y", "z", "w", "a"]) {
    assertTrue(typeof summary.readBack[key] === "string", `${key}: ${stdout}`);
  }
});

Deno.test("lab client-server without a crash loses nothing and says so", async () => {
  const { code, stdout } = await runLab("client-server", "--sim", "--json", "--requests", "10");
  const summary = JSON.parse(stdout);
  assertEquals(summary.lostAcked, 0);
  assertEquals(code, 0, stdout);
});

Deno.test("lab client-server --durable holds when every crash loses the disk's unsynced writes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-kv-" });
  try {
    const trace = `${dir}/trace.jsonl`;
    const args = ["--durable", "--lose-unsynced", "1", "--trace", trace, ...CRASH];
    const { code, stdout } = await runLab("client-server", "--json", ...args);
    const summary = JSON.parse(stdout);
    assertEquals([summary.lostAcked, summary.errors, code], [0, 0, 0], stdout);
    // The fault struck (the trace says so) and found nothing unsynced: the server syncs first.
    const text = await Deno.readTextFile(trace);
    assertTrue(text.includes('"note":"disk lost 0 unsynced writes (fault)"'), text.slice(-2000));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  const refused = await runLab("client-server", "--lose-unsynced", "1", "--quiet");
  assertEquals(refused.code, 2, refused.stderr);
  assertTrue(/Cannot use --lose-unsynced without --sim/.test(refused.stderr), refused.stderr);
});
