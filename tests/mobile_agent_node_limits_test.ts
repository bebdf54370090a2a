/**
 * What a node bounds, in the simulator and on real hosts with sandboxed children: the hops of an
 * agent (one that hops to its own node forever ends at the limit, and so does the run), the
 * sandboxes running at once and the visits waiting for one (beyond that an agent is refused as
 * busy), and a node that reads a 60 MB line from a child keeps serving other visits.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import type { Executor } from "../mobile-agent/executor.ts";
import { preloadAgent } from "../mobile-agent/in_process_executor.ts";
import { AGENT_PROCESS, agentNode, type AgentNodeOptions } from "../mobile-agent/node.ts";
import { type AgentOutcome, AgentOwner } from "../mobile-agent/owner.ts";
import { SandboxExecutor } from "../mobile-agent/sandbox.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const KEY = "limits-key";
const SELF_HOP = "export function onArrival(ctx) { ctx.state.n += 1; ctx.go(ctx.node); }";
const FINE = "export function onArrival(ctx) { ctx.state.done = true; }";

/** Waits for each agent in turn (an owner waits for one at a time; the others' reports keep). */
async function waitAll(owner: AgentOwner, ids: readonly string[]): Promise<AgentOutcome[]> {
  const outcomes: AgentOutcome[] = [];
  for (const id of ids) outcomes.push(await owner.wait(id, { timeout: 60_000 }));
  return outcomes;
}

/** Runs `scenario` as an owner on ctl.lab with one node, until the simulation ends by itself. */
async function simulate<T>(
  options: Partial<AgentNodeOptions>,
  scenario: (owner: AgentOwner, ctx: ProcessContext) => Promise<T>,
): Promise<T> {
  const sim = new Simulator({ seed: 5 });
  sim.machine("n1.lab").spawn(AGENT_PROCESS, agentNode({ key: KEY, ...options }));
  let out: T | undefined, failure: unknown;
  sim.machine("ctl.lab").spawn("owner", async (ctx) => {
    try {
      out = await scenario(new AgentOwner(ctx, { key: KEY }), ctx);
    } catch (error) {
      failure = error;
    }
  });
  const run = await sim.run({ until: 3_600_000, maxEvents: 200_000 });
  if (failure) throw failure;
  assertTrue(run.quiescent, `the simulation ends by itself (it ran to ${run.time} ms)`);
  return out as T;
}

Deno.test("agentNode() refuses a hop past maxHops: an agent hopping to its own node forever ends", async () => {
  await preloadAgent(SELF_HOP);
  const outcome = await simulate(
    { maxHops: 5 },
    (owner) =>
      owner.wait(owner.dispatch({ code: SELF_HOP, state: { n: 0 }, itinerary: ["n1.lab"] })),
  );
  assertEquals(outcome.status, "rejected");
  assertEquals(outcome.state, { n: 5 });
  assertEquals(outcome.route.length, 5);
  assertEquals(outcome.failures.map((f) => [f.node, f.reason]), [["n1.lab", "hop-limit"]]);
  assertTrue(outcome.failures[0].message.includes("limit of 5 hops"), outcome.failures[0].message);
});

Deno.test("agentNode() stops a self-hopping agent at 64 hops by default", async () => {
  await preloadAgent(SELF_HOP);
  const outcome = await simulate(
    {},
    (owner) =>
      owner.wait(owner.dispatch({ code: SELF_HOP, state: { n: 0 }, itinerary: ["n1.lab"] })),
  );
  assertEquals([outcome.status, outcome.state], ["rejected", { n: 64 }]);
});

Deno.test("agentNode() queues visits past maxSandboxes and refuses past maxWaiting as busy", async () => {
  const codes = Array.from({ length: 5 }, (_, i) => `${FINE} // ${i}`);
  for (const code of codes) await preloadAgent(code);
  const outcomes = await simulate({ maxSandboxes: 1, maxWaiting: 2 }, async (owner) => {
    const ids = codes.map((code) => owner.dispatch({ code, state: {}, itinerary: ["n1.lab"] }));
    return await waitAll(owner, ids);
  });
  const seen = outcomes.map((o) => [o.status, o.failures[0]?.reason ?? null]);
  assertEquals(seen.filter(([s]) => s === "done").length, 3, JSON.stringify(seen));
  assertEquals(seen.filter(([s, r]) => s === "rejected" && r === "busy").length, 2);
});

