/**
 * The sandbox's resource limits with real child processes: the kernel bounds a visit's memory
 * (ArrayBuffers and Wasm too, which the V8 heap cap does not see), an out-of-memory agent is
 * reported `oom` and not `timeout`, Workers are refused on every path to them, a 60 MB line is
 * read in linear time and reported `output-too-large`, and capability denials the agent caught
 * are reported. Memory-hungry agents run under a 96 MB budget and stop by themselves at 512 MB.
 * @module
 */
import { codeHash } from "../mobile-agent/agent_package.ts";
import type { AgentView } from "../mobile-agent/agent_context.ts";
import type { VisitOutcome } from "../mobile-agent/executor.ts";
import { SandboxExecutor } from "../mobile-agent/sandbox.ts";
import { findPrlimit } from "../mobile-agent/_limits.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import type { Runtime, TimerId } from "../core/runtime.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const MEMORY_MB = 96;
const sandbox = new SandboxExecutor({ quantumMs: 20_000, heapMb: 32, memoryMb: MEMORY_MB });
const view: AgentView = {
  id: "a1",
  node: "n1.lab",
  hop: 1,
  route: ["n1.lab"],
  itinerary: { kind: "sequential", stops: [] },
  state: null,
};
/** The kernel's memory limit needs Linux and util-linux's prlimit. */
const bounded = findPrlimit() !== null;

function visit(code: string, executor = sandbox): Promise<VisitOutcome> {
  return executor.visit(
    { code, lang: "js", codeHash: codeHash(code), entry: "onArrival", view },
    () => [],
  );
}

function failed(outcome: VisitOutcome, reason: string) {
  if (outcome.ok) {
    throw new Error(`expected a ${reason} failure, got ok: ${JSON.stringify(outcome)}`);
  }
  assertEquals(outcome.reason, reason, outcome.message);
  return outcome;
}

Deno.test({
  name: "SandboxExecutor.visit() gives ArrayBuffers no more than the visit's memory budget",
  ignore: !bounded,
  fn: async () => {
    // The agent catches each refusal, so it can say how much it got.
    const outcome = await visit(`export function onArrival(ctx) {
  const kept = [];
  for (let i = 0; i < 64; i++) {
    try { kept.push(new Uint8Array(4 << 20).fill(1)); } catch (e) { ctx.done({ mb: kept.length * 4, error: String(e) }); return; }
  }
  ctx.done({ mb: kept.length * 4 });
}`);
    assertTrue(outcome.ok, JSON.stringify(outcome));
    const got = (outcome.end.departure as unknown as { result: { mb: number; error?: string } })
      .result;
    assertEquals(got.error, "RangeError: Array buffer allocation failed");
    assertTrue(got.mb >= 16 && got.mb <= MEMORY_MB, `got ${got.mb} MB of a ${MEMORY_MB} MB budget`);
  },
});

Deno.test({
  name: "SandboxExecutor.visit() reports an agent whose ArrayBuffers or Wasm memory run out as oom",
  ignore: !bounded,
  fn: async () => {
    const buffers = await visit(
      "export async function onArrival() { const a = []; for (let i = 0; i < 128; i++) a.push(new Uint8Array(4 << 20).fill(1)); await new Promise(() => {}); }",
    );
    assertTrue(failed(buffers, "oom").message.includes(`${MEMORY_MB} MB in all`));
    const wasm = await visit(`export async function onArrival() {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 65536 });
  for (let i = 0; i < 128; i++) { memory.grow(64); new Uint8Array(memory.buffer).fill(1); }
  await new Promise(() => {});
}`);
    failed(wasm, "oom");
  },
});

/**
 * Real timers, but the quantum of `quantumMs` runs out when the test says so ({@link end}), not
 * on the wall clock: a loaded machine cannot make it end before the agent reached its limit.
 */
function heldQuantum(quantumMs: number): { runtime: Runtime; end: () => void } {
  const real = createRealRuntime();
  const held = new Map<TimerId, () => void>();
  const runtime: Runtime = {
    ...real,
    setTimer(delay, callback) {
      if (delay !== quantumMs) return real.setTimer(delay, callback);
      const id = {};
      held.set(id, callback);
      return id;
    },
    clearTimer(id) {
      if (!held.delete(id)) real.clearTimer(id);
    },
  };
  const end = () => {
    assertEquals(held.size, 1, "one visit's quantum is running");
    const [[id, callback]] = held;
    held.delete(id);
    callback();
  };
  return { runtime, end };
}

