/**
 * The agent platform in the simulator (agents in-process, deterministic): weak mobility, the
 * code cache, signatures, malformed packages, clones and merges, itineraries under node
 * failures, and the owner's recall, dispose and locate.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { ProcessContext } from "../core/process.ts";
import { Simulator } from "../core/simulator/simulator.ts";
import { type AgentPackage, codeHash } from "../mobile-agent/agent_package.ts";
import { preloadAgent } from "../mobile-agent/in_process_executor.ts";
import type { AgentMessage } from "../mobile-agent/messages.ts";
import { MINING_AGENT_URL, miningState } from "../mobile-agent/mining.ts";
import { AGENT_PROCESS, agentNode, type AgentNodeOptions } from "../mobile-agent/node.ts";
import { type AgentOutcome, AgentOwner } from "../mobile-agent/owner.ts";
import { signPackage } from "../mobile-agent/signature.ts";
import { assertEquals, assertThrows, assertTrue } from "./_assert.ts";

const KEY = "test-key";
const NODES = ["n1.lab", "n2.lab", "n3.lab"];

interface World {
  readonly sim: Simulator;
  run<T>(
    scenario: (owner: AgentOwner, ctx: ProcessContext) => Promise<T>,
    key?: string,
  ): Promise<T>;
}

function world(options: Partial<AgentNodeOptions> = {}, seed = 1): World {
  const sim = new Simulator({ seed });
  NODES.forEach((name, index) =>
    sim.machine(name).spawn(
      AGENT_PROCESS,
      agentNode({ key: KEY, shard: { rows: 300, index, count: NODES.length }, ...options }),
    )
  );
  return {
    sim,
    async run(scenario, key = KEY) {
      let out: unknown, failure: unknown;
      sim.machine("ctl.lab").spawn("owner", async (ctx) => {
        try {
          out = await scenario(new AgentOwner(ctx, { key, watchMs: 400, pingTimeoutMs: 200 }), ctx);
        } catch (error) {
          failure = error;
        }
      });
      await sim.run();
      if (failure) throw failure;
      return out as never;
    },
  };
}

function sends(sim: Simulator, kind: string): number {
  return sim.trace.events.filter((e) => e.ev === "send" && e.kind === kind).length;
}

const TRAVELLER = `
export function onArrival(ctx) {
  ctx.state.seen.push(ctx.node + ":" + ctx.hop);
  if (ctx.hop === 1) ctx.go(undefined, "second");
}
export function second(ctx) {
  ctx.state.seen.push("second@" + ctx.node);
}`;

Deno.test("AgentOwner.dispatch() carries the state hop by hop and resumes at the named entry point", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await world().run((owner) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    return owner.wait(id);
  });
  assertEquals(outcome.status, "done");
  assertEquals(outcome.result, { seen: ["n1.lab:1", "second@n2.lab", "n3.lab:3"] });
  assertEquals(outcome.route, NODES);
});

Deno.test("agentNode() caches code by hash: a repeat visit does not resend it", async () => {
  await preloadAgent(TRAVELLER);
  const w = world();
  const counts = await w.run(async (owner) => {
    await owner.wait(owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES }));
    const first = sends(w.sim, "agent-code");
    await owner.wait(owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES }));
    return [first, sends(w.sim, "agent-code") - first];
  });
  assertEquals(counts, [3, 0]);
});

/** Sends raw messages to n1's platform and returns its answers. */
async function probe(
  steps: (ctx: ProcessContext) => Promise<AgentMessage[]>,
): Promise<AgentMessage[]> {
  const sim = new Simulator({ seed: 3 });
  sim.machine("n1.lab").spawn(AGENT_PROCESS, agentNode({ key: KEY }));
  let answers: AgentMessage[] = [];
  sim.machine("ctl.lab").spawn("tester", async (ctx) => {
    answers = await steps(ctx);
  });
  await sim.run();
  return answers;
}

function basePackage(code: string): AgentPackage {
  return {
    v: 1,
    id: "t.1",
    owner: "tester@ctl.lab",
    home: "tester@ctl.lab",
    codeHash: codeHash(code),
    lang: "js",
    entry: "onArrival",
    state: { n: 1 },
    itinerary: { kind: "sequential", stops: [] },
    route: [],
    failures: [],
    hop: 1,
    children: [],
  };
}

