/**
 * `--shrink` on an architecture's simulated run: a client-server run that fails under heavy
 * loss (35 frames lost or duplicated) shrinks to the few losses that still fail it, 1-minimal,
 * printed as flags that replay the failure; `--frame-faults` hits exactly the frames named.
 * @module
 */
import { faultFlags } from "../lab/shrink/fault_schedule.ts";
import type { CommandShrink } from "../lab/shrink/shrink_command.ts";
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureMain } from "./_lab.ts";

const RUN = [
  "client-server",
  "--sim",
  "--unreliable",
  "--drop",
  "0.3",
  "--dup",
  "0.2",
  "--requests",
  "8",
  "--clients",
  "3",
];

async function json(args: string[]): Promise<{ code: number; summary: Record<string, unknown> }> {
  const { code, out } = await captureMain([...args, "--json"]);
  return { code, summary: JSON.parse(out.at(-1)!) };
}

Deno.test("lab client-server --sim --shrink reduces the losses to a 1-minimal failing schedule that its flags replay", async () => {
  const { code, summary } = await json([...RUN, "--shrink"]);
  assertEquals(code, 1);
  assertTrue((summary.errors as number) > 0, "the run has failed requests");
  const shrink = summary.shrink as CommandShrink;
  assertTrue(shrink.from.faults >= 20, `the failing run had ${shrink.from.faults} faults`);
  assertTrue(shrink.faults.length < shrink.from.faults / 3, JSON.stringify(shrink.faults));
  assertTrue(shrink.minimal);
  const base = RUN.filter((a, i) =>
    !["--requests", "--clients"].includes(a) && !["--requests", "--clients"].includes(RUN[i - 1])
  );
  const sizes = Object.entries(shrink.sizes).flatMap(([flag, v]) => [`--${flag}`, String(v)]);
  const replay = await json([...base, ...shrink.flags]);
  assertEquals(replay.code, 1);
  assertTrue((replay.summary.errors as number) > 0);
  // Without any one of its faults, the run passes.
  for (const [i] of shrink.faults.entries()) {
    const fewer = shrink.faults.filter((_, j) => j !== i);
    const run = await json([...base, ...faultFlags(fewer), ...sizes]);
    assertEquals(run.code, 0, `without fault ${i + 1} the run still fails`);
  }
});

Deno.test("lab --frame-faults none loses no frame whatever --drop draws, and --shrink needs --sim", async () => {
  const { code, summary } = await json([...RUN, "--frame-faults", "none"]);
  assertEquals(code, 0);
  assertEquals(summary.errors, 0);
  const refused = await captureMain(["client-server", "--shrink"]);
  assertEquals(refused.code, 2);
  assertTrue(
    refused.err.join("\n").includes("Cannot use --shrink without --sim"),
    refused.err.join("\n"),
  );
});
