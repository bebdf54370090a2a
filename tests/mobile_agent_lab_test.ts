/**
 * `lab mobile-agent`: the architecture comparison (code travelling vs data travelling), a user's
 * own agent module, replay from the seed, and a run on real OS processes.
 * @module
 */
import { UsageError } from "../lab/_common.ts";
import { parseMobileAgentArgs } from "../lab/mobile_agent/_flags.ts";
import { runMobileAgent } from "../lab/mobile_agent/command.ts";
import { assertEquals, assertRejects, assertTrue } from "./_assert.ts";

interface RunJson {
  architecture: string;
  transport: string;
  errors: number;
  traceDigest: string;
  agent: { bytes: number; messages: number; ms: number; route: string[]; failures: unknown[] };
  pull: { bytes: number; messages: number; ms: number };
  runs: {
    selectivity: number;
    agent: { bytes: number; status: string; codeSent: number };
    pull: { bytes: number };
    cheaper: string;
    agree: boolean | null;
    result?: unknown;
  }[];
}

async function lab(args: string[]): Promise<{ code: number; json: RunJson }> {
  const lines: string[] = [];
  const code = await runMobileAgent([...args, "--json"], { log: (line) => lines.push(line) });
  assertEquals(lines.length, 1, "--json prints one line");
  return { code, json: JSON.parse(lines[0]) };
}

Deno.test("runMobileAgent() at 1% selectivity: the agent moves at most 1/20 of the bytes pulling moves; at 100% pulling is cheaper", async () => {
  const { code, json } = await lab([
    "--sim",
    "--nodes",
    "5",
    "--rows",
    "100000",
    "--selectivity",
    "0.01,1",
  ]);
  assertEquals(code, 0);
  assertEquals(json.architecture, "mobile-agent");
  const [low, high] = json.runs;
  assertEquals([low.selectivity, low.agent.status, low.agree, low.agent.codeSent], [
    0.01,
    "done",
    true,
    5,
  ]);
  assertTrue(
    low.agent.bytes * 20 <= low.pull.bytes,
    `agent ${low.agent.bytes} B vs pull ${low.pull.bytes} B`,
  );
  assertEquals(low.cheaper, "agent");
  assertEquals([high.selectivity, high.agree, high.agent.codeSent], [1, true, 0]);
  assertTrue(high.cheaper === "pull" || high.cheaper === "comparable", high.cheaper);
  assertTrue(
    high.agent.bytes >= high.pull.bytes * 0.8,
    `agent ${high.agent.bytes} B vs pull ${high.pull.bytes} B`,
  );
  assertEquals(json.agent.route, [
    "ctl.lab",
    "n1.lab",
    "n2.lab",
    "n3.lab",
    "n4.lab",
    "n5.lab",
    "ctl.lab",
  ]);
});

Deno.test("runMobileAgent() replays a simulated run from its seed", async () => {
  const args = ["--sim", "--nodes", "3", "--rows", "3000", "--selectivity", "0.2", "--seed", "9"];
  const [a, b] = [await lab(args), await lab(args)];
  assertEquals(a.json.traceDigest, b.json.traceDigest);
  assertEquals(a.json.agent.bytes, b.json.agent.bytes);
});

Deno.test("runMobileAgent() --agent sends a user's module and reports its result", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      file,
      "export async function onArrival(ctx: { state: Record<string, unknown>; node: string; query(q: object): Promise<unknown[]> }) {\n" +
        "  ctx.state[ctx.node] = (await ctx.query({ columns: ['id'] })).length;\n}",
    );
    const { code, json } = await lab([
      "--sim",
      "--nodes",
      "2",
      "--rows",
      "100",
      "--selectivity",
      "0.5",
      "--agent",
      file,
    ]);
    assertEquals(code, 0);
    const result = json.runs[0].result as Record<string, unknown>;
    assertEquals([result["n1.lab"], result["n2.lab"], json.runs[0].agree], [50, 50, null]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runMobileAgent() rejects a selectivity outside 0..1 and quotes it", async () => {
  await assertRejects(() => lab(["--sim", "--selectivity", "0.1,2"]), UsageError, '"0.1,2"');
});

