/**
 * `--trace FILE` paths: the format follows the extension (`.jsonl`, `.mmd`, `.svg`, `.html`,
 * `.shiviz`); any other extension, and a path that cannot be written, are refused before the run
 * starts. Light on purpose (no writer imported): every lab command and machine loads it.
 * @module
 */

/**
 * The formats a trace file can have, by extension, with what each holds.
 *
 * @example The extensions
 * ```ts
 * import assert from "node:assert/strict";
 * import { TRACE_FORMATS } from "./trace_path.ts";
 * assert.deepEqual(Object.keys(TRACE_FORMATS), [".jsonl", ".mmd", ".svg", ".html", ".shiviz"]);
 * ```
 */
export const TRACE_FORMATS: Readonly<Record<string, string>> = {
  ".jsonl": "JSON Lines, one event per line",
  ".mmd": "Mermaid sequenceDiagram",
  ".svg": "space-time diagram, static SVG",
  ".html": "space-time diagram, interactive and self-contained",
  ".shiviz": "ShiViz log with vector clocks",
};

/**
 * The extension of `file` that chooses its format; throws a `RangeError` for any other one.
 *
 * @example Formats by extension
 * ```ts
 * import assert from "node:assert/strict";
 * import { traceFormat } from "./trace_path.ts";
 * assert.equal(traceFormat("runs/a.HTML"), ".html");
 * assert.throws(() => traceFormat("run.txt"), /Cannot write trace "run.txt"/);
 * ```
 */
export function traceFormat(file: string): string {
  const m = /\.[^./\\]+$/.exec(file);
  const ext = m ? m[0].toLowerCase() : "";
  if (!(ext in TRACE_FORMATS)) {
    throw new RangeError(
      `Cannot write trace "${file}": ${
        ext ? `extension "${ext}" is not a trace format` : "it has no extension"
      }; use one of ${Object.keys(TRACE_FORMATS).join(", ")}`,
    );
  }
  return ext;
}

/**
 * Checks, before a run, that `file` has a trace extension and can be written: an existing file
 * is opened for writing (not truncated), a new one is created and removed again. Throws what
 * `fail` makes of the message (a `RangeError` by default).
 *
 * @example An unknown extension and a missing folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkTracePath } from "./trace_path.ts";
 * assert.throws(() => checkTracePath("run.png"), RangeError);
 * assert.throws(() => checkTracePath("/no/such/folder/run.svg"), /Cannot write trace/);
 * ```
 */
export function checkTracePath(
  file: string,
  fail: (message: string) => Error = (message) => new RangeError(message),
): void {
  try {
    traceFormat(file);
  } catch (error) {
    throw fail((error as Error).message);
  }
  let existed = true;
  try {
    Deno.statSync(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw fail(`Cannot write trace "${file}": ${(error as Error).message}`);
    }
    existed = false;
  }
  try {
    Deno.openSync(file, { write: true, create: !existed }).close();
    if (!existed) Deno.removeSync(file);
  } catch (error) {
    throw fail(
      `Cannot write trace "${file}": ${(error as Error).message}; ` +
        "choose a writable path (its folder must exist)",
    );
  }
}