Deno.test({
  name: "SandboxExecutor.visit() reports oom, not timeout, for an agent stuck at its memory limit",
  ignore: !bounded,
  fn: async () => {
    const quantum = heldQuantum(3000);
    const executor = new SandboxExecutor({
      quantumMs: 3000,
      heapMb: 32,
      memoryMb: MEMORY_MB,
      runtime: quantum.runtime,
    });
    // The agent fills its budget, then asks the node a query: the quantum ends while it waits
    // there, holding what it got.
    const code = `export async function onArrival(ctx) {
  const a = [];
  try { for (let i = 0; i < 64; i++) a.push(new Uint8Array(4 << 20).fill(1)); } catch { /* at its limit */ }
  await ctx.query({});
  ctx.done(a.length);
}`;
    let asked = 0;
    const outcome = await executor.visit(
      { code, lang: "js", codeHash: codeHash(code), entry: "onArrival", view },
      () => {
        asked++;
        quantum.end();
        return [];
      },
    );
    assertEquals(asked, 1);
    const failure = failed(outcome, "oom");
    assertTrue(failure.message.includes("quantum of 3000 ms"), failure.message);
  },
});

Deno.test("SandboxExecutor.visit() refuses Workers on every path to them", async () => {
  const outcome = await visit(`export async function onArrival() {
  const tries = {
    global: () => new Worker(URL.createObjectURL(new Blob(["postMessage(1)"], { type: "text/javascript" })), { type: "module" }),
    data: () => new Worker("data:text/javascript,postMessage(1)", { type: "module" }),
    import: async () => new (await import("node:worker_threads")).Worker("1", { eval: true }),
    builtin: () => new (process.getBuiltinModule("worker_threads").Worker)("1", { eval: true }),
    require: async () => (await import("node:module")).createRequire("file:///x.js")("worker_threads"),
    internals: () => Deno[Deno.internal].core.ops.op_create_worker,
    restore: () => { globalThis.Worker = class {}; if (globalThis.Worker.toString().startsWith("class {}")) throw new Error("replaced"); },
  };
  for (const [name, attempt] of Object.entries(tries)) {
    try { await attempt(); console.log(name + ": STARTED"); } catch (e) { console.log(name + ": " + e.name); }
  }
}`);
  const failure = failed(outcome, "denied");
  assertEquals(outcome.logs, [
    "global: NotCapable",
    "data: NotCapable",
    "import: NotCapable",
    "builtin: NotCapable",
    "require: NotCapable",
    "internals: TypeError",
    "restore: TypeError",
  ]);
  assertTrue(failure.denied?.every((d) => d.includes("refuses Workers")), failure.denied?.join());
  assertEquals(failure.denied?.length, 5);
});

Deno.test("SandboxExecutor.visit() reports the capability denials an agent caught itself", async () => {
  const outcome = await visit(`export async function onArrival(ctx) {
  const quiet = async (f) => { try { await f(); } catch { /* hidden */ } };
  await quiet(() => process.env.HOME);
  await quiet(async () => (await import("node:fs")).readFileSync("/etc/hostname"));
  await quiet(() => Deno.hostname());
  await quiet(() => new Promise((resolve, reject) => { const ws = new WebSocket("ws://127.0.0.1:9/"); ws.onerror = reject; ws.onopen = resolve; }));
  ctx.done("nothing to see");
}`);
  const failure = failed(outcome, "denied");
  assertEquals(failure.denied?.map((d) => /Requires (\w+) access/.exec(d)?.[1]), [
    "env",
    "read",
    "sys",
    "net",
  ]);
});

Deno.test("SandboxExecutor.visit() reads a 60 MB line without a newline and reports it", async () => {
  const outcome = await visit(`export async function onArrival() {
  const mb = new Uint8Array(1 << 20).fill(120);
  for (let i = 0; i < 60; i++) await Deno.stdout.write(mb);
  await new Promise(() => {});
}`);
  const failure = failed(outcome, "output-too-large");
  assertTrue(failure.message.includes("a line longer than"), failure.message);
});
