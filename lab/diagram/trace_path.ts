/**
 * `--trace FILE` paths: the format follows the extension (`.jsonl`, `.mmd`, `.svg`, `.html`,
 * `.shiviz`); any other extension, and a path that cannot be written, are refused before the run
 * starts; other output-path flags (`lab check --svg`) are checked the same way. Light on purpose
 * (no writer imported): every lab command and machine loads it.
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
  return outputFormat(file, TRACE_FORMATS, "trace");
}

/**
 * The extension of `file` among `formats` (lower-cased); a `RangeError` naming the path, what
 * was to be written (`what`) and the formats otherwise.
 *
 * @example A picture
 * ```ts
 * import assert from "node:assert/strict";
 * import { outputFormat } from "./trace_path.ts";
 * assert.equal(outputFormat("w.SVG", { ".svg": "SVG" }, "window"), ".svg");
 * assert.throws(
 *   () => outputFormat("w.png", { ".svg": "SVG" }, "window"),
 *   /Cannot write window "w.png": extension ".png" is not a window format; use one of .svg/,
 * );
 * ```
 */
export function outputFormat(
  file: string,
  formats: Readonly<Record<string, string>>,
  what: string,
): string {
  const m = /\.[^./\\]+$/.exec(file);
  const ext = m ? m[0].toLowerCase() : "";
  if (!(ext in formats)) {
    throw new RangeError(
      `Cannot write ${what} "${file}": ${
        ext ? `extension "${ext}" is not a ${what} format` : "it has no extension"
      }; use one of ${Object.keys(formats).join(", ")}`,
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
  checkOutputPath(file, { formats: TRACE_FORMATS, what: "trace", fail });
}

/**
 * Checks, before a run, that the output file `file` has one of `formats`' extensions and can be
 * written, as {@link checkTracePath} does for traces: every output-path flag of the lab goes
 * through it. Throws what `fail` makes of a message naming the path.
 *
 * @example A picture in a missing folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkOutputPath } from "./trace_path.ts";
 * const svg = { formats: { ".svg": "SVG picture" }, what: "window" };
 * assert.throws(() => checkOutputPath("w.png", svg), /use one of .svg/);
 * assert.throws(() => checkOutputPath("/no/such/w.svg", svg), /Cannot write window "\/no/);
 * ```
 */
export function checkOutputPath(
  file: string,
  options: {
    /** The extensions accepted, each with what it holds. */
    formats: Readonly<Record<string, string>>;
    /** What the file holds, in messages: `trace`, `window`. */
    what: string;
    /** Makes the error thrown. @default a `RangeError` */
    fail?: (message: string) => Error;
  },
): void {
  const { formats, what } = options;
  const fail = options.fail ?? ((message: string) => new RangeError(message));
  try {
    outputFormat(file, formats, what);
  } catch (error) {
    throw fail((error as Error).message);
  }
  let existed = true;
  try {
    Deno.statSync(file);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw fail(`Cannot write ${what} "${file}": ${(error as Error).message}`);
    }
    existed = false;
  }
  try {
    Deno.openSync(file, { write: true, create: !existed }).close();
    if (!existed) Deno.removeSync(file);
  } catch (error) {
    throw fail(
      `Cannot write ${what} "${file}": ${(error as Error).message}; ` +
        "choose a writable path (its folder must exist)",
    );
  }
}
