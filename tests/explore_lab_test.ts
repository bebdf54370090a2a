/**
 * `lab explore ARCH`: the broken variants' shortest counterexamples, printed with a replay
 * command that replays them; the correct two-phase commit exhausted; bad input named.
 * @module
 */
import { runExplore } from "../lab/explore/command.ts";
import { UsageError } from "../lab/_common.ts";
import { captureLog } from "./_lab.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

/** The arguments of a printed replay command (`deno task lab explore ...`). */
function replayArgs(line: string): string[] {
  const m = /^replay: deno task lab explore (.*) --choices '([^']*)'$/.exec(line);
  if (!m) throw new Error(`no replay command in ${JSON.stringify(line)}`);
  return [...m[1].split(" "), "--choices", m[2]];
}

Deno.test("lab explore 2pc exhausts the correct protocol and finds none", async () => {
  const { code, out } = await captureLog(runExplore, ["2pc", "--json"]);
  const report = JSON.parse(out[0]);
  assertEquals(code, 0);
  assertEquals(report.exhausted, true);
  assertEquals(report.violation, null);
  assertTrue(report.distinct > 100, out[0]);
});

for (const arch of ["2pc", "client-server", "reliable-channel"]) {
  Deno.test(`lab explore ${arch} --broken prints the shortest counterexample and a replay that fails the same way`, async () => {
    const trace = await Deno.makeTempFile({ suffix: ".jsonl" });
    try {
      const run = await captureLog(runExplore, [arch, "--broken", "--trace", trace]);
      const code = run.code, out = run.out.join("\n").split("\n");
      assertEquals(code, 1);
      const violation = out.find((l) => l.startsWith("VIOLATION: "))!;
      assertTrue(violation !== undefined, out.join("\n"));
      const events = (await Deno.readTextFile(trace)).trim().split("\n").map((l) => JSON.parse(l));
      assertTrue(events.some((e) => e.ev === "deliver"), "the trace has the deliveries");
      const replay = await captureLog(runExplore, replayArgs(out.at(-1)!));
      assertEquals(replay.code, 1);
      assertTrue(replay.out.includes(violation), replay.out.join("\n"));
    } finally {
      await Deno.remove(trace);
    }
  });
}

Deno.test("lab explore names an unknown architecture and a bad bound", async () => {
  await assertRejects(
    () => runExplore(["2p"]),
    UsageError,
    'Cannot explore "2p": unknown architecture; did you mean "2pc"?',
  );
  await assertRejects(
    () => runExplore(["2pc", "--depth", "0"]),
    UsageError,
    'Cannot use --depth "0"',
  );
  const { out } = await captureLog(runExplore, ["--help"]);
  assertTrue(out[0].includes("deno task lab explore 2pc --broken"), out[0]);
});

Deno.test("lab explore reliable-channel finds the core's channel FIFO and duplicate-free within its bounds", async () => {
  const { code, out } = await captureLog(runExplore, ["reliable-channel", "--json"]);
  const report = JSON.parse(out[0]);
  assertEquals(code, 0);
  assertEquals(report.violation, null);
  assertTrue(report.distinct > 1000, `explored ${report.distinct} distinct states`);
});
