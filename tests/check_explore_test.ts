/**
 * `lab check WORKLOAD FILE.ts --explore`: a correct node is valid in every schedule of the tiny
 * configuration, a racy one is caught with its shortest counterexample, and the printed replay
 * command fails the same way; flags that do not fit exploration are refused by name.
 * @module
 */
import { runCheck } from "../lab/check/command.ts";
import { UsageError } from "../lab/_common.ts";
import { captureLog } from "./_lab.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

const ECHO = new URL("../examples/check/echo.ts", import.meta.url).pathname;
const RACY = new URL("./testdata/check/unique_ids_racy.ts", import.meta.url).pathname;

Deno.test("lab check echo --explore is valid in every schedule, and says it exhausted them", async () => {
  const { code, out } = await captureLog(runCheck, ["echo", ECHO, "--explore", "--json"]);
  const report = JSON.parse(out[0]);
  assertEquals(code, 0);
  assertEquals(report.valid, true);
  assertEquals(report.explore.exhausted, true);
  assertTrue(report.explore.runs > 1, out[0]);
});

Deno.test("lab check unique-ids --explore catches a racy node and its replay fails the same way", async () => {
  const args = ["unique-ids", RACY, "--explore", "--node-count", "1"];
  const { code, out } = await captureLog(runCheck, [...args, "--json"]);
  const report = JSON.parse(out[0]);
  assertEquals(code, 1);
  assertTrue(report.violation.message.startsWith("duplicate-id"), out[0]);
  const m = /--choices '([^']*)'$/.exec(report.violation.replay)!;
  assertEquals(m[1].split(";"), report.violation.choices);
  const trace = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    const replay = await captureLog(runCheck, [...args, "--choices", m[1], "--trace", trace]);
    assertEquals(replay.code, 1);
    assertTrue(
      replay.out.some((l) => l.startsWith("INVALID: duplicate-id")),
      replay.out.join("\n"),
    );
    assertTrue((await Deno.readTextFile(trace)).includes('"ev":"deliver"'));
  } finally {
    await Deno.remove(trace);
  }
});

Deno.test("lab check --explore refuses what exploration cannot judge or chooses itself", async () => {
  await assertRejects(
    () => runCheck(["broadcast", ECHO, "--explore"]),
    UsageError,
    'Cannot explore workload "broadcast"',
  );
  await assertRejects(
    () => runCheck(["echo", ECHO, "--explore", "--nemesis", "crash"]),
    UsageError,
    "Cannot use --nemesis with --explore",
  );
  await assertRejects(
    () => runCheck(["echo", ECHO, "--depth", "3"]),
    UsageError,
    "Cannot use --depth without --explore",
  );
});
