/**
 * `deno task lab transactions`: the summary keys, the invariant, blocking when the coordinator
 * crashes after the votes, the same run from the same seed, and real OS processes whose stable
 * storage is a SQLite file that survives SIGKILL.
 * @module
 */
import { UsageError } from "../lab/_common.ts";
import { runTransactions } from "../lab/transactions/command.ts";
import { parseTransactions, transactionMachines } from "../lab/transactions/_plan.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";
import { assertSummaryKeys, captureLog, captureMain } from "./_lab.ts";

const lab = (args: string[]) => captureLog(runTransactions, args);

async function json(args: string[]): Promise<Record<string, unknown>> {
  const { code, out } = await lab(["--json", ...args]);
  const summary = JSON.parse(out.at(-1)!);
  assertEquals(code, summary.invariantHolds ? 0 : 1);
  return summary;
}

Deno.test("runTransactions() --json reports commits, aborts and the invariant", async () => {
  const summary = await json(["--sim", "--seed", "4"]);
  assertSummaryKeys(summary);
  for (const key of ["commits", "aborts", "blockedMs", "invariantHolds"]) {
    assertTrue(key in summary, key);
  }
  assertEquals(summary.architecture, "transactions");
  assertEquals(summary.invariantHolds, true);
  assertEquals(summary.total, 600);
  assertTrue((summary.commits as number) > 0);
  assertEquals((summary.commits as number) + (summary.aborts as number), summary.requests);
  assertEquals((await json(["--sim", "--seed", "4"])).traceDigest, summary.traceDigest);
});

Deno.test("runTransactions() --crash-coordinator-after-votes shows blocking and recovery", async () => {
  const logged = await json(["--sim", "--crash-coordinator-after-votes", "--down", "1500"]);
  assertEquals(logged.invariantHolds, true);
  assertTrue(typeof logged.coordinatorCrashedAt === "number");
  assertTrue((logged.blockedMs as number) >= 1400, `blocked ${logged.blockedMs} ms`);
  const unlogged = await json(["--sim", "--crash-coordinator-after-votes", "--before-log"]);
  assertEquals(unlogged.invariantHolds, true);
  assertTrue((unlogged.decisions as { abort: number }).abort >= 1);
  const { code, out } = await lab(["--sim", "--crash-coordinator-after-votes"]);
  assertEquals(code, 0);
  const text = out.join("\n");
  assertTrue(
    /bank@p\d\.lab blocked: in doubt about tm@coord\.lab#1\.\d+ .* holding locks/.test(text),
  );
  assertTrue(text.includes("*** RESTART"));
  assertTrue(text.includes("all-or-nothing holds => PASS"), text.slice(-600));
});

