/**
 * The viewer's pure helpers: decoding an embedded event, the text of a message's tooltip (its
 * clocks included), hit testing what a frame drew, and counting what a layout holds.
 *
 * Self-contained (no imports at run time): the HTML writer inlines their source.
 * @module
 */
import type { stepClock as StepClock } from "./clocks.ts";
import type { Lane } from "./lanes.ts";
import type { Layout } from "./layout.ts";
import type { DiagramEvent, DiagramModel, TracedClock } from "./model.ts";
import type { Drawn } from "./_viewer_draw.ts";

/**
 * Decodes one embedded event: `[t, ev, at, id, from, to, kind, label, lamport, note]`, strings
 * by index into `strings`, -1 or missing for absent.
 *
 * @example A send
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeEvent } from "./_viewer_text.ts";
 * const strings = ["send", "a@m1.lab", "1", "b@m2.lab", "ping"];
 * assert.deepEqual(decodeEvent(strings, [2, 0, 1, 2, 1, 3, 4, -1, 5]), {
 *   t: 2, ev: "send", at: "a@m1.lab", id: "1", from: "a@m1.lab", to: "b@m2.lab", kind: "ping",
 *   lamport: 5,
 * });
 * ```
 */
export function decodeEvent(strings: readonly string[], row: readonly number[]): DiagramEvent {
  const str = (i: number | undefined) => (i === undefined || i < 0 ? undefined : strings[i]);
  const e: Record<string, unknown> = { t: row[0], ev: strings[row[1]], at: str(row[2]) };
  const keys = ["id", "from", "to", "kind", "label"];
  keys.forEach((key, i) => {
    const v = str(row[3 + i]);
    if (v !== undefined) e[key] = v;
  });
  if (row[8] !== undefined && row[8] >= 0) e.lamport = row[8];
  const note = str(row[9]);
  if (note !== undefined) e.note = note;
  return e as unknown as DiagramEvent;
}

/**
 * The tooltip (HTML) of transmission `i`: what, who, when, its fate, its Lamport clock and its
 * vector clocks at send and at delivery (traced, or computed with `clockOf`).
 *
 * @example A delivered message
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiagramBuilder } from "./builder.ts";
 * import { stepClock } from "./clocks.ts";
 * import { describeTransmission } from "./_viewer_text.ts";
 * const b = new DiagramBuilder();
 * const m = { id: "1", from: "a@m1.lab", to: "b@m2.lab", kind: "ping" };
 * b.add({ t: 0, ev: "send", at: "a@m1.lab", ...m, lamport: 1 });
 * b.add({ t: 2, ev: "deliver", at: "b@m2.lab", ...m, lamport: 1 });
 * const text = describeTransmission(b.model, 0, stepClock);
 * assert.match(text, /Lamport clock 1/);
 * assert.match(text, /vector clock at delivery \{a@m1.lab: 1, b@m2.lab: 1\} \(computed\)/);
 * ```
 */
export function describeTransmission(
  model: DiagramModel,
  i: number,
  clockOf: typeof StepClock,
): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const r3 = (n: number) => String(Math.round(n * 1000) / 1000);
  const vcText = (vc: TracedClock) => {
    const stamp = vc as { toJSON?: () => Readonly<Record<string, number>> };
    const record = typeof stamp.toJSON === "function" ? stamp.toJSON() : vc;
    return "{" + Object.entries(record).map(([a, n]) => `${esc(a)}: ${n}`).join(", ") + "}";
  };
  const tx = model.transmissions[i];
  const addr = (p: number) => esc(model.processes[p].address);
  const lines = [
    `<b>${esc(tx.kind)}</b> ${esc(tx.label !== tx.kind ? tx.label : "")}`,
    `${addr(tx.from)} → ${addr(tx.to)}`,
    `sent ${r3(tx.t0)} ms` +
    (tx.outcome === "delivered"
      ? `, delivered ${r3(tx.t1)} ms (flight ${r3(tx.t1 - tx.t0)} ms)`
      : tx.outcome === "flight"
      ? ", in flight"
      : `, <b class="bad">${tx.outcome}</b> ${r3(tx.t1)} ms: ${esc(tx.note)}`),
  ];
  if (tx.attempt > 1) lines.push(`retransmission, attempt ${tx.attempt}`);
  if (tx.copy === "duplicate") lines.push("a duplicate made by the network");
  lines.push(
    `Lamport clock ${tx.lamport}` +
      (Number.isNaN(tx.lamportReceive) ? "" : ` → ${tx.lamportReceive} at the receiver`),
  );
  lines.push(
    `vector clock at send ${vcText(tx.vcSend ?? clockOf(model, tx.sendStep))}` +
      (tx.vcSend ? "" : " (computed)"),
  );
  if (tx.recvStep >= 0) {
    lines.push(
      `vector clock at delivery ${vcText(tx.vcReceive ?? clockOf(model, tx.recvStep))}` +
        (tx.vcReceive ? "" : " (computed)"),
    );
  }
  lines.push(`<span class="dim">id ${esc(tx.id)}</span>`);
  return lines.join("<br>");
}

