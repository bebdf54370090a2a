/**
 * The cost of one agent hop, in the same run as raw baselines.
 *
 * - "agent hop": an owner sends an agent to a node over loopback TCP (core hosts in this
 *   process); the node runs the visit in a sandboxed child `deno run` and reports back. With the
 *   code cache hit (same source every time: offer, accept) and missed (a new source every time:
 *   offer, need-code, code, accept). Baseline: a raw `deno run` of an empty script, the floor of
 *   any sandbox start. Also measured: a sandbox visit alone, with no network.
 * - "agent transfer": the same hops with a stub executor (no sandbox), so only the transfer
 *   protocol is measured. Baseline: one core request/reply round trip between the same hosts.
 *
 * - "agent output line": reading one 8 MB line that a child writes in 64 KB chunks. Baseline: one
 *   scan of every chunk for a newline and one decode of the whole, the floor of any reader. Also
 *   measured: the old reader (`text += chunk`, then search from the start), quadratic.
 *
 * Run with `deno bench -A bench/mobile_agent_bench.ts`.
 * @module
 */
import { type Host, startHost } from "../core/network/host.ts";
import type { ProcessContext } from "../core/process.ts";
import { codeHash } from "../mobile-agent/agent_package.ts";
import type { Executor } from "../mobile-agent/executor.ts";
import { MINING_AGENT_URL, miningState } from "../mobile-agent/mining.ts";
import { AGENT_PROCESS, agentNode } from "../mobile-agent/node.ts";
import { AgentOwner } from "../mobile-agent/owner.ts";
import { SandboxExecutor } from "../mobile-agent/sandbox.ts";
import { LineSplitter } from "../mobile-agent/_line_reader.ts";

const KEY = "bench-key";
const MINER = await Deno.readTextFile(MINING_AGENT_URL);
const EMPTY = await Deno.makeTempFile({ suffix: ".js" });
const sandbox = new SandboxExecutor({ quantumMs: 10_000, heapMb: 64 });
const stub: Executor = {
  visit: (input) =>
    Promise.resolve({
      ok: true,
      end: { state: input.view.state, departure: { kind: "done" }, clones: [] },
      logs: [],
    }),
  merge: (_code, results) => Promise.resolve({ ok: true, result: [...results], merged: false }),
};

const endpoints = new Map<string, string>();
const hosts: Host[] = [];
for (const name of ["ctl.lab", "sb.lab", "st.lab"]) {
  const host = await startHost(name, { resolve: (m) => endpoints.get(m), seed: 1 });
  endpoints.set(name, host.endpoint);
  hosts.push(host);
}
const shard = { rows: 20_000, index: 0, count: 5 };
hosts[1].machine.spawn(AGENT_PROCESS, agentNode({ key: KEY, shard, executor: sandbox }));
hosts[2].machine.spawn(AGENT_PROCESS, agentNode({ key: KEY, shard, executor: stub }));
hosts[2].machine.spawn("echo", async (ctx) => {
  for (;;) {
    const request = await ctx.receive();
    await ctx.reply(request, request.body);
  }
});

type Job = (owner: AgentOwner, ctx: ProcessContext) => Promise<void>;
const jobs: { job: Job; done: PromiseWithResolvers<void> }[] = [];
let wake: (() => void) | undefined;
hosts[0].machine.spawn("driver", async (ctx) => {
  const owner = new AgentOwner(ctx, { key: KEY });
  for (;;) {
    while (jobs.length === 0) await new Promise<void>((resolve) => wake = resolve);
    const { job, done } = jobs.shift()!;
    try {
      await job(owner, ctx);
      done.resolve();
    } catch (error) {
      done.reject(error);
    }
  }
});

function drive(job: Job): Promise<void> {
  const done = Promise.withResolvers<void>();
  jobs.push({ job, done });
  wake?.();
  return done.promise;
}

let variant = 0;
async function hop(node: string, fresh: boolean): Promise<void> {
  const code = fresh ? `${MINER}\n// variant ${++variant}\n` : MINER;
  await drive(async (owner) => {
    const outcome = await owner.wait(
      owner.dispatch({ code, state: miningState(0.01) as never, itinerary: [node] }),
    );
    if (outcome.status !== "done") {
      throw new Error(`hop failed: ${JSON.stringify(outcome.failures)}`);
    }
  });
}

const view = {
  id: "b",
  node: "sb.lab",
  hop: 1,
  route: ["sb.lab"],
  itinerary: { kind: "sequential" as const, stops: [] },
  state: null,
};
const trivial = "export function onArrival() {}";

Deno.bench("raw deno run of an empty script", { group: "agent hop", baseline: true }, async () => {
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", EMPTY],
    stdout: "null",
    stderr: "null",
  }).output();
});

Deno.bench("sandbox visit alone (no network)", { group: "agent hop" }, async () => {
  const outcome = await sandbox.visit(
    { code: trivial, lang: "js", codeHash: codeHash(trivial), entry: "onArrival", view },
    () => [],
  );
  if (!outcome.ok) throw new Error(outcome.message);
});

Deno.bench("hop with sandbox, code cache hit", { group: "agent hop" }, async () => {
  await hop("sb.lab", false);
});

Deno.bench("hop with sandbox, code cache miss", { group: "agent hop" }, async () => {
  await hop("sb.lab", true);
});

Deno.bench(
  "core request/reply round trip",
  { group: "agent transfer", baseline: true },
  async () => {
    await drive(async (_owner, ctx) => {
      await ctx.request("echo@st.lab", { kind: "ping" });
    });
  },
);

Deno.bench("hop transfer only, code cache hit", { group: "agent transfer" }, async () => {
  await hop("st.lab", false);
});

Deno.bench("hop transfer only, code cache miss", { group: "agent transfer" }, async () => {
  await hop("st.lab", true);
});

const LINE_BYTES = 8 << 20;
const chunks = Array.from({ length: LINE_BYTES >> 16 }, () => new Uint8Array(1 << 16).fill(120));
chunks.push(new Uint8Array([10]));

Deno.bench(
  "raw: scan every chunk, decode once",
  { group: "agent output line", baseline: true },
  () => {
    let found = -1;
    for (const chunk of chunks) found = Math.max(found, chunk.indexOf(10));
    const whole = new Uint8Array(LINE_BYTES + 1);
    let at = 0;
    for (const chunk of chunks) {
      whole.set(chunk, at);
      at += chunk.length;
    }
    if (found < 0 || new TextDecoder().decode(whole).length !== LINE_BYTES + 1) {
      throw new Error(
        "no line",
      );
    }
  },
);

Deno.bench("LineSplitter (the sandbox's reader)", { group: "agent output line" }, () => {
  const splitter = new LineSplitter(64 << 20);
  let length = 0;
  for (const chunk of chunks) splitter.push(chunk, (line) => length = line.length);
  if (length !== LINE_BYTES) throw new Error("no line");
});

Deno.bench(
  "old reader: text += chunk, indexOf from the start",
  { group: "agent output line" },
  () => {
    const decoder = new TextDecoder();
    let buffer = "";
    let length = 0;
    for (const chunk of chunks) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
        length = nl;
        buffer = buffer.slice(nl + 1);
      }
    }
    if (length !== LINE_BYTES) throw new Error("no line");
  },
);

globalThis.addEventListener("unload", () => {
  for (const host of hosts) void host.close();
  Deno.removeSync(EMPTY);
});
