/**
 * `deno task lab three-tier`: flags, the JSON summary, replay from the seed, and a short run on
 * real OS processes.
 * @module
 */
import assert from "node:assert/strict";
import { UsageError } from "../lab/_common.ts";
import { runThreeTier } from "../lab/three_tier/command.ts";
import { assertSummaryKeys, captureLog } from "./_lab.ts";

const captured = (args: string[]) => captureLog(runThreeTier, args);

Deno.test("runThreeTier() --sim --json prints one summary that replays from its seed", async () => {
  const args = [
    "--sim",
    "--json",
    "--seed",
    "5",
    "--users",
    "3",
    "--duration",
    "800",
    "--think",
    "50",
  ];
  const first = await captured(args);
  const second = await captured(args);
  assert.equal(first.code, 0);
  assert.equal(first.out.length, 1);
  const summary = JSON.parse(first.out[0]);
  assertSummaryKeys(summary);
  assert.ok("perTier" in summary && "messagesPerRequest" in summary);
  assert.equal(summary.architecture, "three-tier");
  assert.equal(summary.transport, "sim");
  assert.ok(summary.requests > 10);
  assert.equal(summary.errors, 0);
  assert.ok(summary.messagesPerRequest >= 4, "call, reply, exec, reply at least");
  assert.deepEqual(Object.keys(summary.perTier), [
    "presentation",
    "logic",
    "pool",
    "data",
    "network between tiers",
    "network user-presentation",
  ]);
  assert.equal(JSON.parse(second.out[0]).traceDigest, summary.traceDigest);
});

Deno.test("runThreeTier() with a data tier crash reports 503s as errors and keeps going", async () => {
  const { out } = await captured([
    "--sim",
    "--json",
    "--duration",
    "3000",
    "--crash",
    "data.lab@500..2500",
  ]);
  const summary = JSON.parse(out[0]);
  assert.ok(summary.statuses["503"] > 0);
  assert.equal(summary.errors, summary.statuses["503"] + (summary.statuses["504"] ?? 0));
  assert.ok(summary.statuses["200"] > 0);
});

Deno.test("runThreeTier() rejects bad flags with a UsageError and prints help", async () => {
  await assert.rejects(runThreeTier(["--users", "zero"]), UsageError);
  await assert.rejects(runThreeTier(["--sim", "--serve"]), /--serve with --sim/);
  await assert.rejects(runThreeTier(["--cost", "1,2"]), /--cost "1,2"/);
  const help = await captured(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out.join("\n"), /--users N/);
});

Deno.test("runThreeTier() on OS processes prints the URL and drives it with real fetch", async () => {
  const dir = await Deno.makeTempDir({ prefix: "three-tier-lab-" });
  try {
    const { code, out } = await captured([
      "-q",
      "--users",
      "2",
      "--duration",
      "300",
      "--think",
      "20",
      "--db",
      `${dir}/lab.db`,
    ]);
    assert.equal(code, 0);
    const text = out.join("\n");
    assert.match(text, /open http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(text, /lives as long as the run does; to keep it up, run with --serve/);
    assert.match(text, /transport\s+tcp/);
    assert.match(text, /messages per request\s+\d/);
    assert.match(text, /errors \(5xx, no answer\)\s+0/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
