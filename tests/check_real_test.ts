/**
 * `deno task lab check WORKLOAD FILE.ts --real`: the reference nodes of `examples/check/` pass
 * once on real sockets, each node an OS process loading its file, the clients machines of the
 * lab's own process; a node that throws there is an anomaly of the verdict; the flags that
 * choose where a check runs.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { captureLog, captureMain } from "./_lab.ts";
import { runCheck } from "../lab/check/command.ts";

const example = (file: string) => new URL(`../examples/check/${file}`, import.meta.url).pathname;

/** Runs `lab check ... --real --json` in this process; returns the exit code and the verdict. */
async function checkReal(...args: string[]) {
  const { code, out } = await captureLog(runCheck, [...args, "--real", "--json"]);
  assertEquals(out.length, 1, out.join("\n"));
  return { code, report: JSON.parse(out[0]) };
}

const REFERENCE: [string, string, string[]][] = [
  ["echo", "echo.ts", ["--ops", "30"]],
  ["unique-ids", "unique_ids.ts", ["--ops", "60"]],
  ["broadcast", "broadcast.ts", ["--ops", "40"]],
  ["g-counter", "g_counter.ts", ["--ops", "40"]],
  // Linearizable whatever the timing: partitions and pauses on real sockets too.
  ["lin-kv", "lin_kv.ts", [
    "--ops",
    "150",
    "--nemesis",
    "partition,pause",
    "--nemesis-interval",
    "300",
  ]],
];

for (const [workload, file, flags] of REFERENCE) {
  Deno.test(`runCheck() --real passes the reference ${workload} node on real sockets`, async () => {
    const { code, report } = await checkReal(workload, example(file), ...flags);
    assertEquals([report.valid, report.anomalies], [true, []], JSON.stringify(report));
    assertEquals(code, 0);
    assertEquals([report.workload, report.transport], [workload, "tcp"]);
    const ops = Number(flags[flags.indexOf("--ops") + 1]);
    assertEquals(report.ops, ops);
    assertEquals(report.ok + report.failed + report.indeterminate, ops);
    assertTrue(report.ok > 0, JSON.stringify(report));
    if (workload === "lin-kv") {
      assertTrue(report.msgsPerOp > 0, "the replicas talk to each other");
      assertTrue(report.nemesis.length > 0, "faults were injected");
    }
  });
}

Deno.test("runCheck() --real reports a node that throws as an anomaly, exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "archlab-check-" });
  try {
    await Deno.writeTextFile(
      `${dir}/thrower.ts`,
      `export const node = async (ctx) => {
        for (;;) {
          const m = await ctx.receive();
          if (m.body.kind === "echo") throw new Error("echo broke");
        }
      };`,
    );
    const { code, report } = await checkReal("echo", `${dir}/thrower.ts`, "--ops", "6");
    assertEquals([code, report.valid], [1, false]);
    const failed = report.anomalies.find((a: { type: string }) => a.type === "node-failed");
    assertTrue(failed?.message.includes("echo broke"), JSON.stringify(report.anomalies));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lab check says where it runs: the simulator by default, --real for OS processes", async () => {
  const help = (await captureMain(["check", "--help"])).out.join("\n");
  assertTrue(help.includes("Runs on: the deterministic simulator by default"), help);
  assertTrue(/^ {2}--real {2,}run on real sockets/m.test(help), help);
  for (
    const [flags, message] of [
      [["--real", "--sim"], "Cannot use --real with --sim"],
      [["--real", "--reorder", "0.1"], "Cannot use --reorder"],
      // A client lives in the lab's own process: it cannot crash alone.
      [["--real", "--crash", "c1.lab@100"], 'machine "c1.lab" is not in this run'],
    ] as const
  ) {
    const { code, err } = await captureMain(["check", "echo", example("echo.ts"), ...flags]);
    assertEquals(code, 2, err.join("\n"));
    assertTrue(err.join("\n").includes(message), err.join("\n"));
  }
  // In the simulator (the default) reordering needs no --sim.
  const { code, out } = await captureLog(runCheck, [
    "echo",
    example("echo.ts"),
    "--ops",
    "10",
    "--reorder",
    "0.3",
    "--json",
  ]);
  assertEquals([code, JSON.parse(out[0]).transport], [0, "sim"]);
});
