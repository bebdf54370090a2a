import assert from "node:assert/strict";
import { runGroup } from "../lab/group.ts";
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
