/**
 * The sandbox with real child processes: every way an agent can fail ends in a clear outcome
 * and the host process lives on (it keeps running the next visits).
 * @module
 */
import { codeHash } from "../mobile-agent/agent_package.ts";
import type { AgentView } from "../mobile-agent/agent_context.ts";
import type { VisitOutcome } from "../mobile-agent/executor.ts";
import { SandboxExecutor } from "../mobile-agent/sandbox.ts";
import { assertEquals, assertTrue } from "./_assert.ts";

const sandbox = new SandboxExecutor({ quantumMs: 1500, heapMb: 32 });
const view: AgentView = {
  id: "a1",
  node: "n1.lab",
  hop: 1,
  route: ["n1.lab"],
  itinerary: { kind: "sequential", stops: ["n2.lab"] },
  state: { n: 0 },
};
const rows = [{ id: 1, amount: 10 }, { id: 2, amount: 20 }];

function visit(code: string, query = (): typeof rows => rows): Promise<VisitOutcome> {
  return sandbox.visit(
    { code, lang: "js", codeHash: codeHash(code), entry: "onArrival", view },
    query,
  );
}

function failed(outcome: VisitOutcome, reason: string): { message: string; stack?: string } {
  if (outcome.ok) throw new Error(`expected a ${reason} failure, got ok`);
  assertEquals(outcome.reason, reason, outcome.message);
  return outcome;
}

Deno.test("SandboxExecutor.visit() runs an entry point against the node's query capability", async () => {
  const outcome = await visit(
    "export async function onArrival(ctx) {\n" +
      "  const rows = await ctx.query({ where: [['amount', '>', 5]] });\n" +
      "  ctx.state.n = rows.length; console.log('seen', rows.length); ctx.go('n9.lab', 'again');\n}",
  );
  assertTrue(outcome.ok, JSON.stringify(outcome));
  assertEquals(outcome.end.state, { n: 2 });
  assertEquals(outcome.end.departure, { kind: "go", to: "n9.lab", entry: "again" });
  assertEquals(outcome.logs, ["seen 2"]);
});

Deno.test("SandboxExecutor.visit() returns the stack of an agent that throws", async () => {
  const outcome = await visit(
    "export function onArrival(ctx) {\n  throw new Error('boom at ' + ctx.node);\n}",
  );
  const failure = failed(outcome, "threw");
  assertEquals(failure.message, "Error: boom at n1.lab");
  assertTrue(failure.stack?.includes("at onArrival (agent:"), failure.stack);
});

Deno.test("SandboxExecutor.visit() kills an agent that loops forever at its quantum", async () => {
  const outcome = await visit("export function onArrival() { for (;;) {} }");
  assertTrue(failed(outcome, "timeout").message.includes("1500 ms"));
  assertEquals(sandbox.running, 0);
});

Deno.test("SandboxExecutor.visit() contains an agent that allocates without bound", async () => {
  const outcome = await visit(
    "export function onArrival() { const a = []; for (;;) a.push(new Array(1e5).fill(1)); }",
  );
  assertTrue(failed(outcome, "oom").message.includes("32 MB"));
  const after = await visit("export function onArrival(ctx) { ctx.state.n = 1; }");
  assertTrue(after.ok, "the host keeps running visits after an out-of-memory agent");
});

Deno.test("SandboxExecutor.visit() denies and reports reading a file", async () => {
  const outcome = await visit(
    "export async function onArrival() { await Deno.readTextFile('/etc/hostname'); }",
  );
  assertTrue(failed(outcome, "denied").message.includes('read access to "/etc/hostname"'));
});

Deno.test("SandboxExecutor.visit() reports a denial even when the agent catches it", async () => {
  const outcome = await visit(
    "export function onArrival() { try { Deno.env.get('HOME'); } catch { /* hide it */ } }",
  );
  assertTrue(failed(outcome, "denied").message.includes("env access"));
});