Deno.test("runTransactions() --sim with a branch crashed for good counts its balances from its disk, not as money lost", async () => {
  // It printed "total 400 (expected 600) ... transactions still running => FAIL", as if the
  // crashed branch's 200 had vanished: its committed balances stay on its (simulated) disk.
  const { code, out } = await lab(["--sim", "--seed", "3", "--crash", "p1.lab@30"]);
  assertEquals(code, 0);
  const text = out.join("\n");
  assertTrue(/^ {2}p1\.lab died at 30 ms \(crashed by --crash\), not restarted$/m.test(text), text);
  assertTrue(
    /bank@p1\.lab: its machine died; its disk \(the simulator keeps it across the crash\), read after the run, holds \{"acct0":-?\d+,"acct1":-?\d+\}/
      .test(text),
    text,
  );
  assertTrue(/^ {2}total with the dead branches' disks: 600 \(expected 600/m.test(text), text);
  // Its log, read from the same disk, completes the audit: all-or-nothing is checked over it.
  assertTrue(
    /^Invariant: total 600 \(expected 600, with what the dead machines' disks hold\); all-or-nothing holds => PASS$/m
      .test(text),
    text,
  );
});

Deno.test("runTransactions() --sim with the coordinator crashed for good checks all-or-nothing against its log on disk", async () => {
  // It printed "all-or-nothing not established: the coordinator lost with its machine => FAIL"
  // although its decisions were on its disk: read after the run, they complete the audit.
  for (const [at, verdict] of [["0", "holds => PASS"], ["40", "holds => PASS"]]) {
    const { code, out } = await lab(["--sim", "--crash", `coord.lab@${at}`]);
    const text = out.join("\n");
    assertTrue(text.includes(`all-or-nothing ${verdict}`), text);
    assertEquals(code, 0, text);
  }
  // Crashed while a participant waited on its vote: that participant stays blocked for good.
  const { code, out } = await lab(["--sim", "--crash", "coord.lab@35"]);
  const text = out.join("\n");
  assertTrue(
    text.includes(
      "all-or-nothing not established: 1 transactions still in doubt (participants blocked) => FAIL",
    ),
    text,
  );
  assertEquals(code, 1);
  const summary = await json(["--sim", "--crash", "coord.lab@40"]);
  assertEquals([summary.invariantHolds, summary.settled], [true, true]);
});

Deno.test("runTransactions() rejects bad flags with a usage error", async () => {
  await assertRejects(() => runTransactions(["--participants", "0"]), UsageError, "--participants");
  await assertRejects(() => runTransactions(["--fast"]), UsageError, "accepted flags");
  assertEquals((await lab(["--help"])).code, 0);
});

Deno.test({
  name: "runTransactions() on OS processes recovers the logged decision from a SQLite file",
  async fn() {
    const summary = await json([
      "--transfers",
      "2",
      "--crash-coordinator-after-votes",
      "--down",
      "300",
    ]);
    assertEquals(summary.transport, "tcp");
    assertEquals(summary.invariantHolds, true);
    assertTrue(typeof summary.coordinatorCrashedAt === "number");
  },
});

Deno.test("transactionMachines() keeps stable storage on each machine's disk unless --data-dir or --db", () => {
  const storageOf = (args: string[]) => {
    const plan = parseTransactions(args, "usage")!;
    return transactionMachines(plan, "tm@coord.lab").flatMap((m) =>
      m.processes.map((p) => {
        const { path, url } = (p.args ?? {}) as { path?: string; url?: string };
        return [m.name, path ?? url ?? "ctx.disk"];
      })
    );
  };
  for (const [, where] of storageOf([])) assertEquals(where, "ctx.disk");
  const kept = Object.fromEntries(storageOf(["--data-dir", "kept"]));
  assertEquals([kept["coord.lab"], kept["p1.lab"]], [
    "kept/coord.lab.sqlite",
    "kept/p1.lab.sqlite",
  ]);
  const url = "postgres://lab@127.0.0.1:5432/bank";
  assertEquals(Object.fromEntries(storageOf(["--db", url]))["p2.lab"], url);
});

Deno.test({
  name: "runTransactions() --data-dir keeps each machine's SQLite file after the run",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const summary = await json(["--transfers", "1", "--data-dir", dir]);
      assertEquals(summary.invariantHolds, true);
      const files = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assertEquals(files.filter((f) => f.endsWith(".sqlite")), [
        "coord.lab.sqlite",
        "p1.lab.sqlite",
        "p2.lab.sqlite",
        "p3.lab.sqlite",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("lab transactions refuses a meaningless or unusable --data-dir before anything runs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a-file`;
    await Deno.writeTextFile(file, "");
    const hosts = `${dir}/hosts`;
    await Deno.writeTextFile(hosts, "ctl.lab 127.0.0.1:0\np1.lab 192.0.2.1:4001\n");
    const cases: [string[], RegExp][] = [
      [["--sim", "--data-dir", dir], /^Cannot use --data-dir: with --sim .*in memory/],
      [["--down", "5"], /^Cannot use --down: it applies with --crash-coordinator-after-votes/],
      [["--before-log"], /^Cannot use --before-log: it applies with --crash-coordinator-after/],
      [["--data-dir="], /^Cannot use --data-dir "": give a folder/],
      [["--data-dir", `${dir}/no/such/x`], new RegExp(`^Cannot keep data in "${dir}/no/such/x"`)],
      [["--data-dir", file], new RegExp(`^Cannot keep data in "${file}": it is a file`)],
      [["--data-dir", "/proc/archlab-x"], /^Cannot keep data in "\/proc\/archlab-x"/],
      [["--data-dir", dir, "--hosts", hosts], /^Cannot use --data-dir with --hosts: p1\.lab runs/],
    ];
    for (const [args, message] of cases) {
      const { code, out, err } = await captureMain(["transactions", "--transfers", "1", ...args]);
      const said = err.join("\n");
      assertEquals(code, 2, `${args.join(" ")}: ${said}`);
      assertTrue(message.test(said), `${args.join(" ")}: ${said}`);
      assertTrue(said.includes("Usage: deno task lab transactions"), said);
      assertTrue(!said.includes("looks like a bug"), said);
      assertEquals(out, [], `${args.join(" ")} ran`);
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["a-file", "hosts"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "lab transactions --data-dir goes on with the bank it holds, and refuses a different one",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const first = await json(["--transfers", "1", "--balance", "50", "--data-dir", dir]);
      assertEquals([first.invariantHolds, first.total], [true, 300]);
      for (const flag of [["--balance", "500"], ["--accounts", "3"], ["--participants", "2"]]) {
        const { code, out, err } = await captureMain([
          "transactions",
          "--data-dir",
          dir,
          ...flag,
        ]);
        const said = err.join("\n");
        assertEquals(code, 2, said);
        assertTrue(
          new RegExp(
            `^Cannot use ${flag.join(" ")} with --data-dir "${dir}": its bank has ${flag[0]} `,
          ).test(said),
          said,
        );
        assertEquals(out, []);
      }
      // Without the flags, the run goes on with the bank the folder holds.
      const again = await json(["--transfers", "1", "--data-dir", dir]);
      assertEquals([again.invariantHolds, again.total], [true, 300]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
