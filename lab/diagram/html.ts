/**
 * A self-contained HTML space-time diagram: the trace embedded as compact JSON, the viewer's
 * script and CSS inline (no network, no CDN; it works opened from disk). The page draws on a
 * canvas (fluid at 20,000 events), with hover and click for clocks and happened-before cones,
 * filters, aggregation and a replay slider.
 *
 * The viewer's TypeScript sources (`builder.ts`, `lanes.ts`, `layout.ts`, `clocks.ts`,
 * `_viewer_draw.ts`, `_viewer_dom.ts`, `_viewer_text.ts`, `_viewer.ts`) are type-checked with the rest of the project; the page gets
 * their JavaScript through `Function.prototype.toString()`, so what runs in the browser is
 * exactly what Deno type-checked and tested.
 * @module
 */
import { DiagramBuilder } from "./builder.ts";
import { cone, stepClock } from "./clocks.ts";
import { assignLanes } from "./lanes.ts";
import { layoutDiagram } from "./layout.ts";
import type { DiagramEvent } from "./model.ts";
import type { DiagramOptions } from "./svg.ts";
import { mountViewer, VIEWER_PARTS, type ViewerData } from "./_viewer.ts";
import { DRAW_PARTS, drawDiagram } from "./_viewer_draw.ts";
import { renderChips, viewerDom } from "./_viewer_dom.ts";
import { decodeEvent, describeTransmission, hitTest, summarizeLayout } from "./_viewer_text.ts";
import { VIEWER_CSS } from "./_viewer_css.ts";
import { kindColor, STYLE } from "./_style.ts";
import type { TextSink } from "./text_sink.ts";
import { type TraceColumns, writeTraceText } from "./trace_text.ts";

/**
 * Encodes events compactly: each distinct string once, events by column (numbers, strings by
 * index), each vector clock once (an event with an earlier event's clock names that event).
 *
 * @example Strings are shared
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeEvents } from "./html.ts";
 * const data = encodeEvents([
 *   { t: 0, ev: "spawn", at: "a@m1.lab" },
 *   { t: 1, ev: "exit", at: "a@m1.lab" },
 * ]);
 * assert.deepEqual(data.strings, ["spawn", "a@m1.lab", "exit"]);
 * assert.deepEqual(data.columns.slice(0, 3), [[0, 1000], [0, 2], [1, 1]]); // t in µs
 * ```
 */
export function encodeEvents(
  events: readonly DiagramEvent[],
): Pick<ViewerData, "strings" | "columns" | "vcs"> {
  const text = writeTraceText(events, { columns: true })!;
  return {
    strings: JSON.parse(text.strings),
    columns: JSON.parse(text.columns),
    vcs: JSON.parse(text.vcs),
  };
}

/** The page's script, made once per process (it is the same for every page). */
let pageScript: string | undefined;

/** The viewer's script: its functions' JavaScript, then a call that mounts it. */
function script(): string {
  return pageScript ??= [
    `globalThis.STYLE = ${JSON.stringify(STYLE)};`,
    kindColor.toString(),
    DiagramBuilder.toString(),
    assignLanes.toString(),
    layoutDiagram.toString(),
    stepClock.toString(),
    cone.toString(),
    drawDiagram.toString(),
    ...DRAW_PARTS.map((part) => part.toString()),
    viewerDom.toString(),
    renderChips.toString(),
    decodeEvent.toString(),
    describeTransmission.toString(),
    hitTest.toString(),
    summarizeLayout.toString(),
    mountViewer.toString(),
    ...VIEWER_PARTS.map((part) => part.toString()),
    `const data = JSON.parse(document.getElementById("dg-data").textContent);`,
    `globalThis.archlabDiagram = mountViewer(document.getElementById("dg"), data, ` +
    `{ DiagramBuilder, assignLanes, layoutDiagram, stepClock, cone, drawDiagram, viewerDom, renderChips, ` +
    `decodeEvent, describeTransmission, hitTest, summarizeLayout });`,
  ].join("\n").replace(/<\/script/gi, "<\\/script");
}

/**
 * Renders trace events as a self-contained HTML page.
 *
 * @example A page with its data and script inline
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHtml } from "./html.ts";
 * const html = toHtml([{ t: 0, ev: "spawn", at: "a@m1.lab" }], { title: "a </script> b" });
 * assert.match(html, /^<!doctype html>/);
 * assert.doesNotMatch(html, /<script src|<link /);
 * assert.equal(html.match(/<\/script>/g)?.length, 2);
 * ```
 */
export function toHtml(events: readonly DiagramEvent[], options: DiagramOptions = {}): string {
  const out: string[] = [];
  writeHtml(events, out, options);
  return out.join("");
}

/**
 * Writes the page of {@link toHtml} into `out`, piece by piece (the events a few thousand at a
 * time): the page is the parts one after the other.
 *
 * @example Into a byte sink, as the results folder writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHtml, writeHtml } from "./html.ts";
 * import { ByteSink } from "./text_sink.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab", note: "<b>" }];
 * const sink = new ByteSink();
 * writeHtml(events, sink, { title: "t" });
 * assert.equal(new TextDecoder().decode(sink.bytes()), toHtml(events, { title: "t" }));
 * ```
 */
export function writeHtml(
  events: readonly DiagramEvent[],
  out: TextSink,
  options: DiagramOptions = {},
): void {
  writeHtmlPage(writeTraceText(events, { columns: true })!, out, options);
}

/**
 * Writes the page of {@link toHtml} from the events' columns (what `writeTraceText` gathers in
 * the same pass as the other files' text) into `out`.
 *
 * @example The page of two events
 * ```ts
 * import assert from "node:assert/strict";
 * import { toHtml, writeHtmlPage } from "./html.ts";
 * import { writeTraceText } from "./trace_text.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }, { t: 1, ev: "exit" as const, at: "a@m1.lab" }];
 * const out: string[] = [];
 * writeHtmlPage(writeTraceText(events, { columns: true })!, out, { title: "t" });
 * assert.equal(out.join(""), toHtml(events, { title: "t" }));
 * ```
 */
export function writeHtmlPage(
  data: TraceColumns,
  out: TextSink,
  options: DiagramOptions = {},
): void {
  const title = options.title ?? "archlab run";
  const head: Omit<ViewerData, "strings" | "columns" | "vcs"> = {
    title,
    unit: options.clock === "wall" ? "wall ms" : "virtual ms",
    showControl: options.showControl ?? false,
    aggregate: options.aggregate ?? "auto",
  };
  // Only strings can hold "<" (numbers cannot): a scan, and a copy only when there is one.
  const lt = (json: string) => json.includes("<") ? json.replace(/</g, "\\u003c") : json;
  const esc = title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  out.push(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc}</title>
<style>${VIEWER_CSS}</style></head>
<body><div id="dg" class="dg"></div>
<script id="dg-data" type="application/json">`,
    lt(JSON.stringify(head).slice(0, -1)),
    `,"strings":${lt(data.strings)},"vcs":${lt(data.vcs)},"columns":${data.columns}}</script>
<script>
${script()}
</script></body></html>
`,
  );
}