const ask = async (ctx: ProcessContext, body: unknown): Promise<AgentMessage> =>
  ((await ctx.request("agents@n1.lab", body)) as Envelope<AgentMessage>).body;

function reasonOf(answer: AgentMessage): string {
  return answer.kind === "agent-rejected" ? answer.reason : `not rejected: ${answer.kind}`;
}

Deno.test("agentNode() rejects an unsigned package and says why", async () => {
  const pkg = basePackage("export function onArrival() {}");
  const [answer] = await probe(async (
    ctx,
  ) => [await ask(ctx, { kind: "agent-offer", id: "t.1", hop: 1, pkg })]);
  assertTrue(reasonOf(answer).includes("unsigned"), reasonOf(answer));
});

Deno.test("agentNode() rejects a package altered after signing, or signed with another key", async () => {
  const pkg = basePackage("export function onArrival() {}");
  const sig = signPackage(pkg, KEY);
  const answers = await probe(async (ctx) => [
    await ask(ctx, {
      kind: "agent-offer",
      id: "t.1",
      hop: 1,
      pkg: { ...pkg, state: { n: 1000 } },
      sig,
    }),
    await ask(ctx, { kind: "agent-offer", id: "t.1", hop: 1, pkg, sig: signPackage(pkg, "other") }),
  ]);
  for (const answer of answers) {
    assertTrue(reasonOf(answer).includes("altered or signed with another key"));
  }
});

Deno.test("agentNode() rejects source that does not match the signed hash", async () => {
  const pkg = basePackage("export function onArrival() {}");
  const sig = signPackage(pkg, KEY);
  const answers = await probe(async (ctx) => [
    await ask(ctx, { kind: "agent-offer", id: "t.1", hop: 1, pkg, sig }),
    await ask(ctx, {
      kind: "agent-code",
      id: "t.1",
      hop: 1,
      size: 39,
      source: { code: "export function onArrival() { evil(); }" },
    }),
  ]);
  assertEquals(answers[0].kind, "agent-need-code");
  assertTrue(reasonOf(answers[1]).includes("does not match its SHA-256"), reasonOf(answers[1]));
});

Deno.test("agentNode() rejects a malformed package with the reason", async () => {
  const answers = await probe(async (ctx) => [
    await ask(ctx, { kind: "agent-offer", id: "t.1", hop: 1, pkg: { v: 1, id: "t.1" }, sig: "00" }),
    await ask(ctx, { kind: "agent-offer", id: "t.1", hop: 1, pkg: "garbage" }),
    await ask(ctx, { kind: "agent-code", id: "nobody", hop: 1, size: 1, source: { code: "x" } }),
  ]);
  assertTrue(
    reasonOf(answers[0]).includes('malformed package: field "owner"'),
    reasonOf(answers[0]),
  );
  assertTrue(reasonOf(answers[1]).includes("malformed package: the package is not an object"));
  assertTrue(reasonOf(answers[2]).includes("no offer is waiting"));
});

Deno.test("AgentOwner.wait() reports an agent rejected for a wrong key, with its state", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await world().run((owner) => {
    return owner.wait(owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES }));
  }, "wrong-key");
  assertEquals(outcome.status, "rejected");
  assertEquals(outcome.state, { seen: [] });
  assertTrue(outcome.failures[0].message.includes("signature does not match"));
});

const CLONER = `
export function onArrival(ctx) {
  if (ctx.hop === 1) for (const stop of ctx.itinerary) ctx.clone([stop], "count");
  ctx.done({ node: ctx.node, rows: 0 });
}
export async function count(ctx) {
  ctx.done({ node: ctx.node, rows: (await ctx.query({ columns: ["id"] })).length });
}
export function merge(results) {
  return { nodes: results.map((r) => r.node), rows: results.reduce((n, r) => n + r.rows, 0) };
}`;

