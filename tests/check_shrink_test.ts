/**
 * `lab check --shrink`: a failing simulated run with dozens of faults (frames lost and
 * duplicated by probability, the nemesis' partitions) shrinks to a schedule of a few faults and
 * a smaller workload that still fails the same way; the printed flags replay the failure, and
 * removing any one fault of the minimal schedule makes the run pass.
 * @module
 */
import { runCheck } from "../lab/check/command.ts";
import { UsageError } from "../lab/_common.ts";
import { type Fault, faultFlags } from "../lab/shrink/fault_schedule.ts";
import type { ShrinkOutcome } from "../lab/check/_shrink_command.ts";
import { captureLog } from "./_lab.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

const LOSSY = new URL("../examples/check/broadcast_lossy.ts", import.meta.url).pathname;
const BASE = [
  "broadcast",
  LOSSY,
  "--node-count",
  "5",
  "--unreliable",
  "--drop",
  "0.05",
  "--dup",
  "0.05",
];

/** The parts of the JSON report these tests read. */
interface Report {
  readonly anomalies: { readonly type: string }[];
  readonly shrink: ShrinkOutcome;
}

async function check(args: string[]): Promise<{ code: number; report: Report }> {
  const { code, out } = await captureLog(runCheck, [...args, "--json"]);
  return { code, report: JSON.parse(out[0]) };
}

/** The replay arguments: the command's own, the minimal run's flags in place of its faults. */
function replayArgs(flags: readonly string[]): string[] {
  return [...BASE, ...flags];
}

Deno.test("lab check --shrink reduces many faults to a few that still fail, and its flags replay the failure", async () => {
  const failing = [...BASE, "--nemesis", "partition", "--seed", "1", "--ops", "40"];
  const { code, report } = await check([...failing, "--shrink"]);
  assertEquals(code, 1);
  const shrink = report.shrink;
  assertTrue(shrink.from.faults >= 20, `the failing run had ${shrink.from.faults} faults`);
  assertTrue(shrink.faults.length <= 3, JSON.stringify(shrink.faults));
  assertTrue(shrink.ops! < 40 && shrink.minimal, JSON.stringify(shrink));
  assertEquals(shrink.anomaly, "lost-message");
  assertTrue(shrink.command.includes("--frame-faults"), shrink.command);

  const replay = await check(replayArgs(shrink.flags));
  assertEquals(replay.code, 1);
  assertTrue(replay.report.anomalies.some((a) => a.type === "lost-message"));

  // 1-minimal: without any single one of its faults, the run passes.
  for (const [i] of shrink.faults.entries()) {
    const fewer: Fault[] = shrink.faults.filter((_, j) => j !== i);
    const sizes = ["--ops", String(shrink.ops), "--concurrency", String(shrink.concurrency)];
    const without = await check(replayArgs(["--seed", "1", ...faultFlags(fewer), ...sizes]));
    assertEquals(without.code, 0, `without fault ${i + 1} the run still fails`);
  }
});

Deno.test("lab check refuses --shrink with --real", async () => {
  await assertRejects(
    () => runCheck(["echo", LOSSY, "--real", "--shrink"]),
    UsageError,
    "Cannot use --shrink with --real",
  );
});
