/**
 * `--trace FILE`: the text of the trace in the format of the file's extension (`.jsonl`, `.mmd`,
 * `.svg`, `.html`, `.shiviz`).
 * @module
 */
import { toMermaid } from "../../core/mermaid.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { jsonLine } from "./_jsonl.ts";
import { toHtml } from "./html.ts";
import { toShiviz } from "./shiviz.ts";
import type { DiagramEvent } from "./model.ts";
import { type DiagramOptions, toSvg } from "./svg.ts";
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