Deno.test("SandboxExecutor.visit() denies and reports network access", async () => {
  const outcome = await visit(
    "export async function onArrival() { await fetch('http://127.0.0.1:8080/'); }",
  );
  assertTrue(failed(outcome, "denied").message.includes("net access"));
});

Deno.test("SandboxExecutor.visit() denies and reports running a command", async () => {
  const outcome = await visit(
    "export async function onArrival() { await new Deno.Command('/bin/sh', { args: ['-c', 'true'] }).output(); }",
  );
  assertTrue(failed(outcome, "denied").message.includes("run access"));
});

Deno.test("SandboxExecutor.visit() denies importing a local file or a remote module", async () => {
  const local = await visit("import x from 'file:///etc/hostname'; export function onArrival() {}");
  assertTrue(failed(local, "denied").message.includes("read access"));
  const remote = await visit(
    "export async function onArrival() { await import('https://example.com/x.js'); }",
  );
  assertTrue(failed(remote, "denied").message.includes("import access"));
});

Deno.test("SandboxExecutor.visit() survives an agent that tries to kill its host", async () => {
  const outcome = await visit("export function onArrival() { Deno.kill(Deno.ppid, 'SIGKILL'); }");
  assertTrue(failed(outcome, "denied").message.includes("run access"));
});

Deno.test("SandboxExecutor.visit() reports an agent that exits or garbles its output", async () => {
  const exited = await visit("export function onArrival() { Deno.exit(3); }");
  assertTrue(failed(exited, "crashed").message.includes("code 3"));
  const garbled = await visit(
    "export async function onArrival() { await Deno.stdout.write(new TextEncoder().encode('hi\\n')); }",
  );
  assertTrue(failed(garbled, "protocol").message.includes("not JSON"));
});

Deno.test("SandboxExecutor.visit() names a syntax error and a missing entry point", async () => {
  const syntax = await visit("export function onArrival( {");
  assertTrue(failed(syntax, "threw").message.includes("SyntaxError"));
  const missing = await visit("export function other() {}");
  assertTrue(failed(missing, "threw").message.includes('exports no function "onArrival"'));
});

Deno.test("SandboxExecutor.visit() passes a query error to the agent", async () => {
  const outcome = await visit(
    "export async function onArrival(ctx) { try { await ctx.query({ table: 'x' }); } catch (e) { ctx.done(e.message); } }",
    () => {
      throw new TypeError("Cannot query: unknown table");
    },
  );
  assertTrue(outcome.ok, JSON.stringify(outcome));
  assertEquals(outcome.end.departure, { kind: "done", result: "Cannot query: unknown table" });
});

Deno.test("SandboxExecutor.visit() ends with reason disposed when aborted", async () => {
  const controller = new AbortController();
  const code = "export function onArrival() { return new Promise(() => {}); }";
  const running = sandbox.visit(
    { code, lang: "js", codeHash: codeHash(code), entry: "onArrival", view },
    () => [],
    { signal: controller.signal },
  );
  controller.abort();
  failed(await running, "disposed");
});

Deno.test("SandboxExecutor.merge() calls the module's merge, or lists the results", async () => {
  const code = "export function merge(results) { return results.reduce((a, b) => a + b, 0); }";
  const merged = await sandbox.merge({ code, lang: "js", codeHash: codeHash(code) }, [1, 2, 3]);
  assertEquals(merged, { ok: true, result: 6, merged: true });
  const plain = "export function onArrival() {}";
  const listed = await sandbox.merge({ code: plain, lang: "js", codeHash: codeHash(plain) }, [
    1,
    2,
  ]);
  assertEquals(listed, { ok: true, result: [1, 2], merged: false });
});

Deno.test("SandboxExecutor.visit() runs TypeScript agents", async () => {
  const code =
    "export function onArrival(ctx: { state: { n: number } }): void { ctx.state.n = 7; }";
  const outcome = await sandbox.visit(
    { code, lang: "ts", codeHash: codeHash(code), entry: "onArrival", view },
    () => [],
  );
  assertTrue(outcome.ok, JSON.stringify(outcome));
  assertEquals(outcome.end.state, { n: 7 });
});
