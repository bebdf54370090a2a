/**
 * How `lab check` runs a node: the init message, the pause (the node sees nothing until it
 * resumes, then everything that arrived), msgs/op counting only messages between nodes, the
 * nemesis windows, and the final reads once the faults have healed.
 * @module
 */
import { assertEquals, assertTrue } from "./_assert.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import type { ProcessFn } from "../core/process.ts";
import { checkClient } from "../lab/check/client.ts";
import { echoWorkload } from "../lab/check/echo_workload.ts";
import { gCounterWorkload } from "../lab/check/g_counter_workload.ts";
import { History } from "../lab/check/history.ts";
import { nemesis, type NemesisEvent } from "../lab/check/nemesis.ts";
import { harnessed, NodeHarness } from "../lab/check/node_harness.ts";
import { simulateCheck } from "../lab/check/simulate.ts";

const echo: ProcessFn = async (ctx) => {
  for (;;) {
    const m = await ctx.receive<{ kind: string; echo?: unknown }>();
    if (m.body.kind === "echo") await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
  }
};

Deno.test("harnessed() holds a paused node: requests sent during the pause are answered after it", async () => {
  const harness = new NodeHarness(["node@n1.lab"]);
  harness.pause("n1.lab", 100, 300);
  const sim = new Simulator({ seed: 1, latency: { kind: "constant", ms: 1 } });
  sim.machine("n1.lab").spawn("node", harnessed(echo, harness));
  const history = new History();
  sim.machine("c1.lab").spawn(
    "client",
    checkClient({
      workload: echoWorkload(),
      node: "node@n1.lab",
      index: 0,
      history,
      ops: 4,
      interval: 50,
      timeout: 1000,
    }),
  );
  await sim.run();
  assertEquals(history.ops.map((op) => op.status), ["ok", "ok", "ok", "ok"]);
  for (const op of history.ops) {
    const duringPause = op.invoke >= 100 && op.invoke < 300;
    assertEquals(op.complete >= 300, duringPause || op.invoke >= 300, JSON.stringify(op));
  }
  assertTrue(
    history.ops.some((op) => op.invoke >= 100 && op.invoke < 300),
    "no request in the pause",
  );
});

Deno.test("simulateCheck() sends init first, counts only node-to-node messages for msgs/op", async () => {
  const firsts: unknown[] = [];
  const run = await simulateCheck(
    async (ctx) => {
      const init = await ctx.receive<{ kind: string; nodes: string[] }>();
      firsts.push(init.body);
      const peer = init.body.nodes.find((n) => n !== ctx.self)!;
      for (;;) {
        const m = await ctx.receive<{ kind: string; echo?: unknown }>();
        if (m.body.kind === "echo") {
          await ctx.send(peer, { kind: "note" });
          await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
        }
      }
    },
    echoWorkload(),
    { nodeCount: 2, ops: 10 },
  );
  assertEquals(firsts, [
    { kind: "init", node: "node@n1.lab", nodes: ["node@n1.lab", "node@n2.lab"] },
    { kind: "init", node: "node@n2.lab", nodes: ["node@n1.lab", "node@n2.lab"] },
  ]);
  // One note per echo; the replies to clients do not count.
  assertEquals(run.harness.messages, 10);
});

Deno.test("nemesis() alternates healthy and fault windows and splits nodes into minority and majority", async () => {
  const sim = new Simulator({ seed: 4 });
  const machines = ["n1.lab", "n2.lab", "n3.lab", "n4.lab", "n5.lab"];
  for (const m of machines) sim.machine(m).spawn("node", (ctx) => ctx.sleep(10_000));
  const log: NemesisEvent[] = [];
  const harness = new NodeHarness([]);
  sim.machine("ctl.lab").spawn(
    "nemesis",
    nemesis({
      kinds: ["partition", "crash", "pause"],
      interval: 100,
      machines,
      harness,
      faults: sim,
      done: () => log.length === 3,
      log,
    }),
  );
  await sim.run();
  assertEquals(log.map((e) => [e.kind, e.at, e.until]), [
    ["partition", 100, 200],
    ["crash", 300, 400],
    ["pause", 500, 600],
  ]);
  assertEquals([log[0].machines.length, log[0].others?.length], [2, 3]);
  assertEquals(sim.trace.count("heal"), 1);
  assertEquals(sim.trace.count("restart"), 1);
  assertEquals(harness.pausedUntil(log[2].machines[0], 550), 600);
});

Deno.test("simulateCheck() reads every node once the nemesis has healed and the recovery passed", async () => {
  const { node } = await import("../examples/check/g_counter.ts");
  const run = await simulateCheck(node, gCounterWorkload(), {
    ops: 20,
    nemesis: ["crash"],
    nemesisInterval: 50,
    recovery: 300,
  });
  const finals = run.history.ops.filter((op) => op.phase === "final");
  assertEquals(finals.map((op) => op.node), ["node@n1.lab", "node@n2.lab", "node@n3.lab"]);
  const healed = Math.max(...run.nemesis.map((e) => e.until));
  assertTrue(finals.every((op) => op.invoke >= healed + 300), JSON.stringify(finals));
});
