/**
 * Runs a lab command in-process with `--json` and takes its summary: what it prints on stdout
 * is captured (not shown), and what it writes on stderr is kept for the error of a run that
 * printed no summary.
 * @module
 */

/** A lab command's entry point. */
export type LabRun = (args: string[]) => Promise<number>;

/** A command's `--json` summary: the keys every architecture has, and its own. */
export type JsonSummary = Readonly<Record<string, unknown>> & {
  /** The trace digest: the same run replays to the same digest. */
  readonly traceDigest: string;
};

/** A summary and the exit code of one run. */
export interface JsonRun {
  /** The `--json` summary the command printed. */
  readonly summary: JsonSummary;
  /** The command's exit code. */
  readonly code: number;
}

/**
 * Runs `run(args + --json)` with the console captured; throws when it prints no JSON summary.
 *
 * @example A command that prints one JSON line
 * ```ts
 * import assert from "node:assert/strict";
 * import { runJson } from "./_run_json.ts";
 * const fake = (args: string[]) => {
 *   console.log(JSON.stringify({ seed: args.length, traceDigest: "ab" }));
 *   return Promise.resolve(1);
 * };
 * const { summary, code } = await runJson(fake, ["--sim"]);
 * assert.deepEqual([summary.seed, code], [2, 1]);
 * ```
 */
export async function runJson(run: LabRun, args: readonly string[]): Promise<JsonRun> {
  const out: string[] = [], err: string[] = [];
  const { log, error } = console;
  console.log = (...parts: unknown[]) => out.push(parts.map(String).join(" "));
  console.error = (...parts: unknown[]) => err.push(parts.map(String).join(" "));
  let code: number;
  try {
    code = await run([...args, "--json"]);
  } finally {
    console.log = log;
    console.error = error;
  }
  const line = out.findLast((l) => l.startsWith("{"));
  if (line === undefined) {
    throw new Error(
      `Cannot judge the run: it printed no JSON summary (exit code ${code})${
        err.length > 0 ? `; it said: ${err.join(" ").slice(0, 400)}` : ""
      }`,
    );
  }
  return { summary: JSON.parse(line) as JsonSummary, code };
}
