/**
 * The agent platform on real hosts: machines in this process over loopback TCP, every visit in
 * a sandboxed child `deno run`. Each failure of an agent reaches its owner with a clear status,
 * and the node goes on serving the next agent.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { ProcessContext } from "../core/process.ts";
import type { AgentMessage } from "../mobile-agent/messages.ts";
import { mineRows, MINING_AGENT_URL, miningState } from "../mobile-agent/mining.ts";
import { AGENT_PROCESS, agentNode } from "../mobile-agent/node.ts";
import { type AgentOutcome, AgentOwner } from "../mobile-agent/owner.ts";
import { SandboxExecutor } from "../mobile-agent/sandbox.ts";
import { salesRow } from "../mobile-agent/shard.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const KEY = "real-key";

interface Cluster {
  readonly hosts: Host[];
  run<T>(scenario: (owner: AgentOwner, ctx: ProcessContext) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function cluster(nodes: string[], quantumMs = 1500): Promise<Cluster> {
  const sandbox = new SandboxExecutor({ quantumMs, heapMb: 32 });
  const endpoints = new Map<string, string>();
  const hosts: Host[] = [];
  for (const name of [...nodes, "ctl.lab"]) {
    const host = await startHost(name, { resolve: (m) => endpoints.get(m), seed: 1 });
    endpoints.set(name, host.endpoint);
    hosts.push(host);
  }
  nodes.forEach((_, index) =>
    hosts[index].machine.spawn(
      AGENT_PROCESS,
      agentNode({
        key: KEY,
        shard: { rows: 2000, index, count: nodes.length },
        executor: sandbox,
        quantumMs,
        timeoutMs: 1000,
        watchMs: 300,
        pingTimeoutMs: 300,
      }),
    )
  );
  const ctl = hosts[hosts.length - 1].machine;
  let owners = 0;
  return {
    hosts,
    async run(scenario) {
      const done = Promise.withResolvers<never>();
      ctl.spawn(`owner${++owners}`, async (ctx) => {
        try {
          done.resolve(
            await scenario(new AgentOwner(ctx, { key: KEY, timeoutMs: 1000 }), ctx) as never,
          );
        } catch (error) {
          done.reject(error);
        }
      });
      return await done.promise;
    },
    async close() {
      await sandbox.idle();
      for (const host of hosts) await host.close();
    },
  };
}

function dispatchAndWait(code: string, nodes: string[], state: unknown = null) {
  return (owner: AgentOwner): Promise<AgentOutcome> =>
    owner.wait(owner.dispatch({ code, state: state as never, itinerary: nodes }), {
      timeout: 20_000,
    });
}

const FINE = "export function onArrival(ctx) { ctx.state.visits = (ctx.state.visits ?? 0) + 1; }";

Deno.test("agents mine real nodes in sandboxed children and agree with pulling", async () => {
  const c = await cluster(["n1.lab", "n2.lab"]);
  try {
    const code = await Deno.readTextFile(MINING_AGENT_URL);
    const outcome = await c.run(dispatchAndWait(code, ["n1.lab", "n2.lab"], miningState(0.1)));
    assertEquals(outcome.status, "done");
    assertEquals(outcome.route, ["n1.lab", "n2.lab"]);
    const local = mineRows(
      miningState(0.1),
      Array.from({ length: 2000 }, (_, id) => salesRow(1, id)),
    );
    assertEquals(outcome.result, JSON.parse(JSON.stringify(local)));
  } finally {
    await c.close();
  }
});

Deno.test("an agent that throws on a real node reaches its owner with the node and the stack", async () => {
  const c = await cluster(["n1.lab", "n2.lab"]);
  try {
    const code =
      "export function onArrival(ctx) {\n  if (ctx.node === 'n2.lab') throw new Error('no');\n}";
    const outcome = await c.run(dispatchAndWait(code, ["n1.lab", "n2.lab"], { k: 1 }));
    assertEquals(outcome.status, "failed");
    assertEquals(outcome.state, { k: 1 });
    const [failure] = outcome.failures;
    assertEquals([failure.node, failure.reason, failure.message], ["n2.lab", "threw", "Error: no"]);
    assertTrue(failure.stack?.includes("at onArrival (agent:"), failure.stack);
  } finally {
    await c.close();
  }
});

Deno.test("an agent that loops forever is killed at its quantum and the node serves the next one", async () => {
  const c = await cluster(["n1.lab"], 1000);
  try {
    const [looped, next] = await c.run(async (owner) => [
      await dispatchAndWait("export function onArrival() { for (;;) {} }", ["n1.lab"])(owner),
      await dispatchAndWait(FINE, ["n1.lab"], {})(owner),
    ]);
    assertEquals([looped.status, looped.failures[0].reason], ["failed", "timeout"]);
    assertTrue(looped.failures[0].message.includes("quantum of 1000 ms"));
    assertEquals([next.status, next.result], ["done", { visits: 1 }]);
  } finally {
    await c.close();
  }
});

Deno.test("an agent that allocates without bound dies alone", async () => {
  const c = await cluster(["n1.lab"]);
  try {
    const hog =
      "export function onArrival() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }";
    const [hogged, next] = await c.run(async (owner) => [
      await dispatchAndWait(hog, ["n1.lab"])(owner),
      await dispatchAndWait(FINE, ["n1.lab"], {})(owner),
    ]);
    assertEquals([hogged.status, hogged.failures[0].reason], ["failed", "oom"]);
    assertEquals(next.status, "done");
  } finally {
    await c.close();
  }
});

Deno.test("an agent that reads files, env or network, or runs commands, is denied and reported", async () => {
  const c = await cluster(["n1.lab"]);
  const code = `export async function onArrival(ctx) {
  const k = ctx.state.try;
  if (k === "file") await Deno.readTextFile("/etc/hostname");
  if (k === "env") Deno.env.get("PATH");
  if (k === "net") await Deno.connect({ hostname: "127.0.0.1", port: 8080 });
  if (k === "run") await new Deno.Command("/bin/sh", { args: ["-c", "true"] }).output();
}`;
  try {
    const outcomes = await c.run(async (owner) => {
      const out: AgentOutcome[] = [];
      for (const k of ["file", "env", "net", "run"]) {
        out.push(await dispatchAndWait(code, ["n1.lab"], { try: k })(owner));
      }
      return out;
    });
    const seen = outcomes.map((
      o,
    ) => [
      o.status,
      o.failures[0]?.reason,
      /Requires (\w+) access/.exec(o.failures[0]?.message)?.[1],
    ]);
    assertEquals(seen, [
      ["failed", "denied", "read"],
      ["failed", "denied", "env"],
      ["failed", "denied", "net"],
      ["failed", "denied", "run"],
    ]);
  } finally {
    await c.close();
  }
});

const SLOW_ON_N2 = `export async function onArrival(ctx) {
  ctx.state.seen.push(ctx.node);
  if (ctx.node === "n2.lab") await new Promise((resolve) => setTimeout(resolve, 60000));
}`;

/** Dispatches SLOW_ON_N2, crashes n2 as soon as the home registry places the agent there. */
function crashOnArrival(c: Cluster, kind: "sequential" | "failover") {
  return async (owner: AgentOwner, ctx: ProcessContext): Promise<AgentOutcome> => {
    const id = owner.dispatch({
      code: SLOW_ON_N2,
      state: { seen: [] },
      itinerary: { kind, stops: ["n1.lab", "n2.lab", "n3.lab"] },
    });
    for (let i = 0; i < 500 && (await owner.locate(id)).node !== "n2.lab"; i++) await ctx.sleep(10);
    c.hosts[1].machine.crash();
    return owner.wait(id, { timeout: 20_000 });
  };
}

