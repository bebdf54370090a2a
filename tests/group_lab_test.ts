import assert from "node:assert/strict";
import { groupRun } from "../lab/group/_run.ts";
import { parseGroupArgs, runGroup } from "../lab/group/command.ts";
import { assertSummaryKeys, captureLog } from "./_lab.ts";

const lab = (args: string[]) => captureLog(runGroup, args);

Deno.test({
  name: "runGroup() --json reports the order checker's verdict in the simulator",
  async fn() {
    const total = await lab(["--sim", "--json", "--order", "total", "--reorder", "0.5"]);
    assert.equal(total.code, 0);
    const summary = JSON.parse(total.out.at(-1)!);
    assert.equal(summary.architecture, "group");
    assert.equal(summary.order, "total");
    assert.deepEqual(summary.violations, { fifo: 0, causal: 0, total: 0 });
    assert.equal(summary.requests, 20);
    assertSummaryKeys(summary);
    // The view checker's keys: four members (one incarnation each), none left behind.
    assert.deepEqual([summary.incarnations, summary.excluded, summary.stranded], [4, [], []]);
    assert.ok(summary.views >= 2, `latest view ${summary.views}`);
    const none = await lab([
      "--sim",
      "--json",
      "--order",
      "none",
      "--unreliable",
      "--reorder",
      "0.5",
    ]);
    const unordered = JSON.parse(none.out.at(-1)!);
    assert.ok(unordered.violations.fifo > 0 && unordered.violations.total > 0, none.out.at(-1));
  },
});

Deno.test({
  name: "runGroup() prints each member's delivery sequence and the verdict",
  async fn() {
    const { code, out } = await lab([
      "--sim",
      "-q",
      "--order",
      "fifo",
      "--members",
      "3",
      "--messages",
      "2",
    ]);
    assert.equal(code, 0);
    const text = out.join("\n");
    assert.match(text, /p1@m1\.lab .* 6 delivered: /);
    assert.match(text, /PASS: --order fifo promises fifo order/);
  },
});

Deno.test("runGroup() rejects an unknown order with a usage error", async () => {
  await assert.rejects(() => runGroup(["--order", "fast"]), /Cannot use --order "fast"/);
});

/** Issue 15's schedules: members ended in different views, or with partial deliveries. */
const ISSUE_15: readonly string[][] = [
  "--seed 69 --order fifo --drop 0.211 --reorder 0.078 --partition m4.lab->m3.lab@26..90 --crash m2.lab@67..114",
  "--order total --seed 474 --drop 0.139 --reorder 0.260 --crash m1.lab@64..75",
  "--order total --seed 532 --drop 0.015 --dup 0.190 --reorder 0.169 --partition g0.lab|m2.lab@55..106 --crash m1.lab@17..85",
].map((line) => line.split(" "));

Deno.test("runGroup() keeps every promise in issue 15's schedules of a crash and restart", async () => {
  for (const args of ISSUE_15) {
    const { code, out } = await lab(["--sim", "--json", ...args]);
    const summary = JSON.parse(out.at(-1)!);
    const order = summary.order as "fifo" | "total";
    assert.equal(code, 0, `${args.join(" ")}: ${out.at(-1)}`);
    assert.equal(summary.violations[order], 0);
    assert.equal(summary.partial, 0);
    assert.equal(summary.duplicates, 0);
    assert.deepEqual([summary.stranded, summary.excluded], [[], []]);
  }
});

Deno.test("groupRun() delivers a restarted member's multicasts to every member that stays", async () => {
  const run = await groupRun(parseGroupArgs(["--sim", "-q", ...ISSUE_15[0]])!);
  const restarted = run.reports.find((r) => r.member === "p2@m2.lab")!;
  assert.equal(restarted.multicasts, 5);
  const stream = `p2@m2.lab#${restarted.incarnation}`;
  for (const r of run.reports) {
    const got = r.deliveries.filter((d) => d.stream === stream).map((d) => d.index);
    assert.deepEqual(got, [1, 2, 3, 4, 5], `${r.member} delivered ${got} of ${stream}`);
  }
});