Deno.test("AgentContext.clone() sends copies whose results the owner merges", async () => {
  await preloadAgent(CLONER);
  const outcome = await world().run((owner) =>
    owner.wait(owner.dispatch({ code: CLONER, itinerary: NODES }))
  );
  assertEquals(outcome.status, "done");
  assertEquals(outcome.result, { nodes: ["n1.lab", "n2.lab", "n3.lab"], rows: 200 });
  assertEquals(outcome.reports.map((r) => r.id), ["owner.1", "owner.1/1.0", "owner.1/1.1"]);
});

Deno.test("a parallel itinerary sends one copy per node and merges like the sequential journey", async () => {
  const code = await Deno.readTextFile(MINING_AGENT_URL);
  await preloadAgent(code);
  const [sequential, parallel] = await world().run(async (owner) => {
    const state = miningState(0.2) as never;
    const a = await owner.wait(owner.dispatch({ code, state, itinerary: NODES }));
    const b = await owner.wait(
      owner.dispatch({ code, state, itinerary: { kind: "parallel", stops: NODES } }),
    );
    return [a, b];
  });
  assertEquals(parallel.status, "done");
  assertEquals(parallel.reports.length, 3);
  assertEquals(parallel.result, sequential.result);
});

Deno.test("a failover itinerary skips a node that is down and reports it", async () => {
  await preloadAgent(TRAVELLER);
  const w = world({ timeoutMs: 300 });
  w.sim.crash("n2.lab", { at: 0 });
  const outcome = await w.run((owner) =>
    owner.wait(
      owner.dispatch({
        code: TRAVELLER,
        state: { seen: [] },
        itinerary: { kind: "failover", stops: NODES },
      }),
    )
  );
  assertEquals(outcome.status, "done");
  assertEquals(outcome.route, ["n1.lab", "n3.lab"]);
  assertEquals(outcome.failures.map((f) => [f.node, f.reason]), [["n2.lab", "unreachable"]]);
});

Deno.test("a sequential itinerary reports the agent lost with its last good state", async () => {
  await preloadAgent(TRAVELLER);
  const w = world({ timeoutMs: 300 });
  w.sim.crash("n2.lab", { at: 0 });
  const outcome = await w.run((owner) =>
    owner.wait(owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES }))
  );
  assertEquals(outcome.status, "lost");
  assertEquals(outcome.state, { seen: ["n1.lab:1"] });
  assertEquals(outcome.failures[0].node, "n2.lab");
});

/** A world where visits take 500 virtual ms and n2 crashes at 700 ms, while the agent is there. */
function crashWhileThere(): World {
  const w = world({ startMs: 500, watchMs: 300, pingTimeoutMs: 200, timeoutMs: 300 });
  w.sim.crash("n2.lab", { at: 700 });
  return w;
}

Deno.test("a node crash while the agent is there: a failover itinerary moves on", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await crashWhileThere().run((owner) =>
    owner.wait(
      owner.dispatch({
        code: TRAVELLER,
        state: { seen: [] },
        itinerary: { kind: "failover", stops: NODES },
      }),
    )
  );
  assertEquals(outcome.status, "done");
  assertEquals(outcome.result, { seen: ["n1.lab:1", "second@n3.lab"] });
  assertEquals(outcome.failures.map((f) => [f.node, f.reason]), [["n2.lab", "lost"]]);
});

Deno.test("a node crash while the agent is there: the owner learns a sequential agent is lost", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await crashWhileThere().run((owner) =>
    owner.wait(owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES }))
  );
  assertEquals(outcome.status, "lost");
  assertEquals(outcome.state, { seen: ["n1.lab:1"] });
  assertTrue(outcome.failures[0].message.includes("went down while the agent was there"));
});

Deno.test("AgentOwner.locate() finds the agent through its home registry", async () => {
  await preloadAgent(TRAVELLER);
  const places = await world({ startMs: 100 }).run(async (owner, ctx) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    await ctx.sleep(150);
    const during = await owner.locate(id);
    await owner.wait(id);
    return [during, await owner.locate(id)];
  });
  assertEquals(places[0].node, "n2.lab");
  assertEquals(places[1].status, "done");
});

