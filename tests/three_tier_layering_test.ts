/**
 * Strict layering: the presentation tier never addresses the data tier, neither in the messages
 * of a run nor in its code's module graph.
 * @module
 */
import assert from "node:assert/strict";
import { machineOf } from "../core/name.ts";
import { deploy } from "../lab/deploy/deploy.ts";
import { messageAgent, threeTierMachines } from "../lab/three_tier/command.ts";
import { runUser } from "../tiers/three_tier/three_tier_workload.ts";

Deno.test("three-tier run: no envelope goes from the presentation machine to the data machine", async () => {
  const deployment = await deploy(
    threeTierMachines({ sim: true, cost: { presentation: 0.2, logic: 0.5, statement: 0.3 } }),
    { sim: true, seed: 3 },
  );
  const done: Promise<unknown>[] = [];
  for (let user = 1; user <= 3; user++) {
    const finished = Promise.withResolvers<void>();
    done.push(finished.promise);
    deployment.spawnControl(`user-${user}`, async (ctx) => {
      await runUser(messageAgent(ctx), { user, durationMs: 1000, thinkMs: 50 });
      finished.resolve();
    });
  }
  await deployment.run(Promise.all(done));
  await deployment.stop();
  const links = new Map<string, number>();
  for (const e of deployment.trace.events) {
    if (e.ev !== "send" || e.from === undefined || e.to === undefined) continue;
    const link = `${machineOf(e.from)} -> ${machineOf(e.to)}`;
    links.set(link, (links.get(link) ?? 0) + 1);
  }
  assert.ok((links.get("web.lab -> logic.lab") ?? 0) > 10, "the presentation calls the logic tier");
  assert.ok((links.get("logic.lab -> data.lab") ?? 0) > 10, "the logic tier calls the data tier");
  assert.equal(links.get("web.lab -> data.lab"), undefined);
  assert.equal(links.get("data.lab -> web.lab"), undefined);
});

Deno.test("presentationTier() code does not import the data tier or SQLite", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "info",
      "--json",
      new URL("../tiers/three_tier/presentation_tier.ts", import.meta.url).pathname,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const modules = graph.modules.map((m) => m.specifier);
  assert.ok(modules.some((m) => m.endsWith("/tiers/three_tier/presentation_app.ts")));
  const forbidden = modules.filter((m) => /data_tier|data_store|node:sqlite|logic_tier/.test(m));
  assert.deepEqual(forbidden, []);
});
