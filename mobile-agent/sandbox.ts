/**
 * The sandbox: every visit runs in a fresh child `deno run` with no `--allow-*` flag,
 * `--no-remote`, `--no-npm`, a V8 heap cap, a cleared environment and `/` as working directory,
 * talking JSON lines over stdin/stdout. The node kills the child (SIGKILL) when it runs past its
 * time quantum, writes a line or a run longer than allowed (read in linear time), or once its
 * last line came. On Linux the kernel bounds it too (`prlimit`): its CPU time, so a busy loop
 * dies even if the node itself is killed first, and its writable memory (RLIMIT_DATA: an idle
 * child's, measured once, plus the visit's budget), so ArrayBuffers, Wasm memories and anything
 * else the heap cap does not see stop at the budget. In the child, Workers are refused and every
 * capability denial is reported, also one the agent caught ({@link ./_lockdown.ts}). A Worker is
 * not the sandbox: a no-permission Worker can kill its host, `terminate()` does not stop a busy
 * loop, and an out-of-memory Worker aborts the whole process. Whatever the agent does, the node
 * only sees an outcome.
 *
 * This is a real-host adapter (child processes and host timers, through the core's real
 * runtime); the simulator uses the in-process executor instead.
 * @module
 */
import type { Json } from "./agent_package.ts";
import { codeHash } from "./agent_package.ts";
import type {
  AgentCode,
  ExecOptions,
  Executor,
  MergeOutcome,
  QueryFn,
  VisitInput,
  VisitOutcome,
} from "./executor.ts";
import { type ChildSettings, runChild } from "./_child_run.ts";
import {
  childFailure,
  type ChildLimitsInfo,
  type ChildResult,
  protocolFailure,
} from "./_child_outcome.ts";
import { findPrlimit, readChildMemory } from "./_limits.ts";
import { REFUSED_MODULES, refusedModuleSource } from "./_lockdown.ts";
import { createRealRuntime } from "../core/real_runtime.ts";
import type { Runtime } from "../core/runtime.ts";

/** Options of {@link SandboxExecutor}. */
export interface SandboxOptions {
  /** Wall-clock ms a run may take, start-up included. @default 5000 */
  readonly quantumMs?: number;
  /** V8 heap cap in MB. @default 128 */
  readonly heapMb?: number;
  /**
   * MB of memory a run may use beyond an idle sandbox child: heap, ArrayBuffers, Wasm, Workers'
   * isolates, everything it can write. Enforced by the kernel (RLIMIT_DATA) on Linux.
   * @default heapMb + 64
   */
  readonly memoryMb?: number;
  /** Bound the child's memory with the kernel, on Linux when `prlimit` exists. @default true */
  readonly memoryLimit?: boolean;
  /** Also cap the child's CPU time with `prlimit --cpu` when it exists. @default true */
  readonly cpuLimit?: boolean;
  /** Most bytes the child may write in one run before it is killed. @default 64 MiB */
  readonly maxOutputBytes?: number;
  /** Most bytes of one line the child writes before it is killed. @default 32 MiB */
  readonly maxLineBytes?: number;
  /** The deno binary. @default Deno.execPath() */
  readonly deno?: string;
  /** Timers for the quantum. @default the core's real runtime */
  readonly runtime?: Runtime;
}

/** The flags every sandbox child runs with (before the import map, heap cap and runner). */
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
/** Maps the modules that reach `Worker` to a module that refuses them. */
const IMPORT_MAP = "data:application/json," + encodeURIComponent(JSON.stringify({
  imports: Object.fromEntries(
    REFUSED_MODULES.map((m) => [
      m,
      `data:text/javascript,${encodeURIComponent(refusedModuleSource(m))}`,
    ]),
  ),
}));
/** The agent that measures an idle child: TypeScript (so the transpiler is loaded) and a query. */
const PROBE = "export async function onArrival(ctx: { query(q: object): Promise<unknown[]> }) {\n" +
  "  await ctx.query({});\n}";
