/**
 * `--trace FILE`: the text of the trace in the format of the file's extension (`.jsonl`, `.mmd`,
 * `.svg`, `.html`, `.shiviz`), as a string or streamed into the file.
 * @module
 */
import { toMermaid } from "../../core/mermaid.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { jsonLine, writeJsonl } from "./_jsonl.ts";
import { toHtml, writeHtml } from "./html.ts";
import { toShiviz, writeShiviz } from "./shiviz.ts";
import type { DiagramEvent } from "./model.ts";
import { type DiagramOptions, toSvg, writeSvg } from "./svg.ts";
import { ByteSink, type TextSink } from "./text_sink.ts";
import { traceFormat } from "./trace_path.ts";

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
      let out = "";
      for (const event of traced) out += jsonLine(event) + "\n";
      return out;
    }
  }
}

/** The streaming writer of each format but Mermaid, with the separator its parts need. */
const WRITERS: Readonly<
  Record<
    string,
    readonly [string, (e: readonly DiagramEvent[], out: TextSink, o: DiagramOptions) => void]
  >
> = {
  ".jsonl": ["\n", (events, out) => writeJsonl(events as readonly TraceEvent[], out)],
  ".html": ["", writeHtml],
  ".svg": ["\n", writeSvg],
  ".shiviz": ["", (events, out) => writeShiviz(events as readonly TraceEvent[], out)],
};

/**
 * Writes the trace file `file` in the format of its extension, streamed: the text goes to the
 * file as UTF-8 a quarter megabyte at a time, never as one string (Mermaid, small by nature,
 * goes as one). The rendering is done when the promise is made; the promise is the writing.
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
  const writer = WRITERS[traceFormat(file)];
  if (writer === undefined) return Deno.writeTextFile(file, renderTrace(events, file, options));
  const sink = new ByteSink(writer[0]);
  writer[1](events, sink, options);
  return sink.writeTo(file);
}
