/**
 * Runs an entry point of a loaded agent module and classifies what it throws. Shared by the
 * sandbox's child and the in-process executor; imports nothing that needs a permission.
 * @module
 */
import type { Json } from "./agent_package.ts";
import { type AgentView, createAgentContext, type VisitEnd } from "./agent_context.ts";
import type { AgentQuery, Row } from "./query.ts";

/** A loaded agent module. */
export type AgentModule = Readonly<Record<string, unknown>>;

/** A thrown value, classified. */
export interface Classified {
  readonly reason: "threw" | "denied" | "oom";
  readonly message: string;
  readonly stack?: string;
}

const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");
const DENIED = /NotCapable|PermissionDenied|Requires \w+ access|--no-remote is specified|--no-npm/;
/** V8's words when an ArrayBuffer or a Wasm memory cannot get its memory. */
const NO_MEMORY =
  /^RangeError: (?:Array buffer allocation failed|.*could not allocate memory|.*Unable to grow)/;

const DATA_URL = /data:(?:text\/javascript|application\/typescript)[^\s)]*/g;
const RUNNER_FRAME = /^\s*at .*(?:_run_entry|_runner|in_process_executor)\.ts.*$/;

/**
 * Removes colour codes, replaces the module's data: URL with `label` and drops the runner's own
 * stack frames, so a stack shows the agent's lines only.
 */
export function cleanText(text: string, label: string): string {
  return text.replace(ANSI, "").replace(DATA_URL, label)
    .split("\n").filter((line) => !RUNNER_FRAME.test(line)).join("\n");
}

/**
 * Classifies a thrown value: a permission refusal is `denied`, an allocation the memory limit
 * refused is `oom`, anything else `threw`.
 */
export function classify(error: unknown, label: string): Classified {
  const name = (error as { name?: unknown })?.name;
  const raw = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const message = cleanText(raw, label).slice(0, 2000);
  const stack = error instanceof Error && typeof error.stack === "string"
    ? cleanText(error.stack, label).slice(0, 4000)
    : undefined;
  const denied = name === "NotCapable" || name === "PermissionDenied" || DENIED.test(raw);
  const reason = denied ? "denied" : NO_MEMORY.test(raw) ? "oom" : "threw";
  return { reason, message, stack };
}

/** The module URL for `code`: a `data:` URL, which needs no permission to import. */
export function moduleUrl(code: string, lang: "js" | "ts"): string {
  const type = lang === "ts" ? "application/typescript" : "text/javascript";
  const escaped = encodeURIComponent(code).replace(
    /[()!'*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `data:${type},${escaped}`;
}

/** One entry point to run. */
export interface EntryJob {
  readonly entry: string;
  readonly view: AgentView;
  readonly query: (query: AgentQuery) => Promise<Row[]>;
  readonly log: (line: string) => void;
}

/** Calls the job's entry point of `mod`; throws what the agent throws. */
export async function runEntry(mod: AgentModule, job: EntryJob): Promise<VisitEnd> {
  const { entry, view, query, log } = job;
  const fn = mod[entry];
  if (typeof fn !== "function") {
    const exported = Object.keys(mod).filter((k) => typeof mod[k] === "function");
    throw new TypeError(
      `Cannot resume agent "${view.id}": its module exports no function "${entry}"; exported: ${
        exported.join(", ") || "none"
      }`,
    );
  }
  const { ctx, finish } = createAgentContext(view, { query, log });
  await fn(ctx);
  return finish();
}

/** Calls `mod.merge(results)`, or returns the results when there is no `merge`. */
export async function runMerge(
  mod: AgentModule,
  results: readonly Json[],
): Promise<{ result: Json; merged: boolean }> {
  if (typeof mod.merge !== "function") return { result: [...results], merged: false };
  const value = await mod.merge(structuredClone(results));
  const text = JSON.stringify(value);
  return { result: text === undefined ? null : JSON.parse(text), merged: true };
}
