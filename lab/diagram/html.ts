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

/** Vector clocks are embedded only while they take less than this many characters. */
const VC_BUDGET = 1_500_000;

/**
 * Encodes events compactly: each distinct string once, events as arrays of indices.
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
 * assert.deepEqual(data.events, [[0, 0, 1], [1, 2, 1]]);
 * ```
 */
export function encodeEvents(
  events: readonly DiagramEvent[],
  options: {
    /** Gather the vector clocks too (`toHtml` writes them as text itself). @default true */
    readonly vcs?: boolean;
  } = {},
): Pick<ViewerData, "strings" | "events" | "vcs"> {
  const withVcs = options.vcs ?? true;
  const strings: string[] = [];
  const index = new Map<string, number>();
  const s = (v: string | undefined): number => {
    if (v === undefined) return -1;
    let i = index.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      index.set(v, i);
    }
    return i;
  };
  const rows: number[][] = [];
  const vcs: [number, Record<string, number>][] = [];
  let vcSize = 0;
  events.forEach((e, n) => {
    const row = [
      Math.round(e.t * 1000) / 1000,
      s(e.ev),
      s(e.at),
      s(e.id),
      s(e.from),
      s(e.to),
      s(e.kind),
      s(e.label),
      e.lamport ?? -1,
      s(e.note),
    ];
    while (row.length > 3 && row[row.length - 1] === -1) row.pop();
    rows.push(row);
    if (withVcs && e.vc && vcSize < VC_BUDGET) {
      const stamp = e.vc as { toJSON?: () => Readonly<Record<string, number>> };
      const vc = typeof stamp.toJSON === "function"
        ? stamp.toJSON()
        : e.vc as Record<string, number>;
      vcs.push([n, { ...vc }]);
      vcSize += 16 * Object.keys(vc).length;
    }
  });
  return { strings, events: rows, vcs: vcSize < VC_BUDGET ? vcs : [] };
}

/**
 * The events' vector clocks as the page's `vcs` JSON (`[[event index, clock], ...]`), each
 * clock written by its stamp (no intermediate object); all of them while they take less than
 * {@link VC_BUDGET} characters, else none.
 */
function vcsJson(events: readonly DiagramEvent[]): string {
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; n < events.length && size < VC_BUDGET; n++) {
    const vc = events[n].vc as { json?: () => string } | undefined;
    if (vc === undefined) continue;
    const text = typeof vc.json === "function" ? vc.json() : JSON.stringify(vc);
    parts.push(`[${n},${text}]`);
    size += text.length;
  }
  return size < VC_BUDGET ? `[${parts.join(",")}]` : "[]";
}

/** The viewer's script: its functions' JavaScript, then a call that mounts it. */
function script(): string {
  return [
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
  ].join("\n");
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
  const title = options.title ?? "archlab run";
  const { strings, events: rows } = encodeEvents(events, { vcs: false });
  // Numbers need no escaping: only the strings go through JSON.stringify (faster on big runs).
  const head: Omit<ViewerData, "strings" | "events" | "vcs"> = {
    title,
    unit: options.clock === "wall" ? "wall ms" : "virtual ms",
    showControl: options.showControl ?? false,
    aggregate: options.aggregate ?? "auto",
  };
  const lt = (json: string) => json.includes("<") ? json.replace(/</g, "\\u003c") : json;
  const esc = title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  out.push(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc}</title>
<style>${VIEWER_CSS}</style></head>
<body><div id="dg" class="dg"></div>
<script id="dg-data" type="application/json">`);
  out.push(
    lt(JSON.stringify(head).slice(0, -1)),
    `,"strings":${lt(JSON.stringify(strings))},"vcs":${lt(vcsJson(events))},"events":[`,
  );
  for (let i = 0; i < rows.length; i += 2000) {
    // Rows of finite numbers: JSON.stringify writes them as join would, natively.
    out.push((i === 0 ? "" : ",") + JSON.stringify(rows.slice(i, i + 2000)).slice(1, -1));
  }
  out.push(`]}</script>
<script>
${script().replace(/<\/script/gi, "<\\/script")}
</script></body></html>
`);
}