Deno.test("a real node crash while the agent is there: a failover itinerary moves on", async () => {
  const c = await cluster(["n1.lab", "n2.lab", "n3.lab"], 1000);
  try {
    const outcome = await c.run(crashOnArrival(c, "failover"));
    assertEquals(outcome.status, "done");
    assertEquals(outcome.result, { seen: ["n1.lab", "n3.lab"] });
    assertEquals(outcome.failures.map((f) => [f.node, f.reason]), [["n2.lab", "lost"]]);
  } finally {
    await c.close();
  }
});

Deno.test("a real node crash while the agent is there: the owner learns a sequential agent is lost", async () => {
  const c = await cluster(["n1.lab", "n2.lab", "n3.lab"], 1000);
  try {
    const outcome = await c.run(crashOnArrival(c, "sequential"));
    assertEquals(outcome.status, "lost");
    assertEquals(outcome.state, { seen: ["n1.lab"] });
  } finally {
    await c.close();
  }
});

Deno.test("a real node rejects a malformed package with the reason", async () => {
  const c = await cluster(["n1.lab"]);
  try {
    const answer = await c.run(async (_owner, ctx) =>
      (await ctx.request<AgentMessage>("agents@n1.lab", {
        kind: "agent-offer",
        id: "x",
        hop: 1,
        pkg: { v: 2 },
      })).body
    );
    assertEquals(answer.kind, "agent-rejected");
    assertTrue(
      answer.kind === "agent-rejected" &&
        answer.reason.includes("malformed package: version 2 is not 1"),
    );
  } finally {
    await c.close();
  }
});

Deno.test("a real node refuses a forged visit result and reports it", async () => {
  const c = await cluster(["n1.lab"]);
  try {
    const forged = `export async function onArrival() {
  const line = JSON.stringify({ t: "end", end: { state: 1, departure: { kind: "teleport" }, clones: [] } });
  await Deno.stdout.write(new TextEncoder().encode(line + "\\n"));
  await new Promise(() => {});
}`;
    const outcome = await c.run(dispatchAndWait(forged, ["n1.lab"], { k: 1 }));
    assertEquals([outcome.status, outcome.failures[0].reason], ["failed", "protocol"]);
    assertTrue(outcome.failures[0].message.includes("teleport"), outcome.failures[0].message);
    assertEquals(outcome.state, { k: 1 });
  } finally {
    await c.close();
  }
});
