/**
 * `--reorder` on OS processes: the fault stage of the real networks holds a frame back (up to
 * three times the `--delay` bound) so that later frames overtake it. Without the reliable channel
 * the reorderings reach the processes and show in the trace; with it every message is delivered
 * once and in order. Without `--delay` the flag is refused before the run (real sockets add no
 * latency to hold a frame back by).
 * @module
 */
import { channelFidelity } from "../core/channel_fidelity.ts";
import { launch, type LaunchResult } from "../lab/run/launch.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { captureMain, runLab } from "./_lab.ts";
import { BURST } from "./_burst_system.ts";

const BURST_SYSTEM = new URL("./_burst_system.ts", import.meta.url);
const toSink = { include: (e: { to?: string }) => e.to === "sink@m1.lab" };

/** The order the sink logged it got the burst in. */
function sinkOrder(result: LaunchResult): number[] {
  const log = result.trace.events.find((e) => e.ev === "log" && e.at === "sink@m1.lab");
  if (log?.note === undefined) throw new Error("Cannot read the sink's order: it logged nothing");
  return JSON.parse(log.note.slice("got ".length));
}

// A constant latency keeps the frames in order by itself: what overtakes is what --reorder holds.
const burst = (reliable: boolean, reorder = 0.5) =>
  launch(BURST_SYSTEM, {
    reliable,
    reorder,
    latency: { kind: "constant", ms: 2 },
    seed: 3,
    quiet: 300,
  });

Deno.test("--reorder on OS processes: without the reliable channel the trace shows reorderings", async () => {
  const still = channelFidelity((await burst(false, 0)).trace.events, toSink);
  assertEquals([still.sent, still.reordered], [BURST, 0]);
  const result = await burst(false);
  assertEquals(result.transport, "tcp");
  const fidelity = channelFidelity(result.trace.events, toSink);
  assertEquals([fidelity.sent, fidelity.lost, fidelity.duplicated], [BURST, 0, 0]);
  assertTrue(fidelity.reordered > 0, `no reordering reached the sink: ${JSON.stringify(fidelity)}`);
  const order = sinkOrder(result);
  assertEquals([...order].sort((a, b) => a - b), [...Array(BURST).keys()]);
  assertTrue(order.some((n, i) => n !== i), "the sink got the burst in order");
});

Deno.test("--reorder on OS processes: the reliable channel delivers every message once, in order", async () => {
  const result = await burst(true);
  assertEquals(result.transport, "tcp");
  assertEquals(sinkOrder(result), [...Array(BURST).keys()]);
  const fidelity = channelFidelity(result.trace.events, toSink);
  assertEquals([fidelity.lost, fidelity.duplicated, fidelity.reordered], [0, 0, 0]);
});

Deno.test("lab run --reorder runs on OS processes with --delay, and is refused without it", async () => {
  const file = BURST_SYSTEM.pathname;
  const ok = await runLab("run", file, "--reorder", "0.5", "--delay", "2..2", "--json");
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals(JSON.parse(ok.stdout).transport, "tcp");
  const bad = await captureMain(["run", file, "--reorder", "0.5"]);
  assertEquals(bad.code, 2);
  assertTrue(
    bad.err.join("\n").includes("Cannot use --reorder on OS processes without --delay"),
    bad.err.join("\n"),
  );
  await assertRejects(
    () => launch(BURST_SYSTEM, { reorder: 0.5 }),
    TypeError,
    "Cannot launch on real sockets with reorder and no latency",
  );
});
