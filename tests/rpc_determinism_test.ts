/**
 * The RPC experiment replays from its seed, and `deno task lab rpc` reports it: the summary keys,
 * one entry per policy, equal digests for equal seeds, and clear usage errors.
 * @module
 */
import assert from "node:assert/strict";
import { UsageError } from "../lab/_common.ts";
import { runRpc } from "../lab/rpc/command.ts";
import { ORPHAN_POLICIES, simulateOrphans } from "../rpc/mod.ts";
import { assertSummaryKeys, captureLog } from "./_lab.ts";

const lab = (args: string[]) => captureLog(runRpc, args);

Deno.test("simulateOrphans() gives the same trace digest for the same seed", async () => {
  for (const policy of ORPHAN_POLICIES) {
    const options = { policy, seed: 11, simulator: { drop: 0.1 } };
    const a = await simulateOrphans(options);
    const b = await simulateOrphans(options);
    assert.equal(a.traceDigest, b.traceDigest, policy);
    assert.deepEqual([a.wastedWork, a.messages], [b.wastedWork, b.messages], policy);
    const other = await simulateOrphans({ ...options, seed: 12 });
    assert.notEqual(other.traceDigest, a.traceDigest, policy);
  }
});

Deno.test("runRpc() --json compares every policy with the summary keys", async () => {
  const { code, out } = await lab(["--json"]);
  assert.equal(code, 0);
  assert.equal(out.length, 1, "--json prints one line and nothing else");
  const summary = JSON.parse(out[0]);
  assertSummaryKeys(summary);
  assert.ok("policies" in summary);
  assert.deepEqual([summary.architecture, summary.transport, summary.seed], ["rpc", "sim", 1]);
  assert.deepEqual(Object.keys(summary.policies), ORPHAN_POLICIES);
  const none = summary.policies.none;
  for (const policy of ORPHAN_POLICIES.filter((p) => p !== "none")) {
    const p = summary.policies[policy];
    for (const key of ["orphans", "killed", "wastedWork", "messages"]) assert.ok(key in p, key);
    assert.equal(p.killed, 1, policy);
    assert.ok(p.wastedWork < none.wastedWork, policy);
  }
  const again = JSON.parse((await lab(["--json"])).out[0]);
  assert.equal(again.traceDigest, summary.traceDigest);
});

Deno.test("runRpc() runs one policy with its own flags and prints the comparison table", async () => {
  const one = JSON.parse(
    (await lab([
      "--json",
      "--policy",
      "expiration",
      "--quantum",
      "10",
      "--work",
      "200",
      "--calls",
      "2",
    ]))
      .out[0],
  );
  assert.deepEqual(Object.keys(one.policies), ["expiration"]);
  assert.ok(one.policies.expiration.wastedWork <= 10);
  assert.equal(one.traceDigest, one.policies.expiration.traceDigest);
  const moved = JSON.parse(
    (await lab(["--json", "--policy", "none", "--crash", "c2.lab@120..140"])).out[0],
  );
  assert.equal(moved.policies.none.orphans, 1);
  const table = await lab(["--quiet"]);
  assert.equal(table.code, 0);
  const text = table.out.join("\n");
  for (const policy of ORPHAN_POLICIES) assert.match(text, new RegExp(`^${policy} `, "m"));
  assert.match(text, /wasted work/);
});

Deno.test("runRpc() rejects an unknown policy and prints its help", async () => {
  await assert.rejects(lab(["--policy", "nuke"]), UsageError);
  await assert.rejects(lab(["--calls", "-1"]), UsageError);
  const help = await lab(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.out.join("\n"), /simulator only/);
});