Deno.test("AgentOwner.recall() brings the agent home with its state", async () => {
  await preloadAgent(TRAVELLER);
  const outcome: AgentOutcome = await world({ startMs: 100 }).run(async (owner, ctx) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    await ctx.sleep(150);
    await owner.recall(id);
    return owner.wait(id);
  });
  assertEquals(outcome.status, "recalled");
  assertEquals(outcome.state, { seen: ["n1.lab:1", "second@n2.lab"] });
  assertEquals(outcome.route, ["n1.lab", "n2.lab"]);
});

Deno.test("AgentOwner.dispose() stops the agent where it is", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await world({ startMs: 100 }).run(async (owner, ctx) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    await ctx.sleep(150);
    await owner.dispose(id);
    return owner.wait(id);
  });
  assertEquals(outcome.status, "disposed");
  assertEquals(outcome.route, ["n1.lab", "n2.lab"]);
});

Deno.test("AgentOwner.wait() gets the node and the stack of an agent that throws", async () => {
  const code =
    "export function onArrival(ctx) {\n  if (ctx.node === 'n2.lab') throw new RangeError('bad shard');\n}";
  await preloadAgent(code);
  const outcome = await world().run((owner) =>
    owner.wait(owner.dispatch({ code, state: { k: 1 }, itinerary: NODES }))
  );
  assertEquals(outcome.status, "failed");
  assertEquals(outcome.state, { k: 1 });
  const [failure] = outcome.failures;
  assertEquals([failure.node, failure.reason, failure.message], [
    "n2.lab",
    "threw",
    "RangeError: bad shard",
  ]);
  assertTrue(failure.stack?.includes("at onArrival (agent:"), failure.stack);
});

Deno.test("the same seed gives the same trace, byte for byte", async () => {
  await preloadAgent(CLONER);
  const digest = async () => {
    const w = world({}, 11);
    await w.run((owner) => owner.wait(owner.dispatch({ code: CLONER, itinerary: NODES })));
    return w.sim.trace.digest();
  };
  assertEquals(await digest(), await digest());
});

Deno.test("agentNode() forwards a recall along the agent's trail", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await world({ startMs: 100 }).run(async (owner, ctx) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    await ctx.sleep(150);
    await ctx.send("agents@n1.lab", { kind: "agent-recall", id });
    return owner.wait(id);
  });
  assertEquals([outcome.status, outcome.route], ["recalled", ["n1.lab", "n2.lab"]]);
});

Deno.test("agentNode() keeps a dispose that arrives before the agent", async () => {
  await preloadAgent(TRAVELLER);
  const outcome = await world({ startMs: 100 }).run(async (owner, ctx) => {
    const id = owner.dispatch({ code: TRAVELLER, state: { seen: [] }, itinerary: NODES });
    await ctx.send("agents@n3.lab", { kind: "agent-dispose", id });
    return owner.wait(id);
  });
  assertEquals([outcome.status, outcome.route], ["disposed", NODES]);
  assertEquals(outcome.state, { seen: ["n1.lab:1", "second@n2.lab"] });
});

Deno.test("AgentContext.go() to a machine that is not there reports the agent lost", async () => {
  const code = "export function onArrival(ctx) { ctx.go(ctx.state.to); }";
  await preloadAgent(code);
  const outcomes = await world({ timeoutMs: 300 }).run(async (owner) => [
    await owner.wait(owner.dispatch({ code, state: { to: "n9.lab" }, itinerary: ["n1.lab"] })),
    await owner.wait(owner.dispatch({ code, state: { to: "not a name" }, itinerary: ["n1.lab"] })),
  ]);
  for (const outcome of outcomes) {
    assertEquals([outcome.status, outcome.failures[0]?.reason], ["lost", "unreachable"]);
  }
  assertTrue(outcomes[1].failures[0].message.includes("accepted forms"));
});

Deno.test("AgentOwner.dispatch() refuses a stop that is not a machine name", async () => {
  await world().run((owner) => {
    assertThrows(
      () => owner.dispatch({ code: TRAVELLER, itinerary: ["n1.lab", "bad name"] }),
      TypeError,
      '"bad name"',
    );
    return Promise.resolve();
  });
});