/**
 * What a frame drew nearest to (`px`, `py`), within 6 px: an arrow or a marker.
 *
 * @example Nearest arrow
 * ```ts
 * import assert from "node:assert/strict";
 * import { hitTest } from "./_viewer_text.ts";
 * const drawn = { delivered: 1, drops: 0, tx: [7], pts: [0, 0, 100, 100], markers: [], markerPts: [] };
 * assert.deepEqual(hitTest(drawn, 50, 52), { tx: 7 });
 * assert.equal(hitTest(drawn, 90, 10), undefined);
 * ```
 */
export function hitTest(
  drawn: Drawn,
  px: number,
  py: number,
): { tx: number } | { marker: number } | undefined {
  let best = 36, found: { tx: number } | { marker: number } | undefined;
  for (let i = 0; i < drawn.markers.length; i++) {
    const dx = drawn.markerPts[2 * i] - px, dy = drawn.markerPts[2 * i + 1] - py;
    if (dx * dx + dy * dy < best) {
      best = dx * dx + dy * dy;
      found = { marker: drawn.markers[i] };
    }
  }
  for (let i = 0; i < drawn.tx.length; i++) {
    const x0 = drawn.pts[4 * i], y0 = drawn.pts[4 * i + 1];
    const x1 = drawn.pts[4 * i + 2], y1 = drawn.pts[4 * i + 3];
    const dx = x1 - x0, dy = y1 - y0, l2 = dx * dx + dy * dy || 1;
    const f = Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / l2));
    const ex = x0 + f * dx - px, ey = y0 + f * dy - py;
    if (ex * ex + ey * ey < best) {
      best = ex * ex + ey * ey;
      found = { tx: drawn.tx[i] };
    }
  }
  return found;
}

/** Counts of what a viewer's layout holds. */
export interface ViewerSummary {
  /** Lane labels, left to right. */
  readonly lanes: string[];
  /** Arrows by outcome (`delivered`, `dropped`, ...). */
  readonly outcomes: Record<string, number>;
  /** Arrows by kind. */
  readonly kinds: Record<string, number>;
  /** Arrows by copy (`send`, `retransmit`, `duplicate`). */
  readonly copies: Record<string, number>;
  /** Bands by type (`partition`, `blocked`, `sync`, `waiting`). */
  readonly bands: Record<string, number>;
  /** Markers by type. */
  readonly markers: Record<string, number>;
  /** Highest epoch of any lifeline. */
  readonly epochs: number;
  /** Notes of dropped arrows. */
  readonly dropNotes: string[];
}

/**
 * Counts what `layout` on `lanes` holds.
 *
 * @example An empty layout
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeLayout } from "./_viewer_text.ts";
 * const empty = { arrows: [], lifelines: [], markers: [], bands: [], flight: 1 };
 * assert.equal(summarizeLayout([], empty).epochs, 0);
 * ```
 */
export function summarizeLayout(lanes: readonly Lane[], layout: Layout): ViewerSummary {
  const tally = (keys: string[]) => {
    const out: Record<string, number> = {};
    for (const key of keys) out[key] = (out[key] ?? 0) + 1;
    return out;
  };
  return {
    lanes: lanes.map((l) => l.label),
    outcomes: tally(layout.arrows.map((a) => a.tx.outcome)),
    kinds: tally(layout.arrows.map((a) => a.tx.kind)),
    copies: tally(layout.arrows.map((a) => a.tx.copy)),
    bands: tally(layout.bands.map((b) => b.type)),
    markers: tally(layout.markers.map((m) => m.type)),
    epochs: Math.max(0, ...layout.lifelines.map((l) => l.epoch)),
    dropNotes: layout.arrows.filter((a) => a.tx.outcome === "dropped").map((a) => a.tx.note),
  };
}
