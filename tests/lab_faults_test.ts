/**
 * Fault flags never break the lab itself: every architecture, under many combinations of
 * injected faults, ends with a summary and an exit code; the lab's own bookkeeping (reports,
 * counters on ctl.lab) is never lost to them nor counted as the architecture's traffic; and a run
 * that fails still writes the trace so far where --trace asked.
 * @module
 */
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { assertSummaryKeys, captureMain, runLab } from "./_lab.ts";
import { MachineProcessError, RunStalledError } from "../lab/deploy/run_errors.ts";
import { deploy } from "../lab/deploy/deploy.ts";

const HEAT = new URL("../examples/heat_diffusion.ts", import.meta.url).pathname;

/** Each architecture with a small workload, its serving machine and another of its machines. */
const ARCHITECTURES: Readonly<Record<string, { args: string[]; server: string; other: string }>> = {
  "client-server": {
    args: ["--clients", "2", "--requests", "4"],
    server: "m1.lab",
    other: "m2.lab",
  },
  proxy: { args: ["--clients", "2", "--requests", "5"], server: "origin.lab", other: "c1.lab" },
  "three-tier": {
    args: ["--users", "2", "--duration", "400"],
    server: "data.lab",
    other: "web.lab",
  },
  "mobile-agent": {
    args: ["--nodes", "2", "--rows", "200", "--selectivity", "0.5"],
    server: "n1.lab",
    other: "n2.lab",
  },
  p2p: { args: ["--peers", "5", "--rounds", "20"], server: "p0.lab", other: "p1.lab" },
  group: { args: ["--members", "3", "--messages", "2"], server: "g0.lab", other: "m1.lab" },
  rpc: {
    args: ["--policy", "gentle", "--calls", "2", "--work", "20"],
    server: "s1.lab",
    other: "c1.lab",
  },
  transactions: {
    args: ["--participants", "2", "--clients", "1", "--transfers", "2"],
    server: "coord.lab",
    other: "p1.lab",
  },
  spmd: { args: ["-n", "2", HEAT], server: "rank0.lab", other: "rank1.lab" },
};

/** Ten combinations of fault flags, naming an architecture's serving and another machine. */
function combinations(server: string, other: string): string[][] {
  return [
    ["--drop", "0.3"],
    ["--unreliable", "--drop", "0.3"],
    ["--dup", "0.3", "--reorder", "0.5"],
    ["--unreliable", "--dup", "0.5", "--reorder", "0.5", "--delay", "1..20"],
    ["--delay", "200..400", "--drop", "0.1", "--seed", "3"],
    ["--crash", `${server}@10`],
    ["--crash", `${server}@10..200`, "--drop", "0.2"],
    ["--partition", `${server}|${other}@0..300`, "--crash", `${other}@50..150`],
    ["--partition", `${other}->${server}@5`, "--unreliable"],
    ["--unreliable", "--drop", "0.9", "--seed", "9"],
  ];
}

for (const [architecture, setup] of Object.entries(ARCHITECTURES)) {
  Deno.test(`main() ends ${architecture} under ten fault combinations with a summary and 0 or 1`, async () => {
    for (const faults of combinations(setup.server, setup.other)) {
      const args = [architecture, "--sim", "--json", ...faults, ...setup.args];
      const { code, out, err } = await captureMain(args);
      const line = `lab ${args.join(" ")}`;
      assertTrue(code === 0 || code === 1, `${line} exited ${code}: ${err.join("\n")}`);
      const json = out.findLast((l) => l.startsWith("{"));
      assertTrue(json !== undefined, `${line} printed no summary: ${err.join("\n")}`);
      assertSummaryKeys(JSON.parse(json));
    }
  });
}

Deno.test("lab client-server --sim --unreliable --drop 0.3 prints its summary: losses are the result", async () => {
  const { code, stdout, stderr } = await runLab(
    "client-server",
    "--sim",
    "--unreliable",
    "--drop",
    "0.3",
  );
  assertTrue(code === 0 || code === 1, stderr);
  assertTrue(!stderr.includes("Uncaught"), stderr);
  assertTrue(/^errors +\d+$/m.test(stdout) && stdout.includes("at-most-once"), stdout);
});

Deno.test("main() keeps the lab's bookkeeping out of the user figures, in the simulator too", async () => {
  // No requests: what is left on the wire is the clients' reports and the server's counters.
  const { code, out } = await captureMain([
    "client-server",
    "--sim",
    "--json",
    "--requests",
    "0",
    "--bad-requests",
    "0",
    "--unreliable",
    "--drop",
    "1",
  ]);
  const summary = JSON.parse(out[0]);
  assertEquals(code, 0);
  assertEquals([summary.messages, summary.bytes, summary.frames], [0, 0, 0]);
  assertEquals(summary.executed, 0, "the server's counters arrive through a 100% loss");
});

Deno.test("lab client-server over TCP hears every report despite injected loss on the nodes", async () => {
  const { code, stdout, stderr } = await runLab(
    "client-server",
    "--json",
    "--requests",
    "0",
    "--bad-requests",
    "0",
    "--drop",
    "1",
  );
  assertEquals(code, 0, stderr);
  const summary = JSON.parse(stdout);
  assertEquals([summary.messages, summary.bytes, summary.unfinished], [0, 0, []]);
  assertEquals(summary.executed, 0);
});

Deno.test("lab client-server gives a partial summary when a client's machine is gone for good", async () => {
  const { code, stdout } = await runLab(
    "client-server",
    "--sim",
    "-q",
    "--crash",
    "m2.lab@1",
  );
  assertEquals(code, 1);
  assertTrue(stdout.includes("Partial summary: the run did not finish"), stdout);
  assertTrue(
    stdout.includes("c1@m2.lab: no report (its machine crashed at 1 ms for good)"),
    stdout,
  );
});

Deno.test("Deployment.run() in the simulator writes the trace so far when the run stalls", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/stalled.jsonl`;
    const deployment = await deploy([
      { name: "m1.lab", processes: [{ name: "kv", program: "kv-server" }] },
    ], { sim: true, traceFile: file });
    deployment.spawnControl("waiter", async (ctx) => {
      await ctx.send("kv@m1.lab", { kind: "stats" });
      await ctx.receive({ kind: "never" });
    });
    const error = await assertRejects(
      () => deployment.run(new Promise(() => {})),
      RunStalledError,
      "went quiet",
    );
    assertEquals((error as RunStalledError).reason, "quiet");
    const events = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
    assertTrue(events.some((e) => e.ev === "send" && e.to === "kv@m1.lab"), "trace so far");
    await deployment.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Deployment.run() on OS processes fails when a machine's process throws, keeping the trace", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/failed.jsonl`;
    // A client given a malformed server name throws on its first request, on its own machine.
    const deployment = await deploy([{
      name: "m1.lab",
      processes: [{ name: "c1", program: "kv-client", args: { server: "no such name!" } }],
    }], { traceFile: file });
    try {
      const error = await assertRejects(
        () => deployment.run(new Promise(() => {})),
        MachineProcessError,
        'process "c1@m1.lab" failed',
      );
      assertEquals((error as MachineProcessError).machine, "m1.lab");
    } finally {
      await deployment.stop();
    }
    const events = (await Deno.readTextFile(file)).trim().split("\n").map((l) => JSON.parse(l));
    assertTrue(
      events.some((e) => e.ev === "log" && e.at === "c1@m1.lab" && e.note.startsWith("error:")),
      JSON.stringify(events),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