const PROBE_VIEW = {
  id: "probe",
  node: "probe",
  hop: 1,
  route: ["probe"],
  itinerary: { kind: "sequential", stops: [] },
  state: null,
} as const;
/** An idle child's VmData (KB), per deno binary and heap cap, measured once per process. */
const baselines = new Map<string, Promise<number>>();

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
    for (
      const key of ["quantumMs", "heapMb", "memoryMb", "maxOutputBytes", "maxLineBytes"] as const
    ) {
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
    const { result, limits } = await this.#run(job, query, options);
    const failure = childFailure(result, limits);
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
    const { result, limits } = await this.#run(job, () => {
      throw new TypeError("Cannot query during merge: no node data is reachable there");
    }, options);
    const failure = childFailure(result, limits);
    if (failure) return failure;
    if (result.final?.t !== "merged") {
      return protocolFailure(result, "the child ended without a merge");
    }
    return { ok: true, result: result.final.result, merged: result.final.merged };
  }

  /**
   * Measures now what an idle child maps (once per process), so that the first visit does not
   * pay for it; a no-op without a kernel memory limit. Rejects when it cannot be measured.
   */
  async prepare(options: { readonly heapMb?: number } = {}): Promise<void> {
    if (this.#options.memoryLimit === false || findPrlimit() === null) return;
    await this.#baseline(options.heapMb ?? this.#options.heapMb ?? 128);
  }

  /** Children running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Resolves when no child is running (every child has exited and its pipes are closed). */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  #track<T>(run: Promise<T>): Promise<T> {
    this.#running.add(run);
    // The caller awaits `run` itself and sees its error; this copy only untracks it.
    run.finally(() => this.#running.delete(run)).catch(() => {});
    return run;
  }

  async #run(
    job: Record<string, unknown>,
    query: QueryFn,
    options: ExecOptions,
  ): Promise<{ result: ChildResult; limits: ChildLimitsInfo }> {
    const quantumMs = options.quantumMs ?? this.#options.quantumMs ?? 5000;
    const heapMb = options.heapMb ?? this.#options.heapMb ?? 128;
    const memoryMb = options.memoryMb ?? this.#options.memoryMb ?? heapMb + 64;
    const bounded = this.#options.memoryLimit !== false && findPrlimit() !== null;
    const baseKb = bounded ? await this.#baseline(heapMb) : undefined;
    const result = await this.#track(runChild(job, query, {
      ...this.#settings(heapMb),
      limits: {
        cpuSeconds: this.#cpuSeconds(quantumMs),
        dataBytes: baseKb === undefined ? undefined : (baseKb + memoryMb * 1024) * 1024,
      },
      quantumMs,
      signal: options.signal,
      baseKb,
    }));
    return { result, limits: { quantumMs, heapMb, memoryMb: bounded ? memoryMb : undefined } };
  }

  #cpuSeconds(quantumMs: number): number | undefined {
    return this.#options.cpuLimit === false ? undefined : Math.ceil(quantumMs / 1000) + 1;
  }

  #settings(heapMb: number): Omit<ChildSettings, "limits" | "quantumMs"> {
    return {
      deno: this.#options.deno ?? Deno.execPath(),
      args: [
        ...SANDBOX_FLAGS,
        `--import-map=${IMPORT_MAP}`,
        `--v8-flags=--max-old-space-size=${heapMb}`,
        RUNNER.pathname,
      ],
      maxOutputBytes: this.#options.maxOutputBytes ?? 64 * 1024 * 1024,
      maxLineBytes: this.#options.maxLineBytes ?? 32 * 1024 * 1024,
      runtime: this.#runtime,
    };
  }

  /** What an idle child maps writable (KB): measured once per deno binary and heap cap. */
  #baseline(heapMb: number): Promise<number> {
    const settings = this.#settings(heapMb);
    const key = `${settings.deno} ${heapMb}`;
    let baseline = baselines.get(key);
    if (baseline === undefined) {
      baseline = this.#track(measureIdle(settings, this.#cpuSeconds(30_000)));
      baselines.set(key, baseline);
      // A failed measurement is not kept: the next run measures again. The error itself
      // reaches the caller through `baseline`.
      baseline.catch(() => baselines.delete(key));
    }
    return baseline;
  }
}

/** Runs the probe agent without a memory limit and reads the child's VmData at its query. */
async function measureIdle(
  settings: Omit<ChildSettings, "limits" | "quantumMs">,
  cpuSeconds: number | undefined,
): Promise<number> {
  let pid = 0;
  let dataKb: number | undefined;
  const job = {
    t: "visit",
    code: PROBE,
    lang: "ts",
    codeHash: codeHash(PROBE),
    entry: "onArrival",
    view: PROBE_VIEW,
  };
  let readError: unknown;
  const result = await runChild(job, () => {
    try {
      dataKb = readChildMemory(pid)?.dataKb;
    } catch (error) {
      readError = error;
    }
    return [];
  }, { ...settings, limits: { cpuSeconds }, quantumMs: 30_000, onStart: (p) => pid = p });
  if (readError !== undefined) {
    throw new Error(
      `Cannot bound the sandbox's memory: reading /proc/${pid}/status failed (${
        (readError as Error).message
      }); run the node with --allow-all or with run permission for cat, or set memoryLimit: false`,
    );
  }
  if (dataKb === undefined || result.final?.t !== "end") {
    const why = childFailure(result, { quantumMs: 30_000, heapMb: 0 })?.message ?? "no query came";
    throw new Error(`Cannot measure an idle sandbox child's memory: ${why}`);
  }
  return dataKb;
}
