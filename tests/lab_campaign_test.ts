import assert from "node:assert/strict";
import { runCampaign } from "../lab/campaign/campaign.ts";
import { parseCampaignArgs } from "../lab/campaign/command.ts";
import { drawSkews } from "../lab/campaign/schedule.ts";
import { CAMPAIGN_TARGETS } from "../lab/campaign/targets.ts";
import { createRandom } from "../core/prng.ts";

/** Seeds per architecture in the suite (`deno task campaign` runs 1,000: see README). */
const SEEDS = 100;

/** Splits a replay command the way a POSIX shell would (it only ever quotes with '). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
}

for (const [arch, targets] of Object.entries(CAMPAIGN_TARGETS)) {
  for (const target of targets) {
    Deno.test(`runCampaign() finds no violation in ${SEEDS} seeds of ${target.name}`, async () => {
      const result = await runCampaign(target, SEEDS);
      const failures = result.failures.map((f) => `${f.replay}\n    ${f.problems.join("\n    ")}`);
      assert.deepEqual(failures, [], `failing seeds replay with:\n${failures.join("\n")}`);
      assert.equal(result.seeds, SEEDS);
      assert.ok(result.faults.crashes >= SEEDS / 2, JSON.stringify(result.faults));
      assert.ok(
        result.faults.restarts > 0 && result.faults.oneWay > 0,
        JSON.stringify(result.faults),
      );
      assert.ok(
        result.faults.partitions > 0 && result.faults.drop > 0,
        JSON.stringify(result.faults),
      );
      // Every command but rpc (its own simulator) takes --skew.
      assert.equal(result.faults.skews > 0, arch !== "rpc", JSON.stringify(result.faults));
    });
  }
}

Deno.test("client-server keeps its promises across crashes only with --durable (the campaign's configuration)", async () => {
  const target = CAMPAIGN_TARGETS["client-server"][0];
  assert.ok(target.args.includes("--durable"));
  // Seeds on which the in-memory server re-executes retransmissions and loses acknowledged
  // writes after a crash; the durable one keeps its data and its reply cache on its disk.
  const inMemory = { "at-most-once": 0, "acknowledged writes": 0 };
  for (const seed of [13, 16, 24, 27]) {
    const { args } = target.draw(seed);
    const durable = await target.run([...args, ...target.args]);
    assert.deepEqual(durable.problems, [], `seed ${seed}`);
    const plain = await target.run([...args, ...target.args.filter((a) => a !== "--durable")]);
    for (const [k, n] of Object.entries(plain.counts)) inMemory[k as keyof typeof inMemory] += n;
  }
  assert.ok(inMemory["at-most-once"] > 0, JSON.stringify(inMemory));
  assert.ok(inMemory["acknowledged writes"] > 0, JSON.stringify(inMemory));
});

Deno.test("runCampaign() reports a broken server with the command that replays its violation", async () => {
  const target = CAMPAIGN_TARGETS["client-server"][0];
  // A server without its reply cache executes every retransmission again.
  const result = await runCampaign(target, 20, { extra: ["--unreliable", "--reply-cache", "0"] });
  const failure = result.failures.find((f) => f.counts["at-most-once"] > 0);
  assert.ok(failure !== undefined, JSON.stringify(result.violations));
  assert.ok(result.violations["at-most-once"] > 0);
  assert.match(failure.replay, /^deno task lab client-server --sim --seed \d+ .*--reply-cache 0$/);
  const [deno, task, lab, arch, ...args] = shellWords(failure.replay);
  assert.deepEqual([deno, task, lab, arch], ["deno", "task", "lab", "client-server"]);
  // In-process, the replay breaks the same invariant the same way, on the same trace.
  const again = await target.run(args);
  assert.deepEqual(again.counts, failure.counts);
  assert.equal(again.digest, failure.digest);
  // And the command itself, as a user runs it, replays the same run.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "lab", arch, ...args, "--json"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const summary = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(summary.traceDigest, failure.digest);
  assert.ok(summary.executed > 0);
});

Deno.test("lab campaign prints the table and each failing seed's replay command, and exits 1", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "lab",
      "campaign",
      "client-server",
      "--seeds",
      "8",
      "--",
      "--unreliable",
      "--reply-cache",
      "0",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 1, text + new TextDecoder().decode(output.stderr));
  assert.match(text, /architecture +seeds +faults +invariant +violations +failing seeds/);
  assert.match(text, /client-server +8 +\d+ +at-most-once +[1-9]\d* +[1-9]/);
  assert.match(text, /\n {4}deno task lab client-server --sim --seed \d+ .*--reply-cache 0\n/);
});

Deno.test("lab campaign exits 0 with no violation, and its JSON names every invariant", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "task",
      "-q",
      "lab",
      "campaign",
      "transactions",
      "--seeds",
      "5",
      "--from",
      "3",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const json = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual([json.seeds, json.first, json.violations], [5, 3, 0]);
  assert.deepEqual(Object.keys(json.architectures[0].violations), [
    "atomicity",
    "conservation",
    "run failed",
  ]);
});

Deno.test("parseCampaignArgs() runs every architecture for all and bounds --seeds", () => {
  const all = parseCampaignArgs(["all"])!;
  assert.equal(all.targets.length, 10);
  assert.equal(all.seeds, 100);
  assert.throws(() => parseCampaignArgs(["all", "--seeds", "100001"]), /at most 100000/);
  assert.throws(() => parseCampaignArgs([]), /name an architecture/);
  assert.equal(parseCampaignArgs(["--help"]), undefined);
});

Deno.test("lab --skew moves a machine's clock in the simulator and is refused on OS processes", async () => {
  const { runJson } = await import("../lab/campaign/_run_json.ts");
  const { runClientServer } = await import("../lab/client_server/command.ts");
  const plain = await runJson(runClientServer, ["--sim"]);
  const skewed = await runJson(runClientServer, ["--sim", "--skew", "m1.lab:-20:0.05"]);
  assert.notEqual(skewed.summary.traceDigest, plain.summary.traceDigest);
  assert.equal(skewed.summary.errors, 0);
  await assert.rejects(
    () => runClientServer(["--skew", "m1.lab:5", "--quiet"]),
    /Cannot use --skew without --sim/,
  );
  await assert.rejects(
    () => runClientServer(["--sim", "--skew", "m1.lab"]),
    /write "m1.lab:OFFSET"/,
  );
});

Deno.test("lab group ends when the membership service's clock runs slow", async () => {
  // The service waited `nextCheck - now()` and compared again: on a slow clock each wait fell
  // short and the next was shorter, until virtual time stopped (a livelock, out of memory).
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "lab/main.ts",
      "group",
      "--sim",
      "--seed",
      "16",
      "--order",
      "fifo",
      "--crash",
      "m3.lab@236..263",
      "--skew",
      "g0.lab:-23:-0.034",
      "--skew",
      "m1.lab:0:-0.05",
      "--json",
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const summary = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.deepEqual([summary.partial, summary.violations.fifo], [0, 0]);
});

Deno.test("drawSkews() draws slow clocks as well as fast ones", () => {
  const random = createRandom(5);
  const drifts = Array.from({ length: 200 }, () => drawSkews(random, ["m1.lab", "m2.lab"])).flat()
    .map((skew) => Number(skew.split(":")[2]));
  assert.ok(drifts.some((d) => d < -0.01) && drifts.some((d) => d > 0.01), String(drifts));
  assert.ok(drifts.every((d) => Math.abs(d) <= 0.05), String(drifts));
});
