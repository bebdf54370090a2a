/**
 * `lab mobile-agent`: the architecture comparison (code travelling vs data travelling), a user's
 * own agent module, replay from the seed, and a run on real OS processes.
 * @module
 */
import { UsageError } from "../lab/_common.ts";
import { runMobileAgent } from "../lab/mobile_agent.ts";
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
