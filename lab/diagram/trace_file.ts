/**
 * `--trace FILE`: the text of the trace in the format of the file's extension (`.jsonl`, `.mmd`,
 * `.svg`, `.html`, `.shiviz`), as a string or streamed into the file.
 * @module
 */
import { toMermaid } from "../../core/mermaid.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { writeJsonl } from "./_jsonl.ts";
import { toHtml, writeHtmlPage } from "./html.ts";
import { toShiviz } from "./shiviz.ts";
import type { DiagramEvent } from "./model.ts";
import { type DiagramOptions, toSvg, writeSvg } from "./svg.ts";
import { ByteSink } from "./text_sink.ts";
import { traceFormat } from "./trace_path.ts";
import { writeTraceText } from "./trace_text.ts";
import { ByteWriter } from "./_byte_writer.ts";

/**
 * The text of a trace file in the format of `file`'s extension.
 *
 * @example JSON Lines and Mermaid
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTrace } from "./trace_file.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }];
 * assert.equal(renderTrace(events, "x.jsonl"), '{"t":0,"ev":"spawn","at":"a@m1.lab"}\n');
 * assert.match(renderTrace(events, "x.mmd"), /^sequenceDiagram/);
 * ```
 */
export function renderTrace(
  events: readonly DiagramEvent[],
  file: string,
  options: DiagramOptions = {},
): string {
  // Either kind of clock (a live stamp or a record read back) writes as a record: JSON calls toJSON.
  const traced = events as readonly TraceEvent[];
  switch (traceFormat(file)) {
    case ".mmd":
      return toMermaid(traced);
    case ".svg":
      return toSvg(events, options);
    case ".html":
      return toHtml(events, options);
    case ".shiviz":
      return toShiviz(events);
    default: {
      const out: string[] = [];
      writeJsonl(traced, out);
      return out.length === 0 ? "" : out.join("\n") + "\n";
    }
  }
}

/**
 * Writes the trace file `file` in the format of its extension, as bytes, never as one string:
 * the per-event formats through {@link writeTraceFiles}, the SVG a quarter megabyte at a time
 * (Mermaid, small by nature, goes as one string). The rendering is done when the promise is
 * made; the promise is the writing.
 *
 * @example The same bytes as the text
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTrace, writeTraceFile } from "./trace_file.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }];
 * for (const ext of [".jsonl", ".html", ".svg", ".shiviz", ".mmd"]) {
 *   const file = await Deno.makeTempFile({ suffix: ext });
 *   await writeTraceFile(events, file);
 *   assert.equal(await Deno.readTextFile(file), renderTrace(events, file));
 *   await Deno.remove(file);
 * }
 * ```
 */
export function writeTraceFile(
  events: readonly DiagramEvent[],
  file: string,
  options: DiagramOptions = {},
): Promise<void> {
  const format = traceFormat(file);
  if (format === ".jsonl" || format === ".shiviz" || format === ".html") {
    return writeTraceFiles(events, [file], options);
  }
  if (format !== ".svg") return Deno.writeTextFile(file, renderTrace(events, file, options));
  const sink = new ByteSink("\n");
  writeSvg(events, sink, options);
  return sink.writeTo(file);
}

/**
 * Writes several trace files of one trace, each in the format of its extension: the per-event
 * formats (`.jsonl`, `.shiviz`, `.html`) from one pass over the events (`writeTraceText`: each
 * event serialised once), the others as {@link writeTraceFile} does. Each file is written with
 * one write; the rendering is done when the promise is made.
 *
 * @example The same bytes as one file at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTrace, writeTraceFiles } from "./trace_file.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }];
 * const dir = await Deno.makeTempDir();
 * const files = [".jsonl", ".html", ".svg", ".shiviz"].map((ext) => `${dir}/run${ext}`);
 * await writeTraceFiles(events, files, { title: "t" });
 * for (const file of files) {
 *   assert.equal(await Deno.readTextFile(file), renderTrace(events, file, { title: "t" }));
 * }
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function writeTraceFiles(
  events: readonly DiagramEvent[],
  files: readonly string[],
  options: DiagramOptions = {},
): Promise<void> {
  const byFormat = new Map(files.map((file) => [traceFormat(file), file]));
  // About 150 (ShiViz) and 200 (JSON Lines) bytes an event: room enough not to grow, up to
  // 64 MB at first (a bigger trace grows its buffers by doubling).
  const size = Math.min(256 * events.length + 4096, 1 << 26);
  const jsonl = byFormat.has(".jsonl") ? new ByteWriter(size) : undefined;
  const shiviz = byFormat.has(".shiviz") ? new ByteWriter(size) : undefined;
  const columns = writeTraceText(events, { jsonl, shiviz, columns: byFormat.has(".html") });
  const writes: Promise<void>[] = [];
  for (const [format, file] of byFormat) {
    if (format === ".jsonl") writes.push(Deno.writeFile(file, jsonl!.view()));
    else if (format === ".shiviz") writes.push(Deno.writeFile(file, shiviz!.view()));
    else if (format === ".html") {
      const html = new ByteSink();
      writeHtmlPage(columns!, html, options);
      writes.push(html.writeTo(file));
    } else writes.push(writeTraceFile(events, file, options));
  }
  return Promise.all(writes).then(() => {});
}
