/**
 * The sandbox: every visit runs in a fresh child `deno run` with no `--allow-*` flag,
 * `--no-remote`, `--no-npm`, a V8 heap cap, a cleared environment and `/` as working directory,
 * talking JSON lines over stdin/stdout. The node kills the child (SIGKILL) when it runs past its
 * time quantum; on Linux the child also gets a kernel CPU limit (`prlimit --cpu`), so a busy loop
 * dies even if the node itself is killed first. A Worker is not used: a no-permission Worker can
 * kill its host, `terminate()` does not stop a busy loop, and an out-of-memory Worker aborts the
 * whole process. Whatever the agent does, the node only sees an outcome.
 *
 * This is a real-host adapter (child processes and host timers, through the core's real
 * runtime); the simulator uses the in-process executor instead.
 * @module
 */
import type { Json } from "./agent_package.ts";
import type {
  AgentCode,
  ExecOptions,
  Executor,
  MergeOutcome,
  QueryFn,
  VisitInput,
  VisitOutcome,
} from "./executor.ts";
import { childFailure, type ChildResult, type Final, protocolFailure } from "./_child_outcome.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import type { Runtime } from "../core/runtime.ts";

/** Options of {@link SandboxExecutor}. */
export interface SandboxOptions {
  /** Wall-clock ms a run may take, start-up included. @default 5000 */
  readonly quantumMs?: number;
  /** V8 heap cap in MB. @default 128 */
  readonly heapMb?: number;
  /** Also cap the child's CPU time with `prlimit --cpu` when it exists. @default true */
  readonly cpuLimit?: boolean;
  /** Most bytes the child may write in one run before it is killed. @default 64 MiB */
  readonly maxOutputBytes?: number;
  /** The deno binary. @default Deno.execPath() */
  readonly deno?: string;
  /** Timers for the quantum. @default the core's real runtime */
  readonly runtime?: Runtime;
}

/** The flags every sandbox child runs with (before the heap cap and the runner's path). */
export const SANDBOX_FLAGS: readonly string[] = [
  "run",
  "--no-remote",
  "--no-npm",
  "--no-config",
  "--no-lock",
  "--no-prompt",
  "--quiet",
];

const RUNNER = new URL("./_runner.ts", import.meta.url);
const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"];
const encoder = new TextEncoder();
let prlimitPath: string | null | undefined;

function findPrlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  if (Deno.build.os !== "linux") return null;
  for (const path of PRLIMIT) {
    try {
      if (Deno.statSync(path).isFile) return prlimitPath = path;
    } catch {
      // Not there, or no permission to look: no CPU limit then.
    }
  }
  return null;
}

/**
 * Runs agents in child processes with no permission.
 *
 * @example A visit in the sandbox
 * ```ts
 * import assert from "node:assert/strict";
 * import { SandboxExecutor } from "./sandbox.ts";
 * import { codeHash } from "./agent_package.ts";
 * const code = "export function onArrival(ctx) { ctx.state.n += 1; }";
 * const view = { id: "a", node: "n1.lab", hop: 1, route: ["n1.lab"], itinerary: { kind: "sequential", stops: [] }, state: { n: 1 } } as const;
 * const outcome = await new SandboxExecutor({ quantumMs: 3000 }).visit(
 *   { code, lang: "js", codeHash: codeHash(code), entry: "onArrival", view },
 *   () => [],
 * );
 * assert.ok(outcome.ok);
 * assert.deepEqual(outcome.end.state, { n: 2 });
 * ```
 */
export class SandboxExecutor implements Executor {
  readonly #options: SandboxOptions;
  readonly #runtime: Runtime;
  readonly #running = new Set<Promise<unknown>>();

  /** Creates an executor; options give the default limits of every run. */
  constructor(options: SandboxOptions = {}) {
    for (const key of ["quantumMs", "heapMb", "maxOutputBytes"] as const) {
      const value = options[key];
      if (value !== undefined && !(Number.isFinite(value) && value > 0)) {
        throw new RangeError(`Cannot create sandbox: ${key} ${value} must be a number > 0`);
      }
    }
    this.#options = options;
    this.#runtime = options.runtime ?? createRealRuntime();
  }

  /** Runs one visit in a fresh child. */
  async visit(input: VisitInput, query: QueryFn, options: ExecOptions = {}): Promise<VisitOutcome> {
    const job = {
      t: "visit",
      code: input.code,
      lang: input.lang,
      codeHash: input.codeHash,
      entry: input.entry,
      view: input.view,
    };
    const result = await this.#run(job, query, options);
    const failure = childFailure(result, {
      quantumMs: options.quantumMs ?? this.#options.quantumMs ?? 5000,
      heapMb: options.heapMb ?? this.#options.heapMb ?? 128,
    });
    if (failure) return failure;
    if (result.final?.t !== "end") {
      return protocolFailure(result, "the child ended without a result");
    }
    return { ok: true, end: result.final.end, logs: result.logs };
  }

