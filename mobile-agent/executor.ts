/**
 * Executors run one visit of an agent: the sandbox (a child `deno run` with no permission, used
 * on real hosts) or the in-process runner (used in the simulator). Both give the same outcome
 * shape, so a node does not care which one ran the code.
 * @module
 */
import type { CodeLang, FailureReason, Json } from "./agent_package.ts";
import type { AgentView, VisitEnd } from "./agent_context.ts";
import type { AgentQuery, Row } from "./query.ts";

/** The code of an agent. */
export interface AgentCode {
  /** Module source. */
  readonly code: string;
  /** Its language. */
  readonly lang: CodeLang;
  /** Its SHA-256 (hex). */
  readonly codeHash: string;
}

/** One visit to run. */
export interface VisitInput extends AgentCode {
  /** The exported function to call. */
  readonly entry: string;
  /** What the agent is told about itself. */
  readonly view: AgentView;
}

/** A failed visit or merge. */
export interface ExecFailure {
  /** Always false: the run failed. */
  readonly ok: false;
  /** What went wrong. */
  readonly reason: FailureReason;
  /** A sentence naming it. */
  readonly message: string;
  /** The agent's stack, when it threw. */
  readonly stack?: string;
  /** The capability denials met (also those the agent caught), when it was refused. */
  readonly denied?: readonly string[];
  /** Lines the agent logged before it failed. */
  readonly logs: readonly string[];
}

/** How a visit ended. */
export type VisitOutcome =
  | { readonly ok: true; readonly end: VisitEnd; readonly logs: readonly string[] }
  | ExecFailure;

/** How a merge ended: `merged` is false when the module exports no `merge`. */
export type MergeOutcome =
  | { readonly ok: true; readonly result: Json; readonly merged: boolean }
  | ExecFailure;

/** The node's side of the query capability: synchronous, over local data. */
export type QueryFn = (query: AgentQuery) => Row[];

/** Limits of one run. */
export interface ExecOptions {
  /** Wall-clock ms the run may take before it is killed (sandbox only). @default 5000 */
  readonly quantumMs?: number;
  /** V8 heap cap in MB (sandbox only). @default 128 */
  readonly heapMb?: number;
  /**
   * Memory in MB the run may use beyond an idle sandbox child, heap, ArrayBuffers and all
   * (sandbox only, enforced by the kernel on Linux). @default heapMb + 64
   */
  readonly memoryMb?: number;
  /** Aborting kills the run; it then ends with reason `disposed`. @default none */
  readonly signal?: AbortSignal;
}

/** Runs agent code. */
export interface Executor {
  /** Runs `input.entry` of the module against the node's data. */
  visit(input: VisitInput, query: QueryFn, options?: ExecOptions): Promise<VisitOutcome>;
  /** Calls the module's `merge(results)`, or returns the results as an array without one. */
  merge(code: AgentCode, results: readonly Json[], options?: ExecOptions): Promise<MergeOutcome>;
}