Deno.test("AgentOwner.dispose() of a visit waiting for a sandbox frees its place", async () => {
  await preloadAgent(FINE);
  const [first, second, third] = await simulate(
    { maxSandboxes: 1, maxWaiting: 1, startMs: 500 },
    async (owner, ctx) => {
      const a = owner.dispatch({ code: FINE, state: {}, itinerary: ["n1.lab"] });
      await ctx.sleep(50);
      const b = owner.dispatch({ code: FINE, state: {}, itinerary: ["n1.lab"] });
      await ctx.sleep(50);
      await owner.dispose(b);
      await ctx.sleep(50);
      const c = owner.dispatch({ code: FINE, state: {}, itinerary: ["n1.lab"] });
      return await waitAll(owner, [a, b, c]);
    },
  );
  assertEquals([first.status, second.status, third.status], ["done", "disposed", "done"]);
});

interface Cluster {
  run<T>(scenario: (owner: AgentOwner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

async function cluster(options: Partial<AgentNodeOptions>, executor: Executor): Promise<Cluster> {
  const endpoints = new Map<string, string>();
  const hosts: Host[] = [];
  for (const name of ["n1.lab", "ctl.lab"]) {
    const host = await startHost(name, { resolve: (m) => endpoints.get(m), seed: 1 });
    endpoints.set(name, host.endpoint);
    hosts.push(host);
  }
  hosts[0].machine.spawn(
    AGENT_PROCESS,
    agentNode({ key: KEY, executor, watchMs: 300, pingTimeoutMs: 300, ...options }),
  );
  let owners = 0;
  return {
    async run(scenario) {
      const done = Promise.withResolvers<never>();
      hosts[1].machine.spawn(`owner${++owners}`, async (ctx) => {
        try {
          done.resolve(await scenario(new AgentOwner(ctx, { key: KEY, timeoutMs: 2000 })) as never);
        } catch (error) {
          done.reject(error);
        }
      });
      return await done.promise;
    },
    async close() {
      for (const host of hosts) await host.close();
    },
  };
}

/** A real sandbox that counts the visits running at once. */
class CountingSandbox implements Executor {
  readonly sandbox = new SandboxExecutor({ quantumMs: 10_000, heapMb: 32 });
  now = 0;
  peak = 0;
  async visit(...args: Parameters<Executor["visit"]>): ReturnType<Executor["visit"]> {
    this.peak = Math.max(this.peak, ++this.now);
    try {
      return await this.sandbox.visit(...args);
    } finally {
      this.now--;
    }
  }
  merge(...args: Parameters<Executor["merge"]>): ReturnType<Executor["merge"]> {
    return this.sandbox.merge(...args);
  }
}

function dispatch(owner: AgentOwner, code: string, state: unknown = {}): string {
  return owner.dispatch({ code, state: state as never, itinerary: ["n1.lab"] });
}

Deno.test("a real node runs at most maxSandboxes children at once and refuses past its queue", async () => {
  const counting = new CountingSandbox();
  const c = await cluster({ maxSandboxes: 2, maxWaiting: 2, quantumMs: 10_000 }, counting);
  try {
    const nap =
      "export async function onArrival() { await new Promise((r) => setTimeout(r, 400)); }";
    const outcomes = await c.run((owner) =>
      waitAll(owner, Array.from({ length: 5 }, (_, i) => dispatch(owner, `${nap} // ${i}`)))
    );
    const seen = outcomes.map((o) => o.failures[0]?.reason ?? o.status).sort();
    assertEquals(seen, ["busy", "done", "done", "done", "done"]);
    assertEquals(counting.peak, 2);
  } finally {
    await counting.sandbox.idle();
    await c.close();
  }
});

Deno.test("a real node stops a self-hopping agent at its hop limit", async () => {
  const sandbox = new SandboxExecutor({ quantumMs: 10_000, heapMb: 32 });
  const c = await cluster({ maxHops: 3 }, sandbox);
  try {
    const [outcome] = await c.run((owner) => waitAll(owner, [dispatch(owner, SELF_HOP, { n: 0 })]));
    assertEquals([outcome.status, outcome.state], ["rejected", { n: 3 }]);
    assertEquals(outcome.failures[0].reason, "hop-limit");
  } finally {
    await sandbox.idle();
    await c.close();
  }
});

Deno.test("a real node reading a 60 MB line from one child completes another visit meanwhile", async () => {
  const sandbox = new SandboxExecutor({ quantumMs: 15_000, heapMb: 32 });
  const c = await cluster({ maxSandboxes: 2, quantumMs: 15_000 }, sandbox);
  try {
    const flood = `export async function onArrival() {
  const mb = new Uint8Array(1 << 20).fill(120);
  for (let i = 0; i < 60; i++) await Deno.stdout.write(mb);
  await new Promise(() => {});
}`;
    const [flooded, fine] = await c.run((owner) =>
      waitAll(owner, [dispatch(owner, flood), dispatch(owner, FINE)])
    );
    assertEquals([flooded.status, flooded.failures[0]?.reason], ["failed", "output-too-large"]);
    assertEquals([fine.status, fine.result], ["done", { done: true }]);
  } finally {
    await sandbox.idle();
    await c.close();
  }
});