  /** Runs the module's `merge` in a fresh child (no data access). */
  async merge(
    code: AgentCode,
    results: readonly Json[],
    options: ExecOptions = {},
  ): Promise<MergeOutcome> {
    const job = { t: "merge", code: code.code, lang: code.lang, codeHash: code.codeHash, results };
    const result = await this.#run(job, () => {
      throw new TypeError("Cannot query during merge: no node data is reachable there");
    }, options);
    const failure = childFailure(result, {
      quantumMs: options.quantumMs ?? this.#options.quantumMs ?? 5000,
      heapMb: options.heapMb ?? this.#options.heapMb ?? 128,
    });
    if (failure) return failure;
    if (result.final?.t !== "merged") {
      return protocolFailure(result, "the child ended without a merge");
    }
    return { ok: true, result: result.final.result, merged: result.final.merged };
  }

  /** Children running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Resolves when no child is running (every child has exited and its pipes are closed). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #run(job: Record<string, unknown>, query: QueryFn, options: ExecOptions): Promise<ChildResult> {
    const run = this.#spawn(job, query, options);
    this.#running.add(run);
    run.finally(() => this.#running.delete(run)).catch(() => {});
    return run;
  }

  async #spawn(
    job: Record<string, unknown>,
    query: QueryFn,
    options: ExecOptions,
  ): Promise<ChildResult> {
    const quantum = options.quantumMs ?? this.#options.quantumMs ?? 5000;
    const heap = options.heapMb ?? this.#options.heapMb ?? 128;
    const maxOutput = this.#options.maxOutputBytes ?? 64 * 1024 * 1024;
    const deno = this.#options.deno ?? Deno.execPath();
    const args = [...SANDBOX_FLAGS, `--v8-flags=--max-old-space-size=${heap}`, RUNNER.pathname];
    const prlimit = this.#options.cpuLimit === false ? null : findPrlimit();
    const cpu = `--cpu=${Math.ceil(quantum / 1000) + 1}`;
    const child = new Deno.Command(prlimit ?? deno, {
      args: prlimit ? [cpu, deno, ...args] : args,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { NO_COLOR: "1" },
      cwd: Deno.build.os === "windows" ? undefined : "/",
    }).spawn();
    const result: Omit<ChildResult, "status"> = { denied: [], logs: [], stderr: "" };
    const writer = child.stdin.getWriter();
    let writing: Promise<void> = Promise.resolve();
    const write = (line: unknown) => {
      const bytes = encoder.encode(JSON.stringify(line) + "\n");
      writing = writing.then(() => writer.write(bytes)).catch(() => {});
    };
    const stop = () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const kill = (why: "timeout" | "disposed" | "protocol" | "final") => {
      if (result.killed || result.final) return;
      // After its last line a child has nothing more to give: it is stopped whether it exits
      // by itself (the runner does) or not (an agent that forged the line and went on).
      if (why === "final") return stop();
      result.killed = why;
      stop();
    };
    const timer = this.#runtime.setTimer(quantum, () => kill("timeout"));
    const onAbort = () => kill("disposed");
    options.signal?.addEventListener("abort", onAbort);
    if (options.signal?.aborted) onAbort();
    write(job);
    const readOut = (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      let total = 0;
      for await (const chunk of child.stdout) {
        total += chunk.length;
        if (total > maxOutput) {
          result.protocolError = `the agent wrote more than ${maxOutput} bytes`;
          kill("protocol");
          continue;
        }
        buffer += decoder.decode(chunk, { stream: true });
        for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
          const text = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          this.#line(text, result, query, write, kill);
        }
      }
    })();
    const readErr = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        result.stderr = (result.stderr + decoder.decode(chunk, { stream: true })).slice(-8192);
      }
    })();
    const status = await child.status;
    this.#runtime.clearTimer(timer);
    options.signal?.removeEventListener("abort", onAbort);
    await Promise.all([readOut, readErr]);
    await writing;
    await writer.close().catch(() => {});
    return { ...result, status };
  }

  #line(
    text: string,
    result: Omit<ChildResult, "status">,
    query: QueryFn,
    write: (line: unknown) => void,
    kill: (why: "protocol" | "final") => void,
  ): void {
    if (result.final || result.killed) return;
    let line: { t?: unknown; [key: string]: unknown };
    try {
      line = JSON.parse(text);
    } catch {
      result.protocolError = `the agent wrote a line that is not JSON: ${
        JSON.stringify(text.slice(0, 80))
      }`;
      kill("protocol");
      return;
    }
    switch (line?.t) {
      case "query": {
        let answer: Record<string, unknown>;
        try {
          answer = { t: "rows", n: line.n, rows: query(line.query as never) };
        } catch (error) {
          answer = { t: "rows", n: line.n, error: (error as Error).message };
        }
        write(answer);
        return;
      }
      case "log":
        if (result.logs.length < 100) result.logs.push(String(line.line));
        return;
      case "denied":
        if (result.denied.length < 20) result.denied.push(String(line.message));
        return;
      case "end":
      case "merged":
      case "fail":
        kill("final");
        result.final = line as unknown as Final;
        return;
      default:
        result.protocolError = `unknown line type ${JSON.stringify(line?.t)}`;
        kill("protocol");
    }
  }
}
