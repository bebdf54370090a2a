/**
 * A failing lin-kv window as an SVG picture: one lane per client, each operation a bar from its
 * invocation to its completion (open-ended and dashed when it never completed), the operation
 * that could not be linearized in red.
 * @module
 */
import type { WindowRow } from "./workload.ts";

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * The SVG text of a window.
 *
 * @example A picture with one bar per operation
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowSvg } from "./window_svg.ts";
 * const svg = windowSvg([
 *   { index: 0, client: "client@c1.lab", node: "node@n1.lab", op: "write 1 ok", invoke: 0, complete: 10 },
 *   { index: 1, client: "client@c2.lab", node: "node@n2.lab", op: "read nil", invoke: 12, complete: 20, mark: "failing" },
 * ], "key 0");
 * assert.ok(svg.startsWith("<svg"));
 * assert.equal(svg.match(/<rect class="op/g)?.length, 2);
 * assert.match(svg, /read nil/);
 * ```
 */
export function windowSvg(rows: readonly WindowRow[], title: string): string {
  const clients = [...new Set(rows.map((r) => r.client))].sort();
  const left = 150, width = 760, lane = 44, top = 50;
  const start = Math.min(...rows.map((r) => r.invoke));
  const end = Math.max(...rows.map((r) => r.complete ?? r.invoke)) + 1;
  const x = (t: number) => left + ((t - start) / (end - start)) * width;
  const height = top + clients.length * lane + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 40}" height="${height}" ` +
    `font-family="monospace" font-size="12">`,
    `<style>.op{fill:#cfe3ff;stroke:#3b6fb6}.failing{fill:#ffc9c9;stroke:#c92a2a}` +
    `.pending{fill:#e9ecef;stroke:#868e96;stroke-dasharray:4 3}</style>`,
    `<text x="10" y="20" font-size="14">${escape(title)}: smallest non-linearizable window</text>`,
    `<text x="10" y="38" fill="#555">${start.toFixed(1)} ms .. ${end.toFixed(1)} ms; ` +
    `red: could not be linearized, dashed: still running</text>`,
  ];
  clients.forEach((client, i) => {
    const y = top + i * lane;
    out.push(`<text x="10" y="${y + 22}">${escape(client)}</text>`);
    out.push(
      `<line x1="${left}" y1="${y + lane - 4}" x2="${left + width}" y2="${
        y + lane - 4
      }" stroke="#eee"/>`,
    );
  });
  for (const r of rows) {
    const y = top + clients.indexOf(r.client) * lane + 6;
    const x1 = x(r.invoke);
    const x2 = r.complete === null ? left + width : Math.max(x(r.complete), x1 + 3);
    const cls = r.mark === "failing"
      ? "op failing"
      : r.mark === "pending" || r.complete === null
      ? "op pending"
      : "op";
    out.push(
      `<rect class="${cls}" x="${x1.toFixed(1)}" y="${y}" width="${(x2 - x1).toFixed(1)}" ` +
        `height="24" rx="3"><title>#${r.index} ${escape(r.node)} ${escape(r.op)}</title></rect>`,
    );
    out.push(`<text x="${(x1 + 4).toFixed(1)}" y="${y + 16}">${escape(r.op)}</text>`);
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}