Deno.test("runMobileAgent() runs on real OS processes with sandboxed visits", async () => {
  const { code, json } = await lab([
    "--nodes",
    "2",
    "--rows",
    "2000",
    "--selectivity",
    "0.1",
    "--quantum",
    "3000",
  ]);
  assertEquals([code, json.transport, json.errors], [0, "tcp", 0]);
  assertEquals([json.runs[0].agent.status, json.runs[0].agree], ["done", true]);
  assertTrue(
    json.agent.bytes < json.pull.bytes,
    `agent ${json.agent.bytes} B vs pull ${json.pull.bytes} B`,
  );
});

Deno.test({
  name:
    "parseMobileAgentArgs() makes a new key per run unless one is given; a simulated run's replays",
  // A key in the environment is a key given.
  ignore: Deno.env.get("ARCHLAB_AGENT_KEY") !== undefined,
  fn: async () => {
    const key = async (args: string[]) => {
      const parsed = await parseMobileAgentArgs(args);
      if (parsed === "help") throw new Error("unexpected help");
      return parsed.key;
    };
    const [a, b] = [await key([]), await key([])];
    assertTrue(/^[0-9a-f]{64}$/.test(a), "256 random bits");
    assertTrue(a !== b, "two runs, two keys");
    assertEquals(await key(["--key", "given"]), "given");
    assertEquals(await key(["--sim", "--seed", "4"]), await key(["--sim", "--seed", "4"]));
    assertTrue(await key(["--sim", "--seed", "4"]) !== await key(["--sim", "--seed", "5"]));
  },
});

Deno.test("runMobileAgent() ends when an agent hops to its own node forever, and says so", async () => {
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(file, "export function onArrival(ctx) { ctx.go(ctx.node); }");
    const args = ["--sim", "--nodes", "1", "--rows", "100", "--selectivity", "0.5"];
    const { code, json } = await lab([...args, "--agent", file, "--max-hops", "10"]);
    assertEquals([code, json.errors, json.runs[0].agent.status], [1, 1, "rejected"]);
    const failures = json.agent.failures as { node: string; reason: string }[];
    assertEquals(failures.map((f) => [f.node, f.reason]), [["n1.lab", "hop-limit"]]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runMobileAgent() on real nodes reports an agent writing a 60 MB line as output-too-large, not the node down", async () => {
  const file = await Deno.makeTempFile({ suffix: ".js" });
  try {
    await Deno.writeTextFile(
      file,
      `export async function onArrival() {
  const mb = new Uint8Array(1 << 20).fill(120);
  for (let i = 0; i < 60; i++) await Deno.stdout.write(mb);
  await new Promise(() => {});
}`,
    );
    const args = ["--nodes", "1", "--rows", "100", "--selectivity", "0.5", "--quantum", "15000"];
    const { json } = await lab([...args, "--agent", file]);
    const failures = json.agent.failures as { node: string; reason: string }[];
    assertEquals(failures.map((f) => [f.node, f.reason]), [["n1.lab", "output-too-large"]]);
    assertEquals(json.runs[0].agent.status, "failed");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("runMobileAgent() names no cheaper approach when the agent is lost or pulling misses nodes, and draws no way home", async () => {
  // It printed "agent route: ctl.lab -> ctl.lab" and "the agent is cheaper" for an agent that
  // was lost at its first hop, against a pull that got no answer from any node.
  const lines: string[] = [];
  const code = await runMobileAgent(["--sim", "--drop", "0.5", "--quiet"], {
    log: (line) => lines.push(line),
  });
  const text = lines.join("\n");
  assertEquals(code, 1, text);
  assertTrue(
    /^agent route: ctl\.lab( -> n\d\.lab)* -x n\d\.lab \(status lost: it did not come back\)$/m
      .test(text),
    text,
  );
  assertTrue(!text.includes("is cheaper"), text);
  assertTrue(/-> no comparison: the agent did not finish \(status lost\)/.test(text), text);
  const { json } = await lab(["--sim", "--drop", "0.5"]);
  assertTrue(json.runs.every((r) => r.cheaper === "none"), JSON.stringify(json.runs));
  assertTrue(!json.agent.route.slice(1).includes("ctl.lab"), json.agent.route.join(" "));
});
