/**
 * `lab rpc --lose-unsynced P`: a crash also loses the client machine's unsynced disk writes, and
 * the orphan remedies still hold, because each keeps what it needs (extermination's call log, the
 * epoch) synced before a call leaves.
 * @module
 */
import assert from "node:assert/strict";
import { runRpc } from "../lab/rpc/command.ts";
import { captureLog } from "./_lab.ts";

interface PolicyFigures {
  readonly orphans: number;
  readonly killed: number;
  readonly lateReplies: number;
  readonly completed: number;
  readonly failed: number;
}

Deno.test("lab rpc --lose-unsynced 1 loses unsynced writes on crashes and every remedy still kills its orphans", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const crashes = ["--crash", "c1.lab@150..170", "--crash", "c1.lab@330..350"];
    const { code, out } = await captureLog(runRpc, [
      "--json",
      "--lose-unsynced",
      "1",
      ...crashes,
      "--trace",
      `${dir}/rpc.jsonl`,
    ]);
    assert.equal(code, 0, out.join("\n"));
    const summary = JSON.parse(out.at(-1)!) as {
      errors: number;
      policies: Record<string, PolicyFigures>;
    };
    assert.equal(summary.errors, 0);
    const trace = await Deno.readTextFile(`${dir}/rpc.extermination.jsonl`);
    assert.match(
      trace,
      /"at":"c1.lab","note":"disk lost \d+ unsynced writes? \(fault\)"/,
      "the fault was not applied",
    );
    for (const [policy, figures] of Object.entries(summary.policies)) {
      assert.equal(figures.completed, 8, policy);
      assert.equal(figures.failed, 0, policy);
      if (policy === "none") continue;
      assert.ok(figures.orphans >= 1, `${policy}: ${figures.orphans} orphans`);
      assert.equal(figures.killed, figures.orphans, `${policy} left an orphan running`);
      assert.equal(figures.lateReplies, 0, policy);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
