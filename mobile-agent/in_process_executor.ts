/**
 * The in-process executor, for the simulator: agent modules are imported once, before the
 * simulation runs (importing is real I/O), and each visit calls the entry point directly, so a
 * run stays deterministic and replays from its seed. There is no sandbox here: no quantum, no
 * heap cap, no permission wall. Use it for code you trust (your own agents in `--sim`).
 * @module
 */
import { codeHash, type CodeLang, type Json } from "./agent_package.ts";
import type {
  AgentCode,
  ExecFailure,
  Executor,
  MergeOutcome,
  QueryFn,
  VisitInput,
  VisitOutcome,
} from "./executor.ts";
import { type AgentModule, classify, moduleUrl, runEntry, runMerge } from "./_run_entry.ts";

const loaded = new Map<string, AgentModule>();

/**
 * Imports an agent's module for in-process runs and returns its hash. Call it before
 * `Simulator.run()`: the import is real I/O.
 *
 * @example Preload, then run a visit in-process
 * ```ts
 * import assert from "node:assert/strict";
 * import { InProcessExecutor, preloadAgent } from "./in_process_executor.ts";
 * const code = "export function onArrival(ctx) { ctx.done(ctx.node); }";
 * const hash = await preloadAgent(code);
 * const view = { id: "a", node: "n1.lab", hop: 1, route: ["n1.lab"], itinerary: { kind: "sequential", stops: [] }, state: null } as const;
 * const outcome = await new InProcessExecutor().visit({ code, lang: "js", codeHash: hash, entry: "onArrival", view }, () => []);
 * assert.ok(outcome.ok);
 * assert.deepEqual(outcome.end.departure, { kind: "done", result: "n1.lab" });
 * ```
 */
export async function preloadAgent(code: string, lang: CodeLang = "js"): Promise<string> {
  const hash = codeHash(code);
  if (!loaded.has(hash)) loaded.set(hash, await import(moduleUrl(code, lang)));
  return hash;
}

/**
 * Whether the module with SHA-256 `hash` is preloaded.
 *
 * @example Unknown hash
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPreloaded } from "./in_process_executor.ts";
 * assert.equal(isPreloaded("0".repeat(64)), false);
 * ```
 */
export function isPreloaded(hash: string): boolean {
  return loaded.has(hash);
}

function missing(hash: string): ExecFailure {
  return {
    ok: false,
    reason: "threw",
    message: `Cannot run agent in-process: module ${
      hash.slice(0, 12)
    } was not preloaded; call preloadAgent(code) before the simulation runs`,
    logs: [],
  };
}

/**
 * Runs preloaded agent modules in this process (deterministic, not isolated).
 *
 * @example A merge without a `merge` export lists the results
 * ```ts
 * import assert from "node:assert/strict";
 * import { InProcessExecutor, preloadAgent } from "./in_process_executor.ts";
 * const code = "export function onArrival() {}";
 * const codeHash = await preloadAgent(code);
 * const outcome = await new InProcessExecutor().merge({ code, lang: "js", codeHash }, [1, 2]);
 * assert.deepEqual(outcome, { ok: true, result: [1, 2], merged: false });
 * ```
 */
export class InProcessExecutor implements Executor {
  /** Calls the entry point directly; the query answers synchronously from local data. */
  async visit(input: VisitInput, query: QueryFn): Promise<VisitOutcome> {
    const mod = loaded.get(input.codeHash);
    if (mod === undefined) return missing(input.codeHash);
    const logs: string[] = [];
    const label = `agent:${input.codeHash.slice(0, 12)}`;
    try {
      const end = await runEntry(mod, {
        entry: input.entry,
        view: input.view,
        query: (q) => {
          try {
            return Promise.resolve(query(q));
          } catch (error) {
            return Promise.reject(error);
          }
        },
        log: (line) => void (logs.length < 100 && logs.push(line)),
      });
      return { ok: true, end, logs };
    } catch (error) {
      return { ok: false, ...classify(error, label), logs };
    }
  }

  /** Calls the module's `merge`, or lists the results. */
  async merge(code: AgentCode, results: readonly Json[]): Promise<MergeOutcome> {
    const mod = loaded.get(code.codeHash);
    if (mod === undefined) return missing(code.codeHash);
    try {
      return { ok: true, ...(await runMerge(mod, results)) };
    } catch (error) {
      const label = `agent:${code.codeHash.slice(0, 12)}`;
      return { ok: false, ...classify(error, label), logs: [] };
    }
  }
}
