/**
 * Draws a laid-out space-time diagram on a canvas (the browser viewer's renderer). Arrows are
 * culled to the visible time window and batched into one path per style, so a frame of 20,000
 * events costs a few milliseconds; what was drawn is returned for hit testing and for tests.
 *
 * Self-contained (no imports at run time; its globals `STYLE` and `kindColor` are defined by
 * the page): the HTML writer inlines its source.
 * @module
 */
import type { Cone } from "./clocks.ts";
import type { Lane } from "./lanes.ts";
import type { Layout } from "./layout.ts";
import type { DiagramModel } from "./model.ts";
import type { DomCanvasContext, DomPath2D } from "./_dom.ts";

// The browser's Path2D, typed (see _dom.ts); nothing is emitted for it.
declare const Path2D: { new (): DomPath2D };
import type { kindColor as KindColor, STYLE as Style } from "./_style.ts";

/** What to draw and where. */
export interface Scene {
  /** The model. */
  readonly model: DiagramModel;
  /** Lanes, left to right. */
  readonly lanes: readonly Lane[];
  /** The layout on those lanes. */
  readonly layout: Layout;
  /** Canvas size in CSS pixels. */
  readonly width: number;
  /** Canvas size in CSS pixels. */
  readonly height: number;
  /** Pixels per ms. */
  readonly k: number;
  /** Time at the top of the plot, ms. */
  readonly ty: number;
  /** Horizontal scroll, px. */
  readonly sx: number;
  /** Width of a lane, px. */
  readonly laneW: number;
  /** Replay time: nothing after it is drawn. */
  readonly now: number;
  /** Kinds not drawn. */
  readonly hiddenKinds: ReadonlySet<string>;
  /** Selected transmission or -1. */
  readonly selected: number;
  /** Happened-before cone of the selection. */
  readonly cone: Cone | null;
  /** Axis caption (`virtual ms`). */
  readonly unit: string;
}

/** What a frame drew. */
export interface Drawn {
  /** Delivered messages drawn whole. */
  delivered: number;
  /** Drop markers drawn. */
  drops: number;
  /** Transmission index of each drawn arrow. */
  readonly tx: number[];
  /** x0, y0, x1, y1 of each drawn arrow. */
  readonly pts: number[];
  /** Marker index (into the layout's markers) of each drawn marker. */
  readonly markers: number[];
  /** x, y of each drawn marker. */
  readonly markerPts: number[];
}

/** A frame being drawn: the context, the style, the scene, its scales. */
interface DrawView {
  readonly g: DomCanvasContext;
  readonly S: typeof Style;
  readonly scene: Scene;
  /** Height of the header, px. */
  readonly top: number;
  /** Width of the time axis, px. */
  readonly left: number;
  /** Time at the bottom of the plot, ms. */
  readonly tEnd: number;
  /** Time between grid lines, ms. */
  readonly step: number;
  readonly x: (lane: number) => number;
  readonly y: (t: number) => number;
  readonly visible: (t0: number, t1: number) => boolean;
  readonly drawn: Drawn;
}

/** One style of arrows: their lines and heads, stroked and filled at once. */
type ArrowBatch = {
  path: DomPath2D;
  heads: DomPath2D;
  color: string;
  dash: number[];
  width: number;
};

/** The arrows of a frame, gathered per style, with their marks and labels. */
interface ArrowPaths {
  readonly batches: Map<string, ArrowBatch>;
  readonly crosses: DomPath2D;
  readonly rings: DomPath2D;
  readonly dots: DomPath2D;
  readonly labels: [string, number, number][];
  readonly dropNotes: [string, number, number][];
}

/**
 * Draws `scene` on `g` (already scaled to CSS pixels) and returns what it drew.
 *
 * @example Type of the renderer
 * ```ts
 * import assert from "node:assert/strict";
 * import { drawDiagram } from "./_viewer_draw.ts";
 * assert.equal(typeof drawDiagram, "function");
 * ```
 */
export function drawDiagram(g: DomCanvasContext, scene: Scene): Drawn {
  const S = (globalThis as unknown as { STYLE: typeof Style }).STYLE;
  const { height, k, ty, sx, laneW } = scene;
  const top = S.header, left = S.axis;
  const tEnd = ty + (height - top) / k;
  const raw = 70 / k, p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const v: DrawView = {
    g,
    S,
    scene,
    top,
    left,
    tEnd,
    step,
    x: (lane: number) => left - sx + laneW * (lane + 0.5),
    y: (t: number) => top + (t - ty) * k,
    visible: (t0: number, t1: number) => t1 >= ty && t0 <= tEnd,
    drawn: { delivered: 0, drops: 0, tx: [], pts: [], markers: [], markerPts: [] },
  };
  drawBackdrop(v);
  drawBands(v);
  drawLifelines(v);
  paintArrows(v, traceArrows(v));
  drawMarkers(v);
  drawHeader(v);
  return v.drawn;
}

/** White, the machines' columns, the time grid. */
function drawBackdrop(v: DrawView): void {
  const { g, S, top, left, y, tEnd, step } = v;
  const { lanes, width, height, sx, laneW, ty } = v.scene;
  g.clearRect(0, 0, width, height);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, height);
  let mi = 0;
  for (let i = 0; i < lanes.length;) {
    let j = i;
    while (j < lanes.length && lanes[j].machine === lanes[i].machine) j++;
    g.fillStyle = S.machine[mi++ % S.machine.length];
    g.fillRect(left - sx + laneW * i + 2, top, laneW * (j - i) - 4, height - top);
    i = j;
  }
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#e2e8f0";
  for (let t = Math.ceil(ty / step) * step; t <= tEnd; t += step) {
    g.fillRect(left, y(t), width - left, 1);
  }
}

/** Partitions across the plot; blocked and waiting intervals on their lane. */
function drawBands(v: DrawView): void {
  const { g, S, left, x, y, visible } = v;
  const { layout, width, now } = v.scene;
  for (const b of layout.bands) {
    if (b.t0 > now || !visible(b.t0, b.end)) continue;
    const y0 = y(b.t0), y1 = y(Math.min(b.end, now));
    if (b.lane < 0) {
      g.fillStyle = S.partition;
      g.fillRect(left, y0, width - left, Math.max(y1 - y0, 2));
      g.fillStyle = S.drop;
      g.textAlign = "right";
      g.fillText(`partition ${b.note}`, width - 8, y0 + 12);
    } else {
      g.fillStyle = S[b.type];
      g.fillRect(x(b.lane) - 6, y0, 12, Math.max(y1 - y0, 2));
      if (b.type === "blocked" || b.type === "sync") {
        g.fillStyle = b.type === "blocked" ? S.timeout : "#2b6cb0";
        g.textAlign = "left";
        g.fillText(
          b.type === "blocked" ? "blocked (in doubt)" : "waits (rendezvous)",
          x(b.lane) + 9,
          y0 + 11,
        );
      }
    }
  }
}

/** Lifelines, with the epoch of each after a restart. */
function drawLifelines(v: DrawView): void {
  const { g, S, top, x, y, visible } = v;
  const { layout, height, now } = v.scene;
  g.fillStyle = S.lifeline;
  for (const l of layout.lifelines) {
    if (l.t0 > now || !visible(l.t0, l.t1)) continue;
    const y0 = Math.max(y(l.t0), top), y1 = Math.min(y(Math.min(l.t1, now)), height);
    g.fillRect(x(l.lane) - 1, y0, 2, y1 - y0);
    if (l.epoch > 1 && y(l.t0) >= top) {
      g.fillStyle = S.restart;
      g.textAlign = "left";
      g.fillText(`epoch ${l.epoch}`, x(l.lane) + 5, y(l.t0) - 3);
      g.fillStyle = S.lifeline;
    }
  }
}

/** The color, dash and width of the arrow of `tx` in `scene` (selection, cone, fate, kind). */
function arrowStyle(
  v: DrawView,
  tx: Layout["arrows"][number]["tx"],
  stub: boolean,
): { color: string; dash: number[]; width: number } {
  const { S } = v;
  const { selected, cone } = v.scene;
  const colorOf = (globalThis as unknown as { kindColor: typeof KindColor }).kindColor;
  const inCone = cone && (cone.past.has(tx.index) || cone.future.has(tx.index));
  let color = tx.control
    ? S.control
    : tx.outcome === "dropped"
    ? S.drop
    : tx.outcome === "suppressed"
    ? S.suppressed
    : colorOf(tx.kind);
  if (stub) color = "#cbd5e0";
  if (selected >= 0) {
    color = tx.index === selected
      ? "#1a202c"
      : cone?.past.has(tx.index)
      ? "#3182ce"
      : cone?.future.has(tx.index)
      ? "#dd6b20"
      : "#e2e8f0";
  }
  const dash = tx.control
    ? [1, 3]
    : tx.copy === "retransmit"
    ? [6, 3]
    : tx.copy === "duplicate"
    ? [2, 3]
    : [];
  return { color, dash, width: tx.index === selected ? 3 : inCone ? 2 : 1.4 };
}

/** Every visible arrow's line, head and mark, gathered per style (nothing drawn yet). */
function traceArrows(v: DrawView): ArrowPaths {
  const { x, y, visible, drawn } = v;
  const { layout, laneW, now, hiddenKinds } = v.scene;
  const out: ArrowPaths = {
    batches: new Map(),
    crosses: new Path2D(),
    rings: new Path2D(),
    dots: new Path2D(),
    labels: [],
    dropNotes: [],
  };
  for (const a of layout.arrows) {
    const tx = a.tx;
    if (tx.t0 > now || hiddenKinds.has(tx.kind) || !visible(a.t0, a.t1)) continue;
    const fx = a.from >= 0 ? x(a.from) : x(a.to) - laneW * 0.6;
    const full = a.to >= 0 ? x(a.to) : fx + laneW * 0.6;
    const ex = a.from === a.to ? fx + 14 : fx + (full - fx) * a.reach;
    const y0 = y(a.t0);
    let ey = Math.max(y(a.t1), y0 + (a.from === a.to ? 6 : 0)), endX = ex;
    const arrived = a.t1 <= now;
    if (!arrived) {
      const f = (now - a.t0) / Math.max(a.t1 - a.t0, 1e-9);
      endX = fx + (ex - fx) * f;
      ey = y0 + (ey - y0) * f;
    }
    const stub = a.from < 0 || a.to < 0;
    const style = arrowStyle(v, tx, stub);
    const key = `${style.color}|${style.dash.join(",")}|${style.width}`;
    let b = out.batches.get(key);
    if (!b) out.batches.set(key, b = { path: new Path2D(), heads: new Path2D(), ...style });
    b.path.moveTo(fx, y0);
    b.path.lineTo(endX, ey);
    drawn.tx.push(tx.index);
    drawn.pts.push(fx, y0, endX, ey);
    if (!arrived) {
      out.dots.moveTo(endX + 3.5, ey);
      out.dots.arc(endX, ey, 3.5, 0, Math.PI * 2);
      continue;
    }
    markArrow(v, out, { a, b, fx, y0, endX, ey, stub });
  }
  return out;
}

/** An arrived arrow's end: a head, a drop cross, a suppression ring; and its label. */
function markArrow(
  v: DrawView,
  out: ArrowPaths,
  at: {
    a: Layout["arrows"][number];
    b: ArrowBatch;
    fx: number;
    y0: number;
    endX: number;
    ey: number;
    stub: boolean;
  },
): void {
  const { a, b, fx, y0, endX, ey, stub } = at;
  const tx = a.tx;
  if (tx.outcome === "delivered" || tx.outcome === "flight") {
    const ang = Math.atan2(ey - y0, endX - fx);
    b.heads.moveTo(endX, ey);
    b.heads.lineTo(endX - 8 * Math.cos(ang - 0.4), ey - 8 * Math.sin(ang - 0.4));
    b.heads.lineTo(endX - 8 * Math.cos(ang + 0.4), ey - 8 * Math.sin(ang + 0.4));
    // No closePath(): on a long Path2D it costs time linear in the path (fill closes anyway).
    if (tx.outcome === "delivered" && a.from >= 0 && a.to >= 0) v.drawn.delivered++;
  } else if (stub) {
    // Traffic with a hidden lane: a faint stub, its fate shown only on hover.
  } else if (tx.outcome === "dropped") {
    if (tx.note && tx.note !== "lost") out.dropNotes.push([tx.note.slice(0, 32), endX + 8, ey + 4]);
    out.crosses.moveTo(endX - 5, ey - 5);
    out.crosses.lineTo(endX + 5, ey + 5);
    out.crosses.moveTo(endX + 5, ey - 5);
    out.crosses.lineTo(endX - 5, ey + 5);
    v.drawn.drops++;
  } else if (tx.outcome === "suppressed") {
    out.rings.moveTo(endX + 4, ey);
    out.rings.arc(endX, ey, 4, 0, Math.PI * 2);
  }
  if (!tx.control && !stub && Math.abs(ey - y0) > 10) {
    const tag = (tx.attempt > 1 ? `↻${tx.attempt} ` : tx.copy === "duplicate" ? "dup " : "") +
      tx.label;
    out.labels.push([tag.slice(0, 28), (fx + endX) / 2, (y0 + ey) / 2 - 3]);
  }
}

/** Strokes and fills what {@link traceArrows} gathered, then the labels and drop notes. */
function paintArrows(v: DrawView, arrows: ArrowPaths): void {
  const { g, S } = v;
  const { batches, rings, dots, crosses, labels, dropNotes } = arrows;
  for (const b of batches.values()) {
    g.strokeStyle = b.color;
    g.fillStyle = b.color;
    g.lineWidth = b.width;
    g.setLineDash(b.dash);
    g.stroke(b.path);
    g.setLineDash([]);
    g.fill(b.heads);
  }
  g.setLineDash([]);
  g.lineWidth = 1.5;
  g.strokeStyle = S.suppressed;
  g.fillStyle = "#fff";
  g.fill(rings);
  g.stroke(rings);
  g.fillStyle = "#1a202c";
  g.fill(dots);
  if (labels.length <= 400) {
    g.font = "10px system-ui, sans-serif";
    g.textAlign = "center";
    g.lineWidth = 3;
    g.strokeStyle = "#fff";
    g.fillStyle = "#2d3748";
    const taken = new Set<string>();
    for (const [text, lx, ly] of labels) {
      const cell = `${Math.round(lx / 90)},${Math.round(ly / 13)}`;
      if (taken.has(cell)) continue;
      taken.add(cell);
      g.strokeText(text, lx, ly);
      g.fillText(text, lx, ly);
    }
  }
  g.lineWidth = 2.5;
  g.strokeStyle = S.drop;
  g.stroke(crosses);
  if (dropNotes.length <= 150) {
    g.font = "10px system-ui, sans-serif";
    g.textAlign = "left";
    g.fillStyle = S.drop;
    for (const [text, lx, ly] of dropNotes) g.fillText(text, lx, ly);
  }
}

/** Markers: crashes, exits, timeouts, restarts, timers and log lines. */
function drawMarkers(v: DrawView): void {
  const { g, S, x, y, tEnd, drawn } = v;
  const { layout, now, ty } = v.scene;
  layout.markers.forEach((m, i) => {
    if (m.t > now || m.t < ty || m.t > tEnd || m.type === "spawn") return;
    const mx = x(m.lane), my = y(m.t);
    drawn.markers.push(i);
    drawn.markerPts.push(mx, my);
    g.beginPath();
    if (m.type === "crash") {
      g.strokeStyle = S.crash;
      g.lineWidth = 3;
      g.moveTo(mx - 7, my - 7);
      g.lineTo(mx + 7, my + 7);
      g.moveTo(mx + 7, my - 7);
      g.lineTo(mx - 7, my + 7);
      g.stroke();
    } else if (m.type === "exit") {
      g.fillStyle = "#4a5568";
      g.fillRect(mx - 6, my - 1, 12, 2);
    } else if (m.type === "timeout") {
      g.arc(mx, my, 5, 0, Math.PI * 2);
      g.fillStyle = "#fff";
      g.fill();
      g.strokeStyle = S.timeout;
      g.lineWidth = 2;
      g.stroke();
      g.beginPath();
      g.lineWidth = 1;
      g.moveTo(mx, my - 3);
      g.lineTo(mx, my);
      g.lineTo(mx + 2.5, my);
      g.stroke();
    } else {
      g.arc(mx, my, m.type === "restart" ? 5 : m.type === "log" ? 2.5 : 2, 0, Math.PI * 2);
      g.fillStyle = m.type === "restart" ? S.restart : m.type === "log" ? S.log : S.timer;
      g.fill();
    }
  });
}

/** The replay line, then the header (time labels, machines, lanes) over everything. */
function drawHeader(v: DrawView): void {
  const { g, S, top, left, x, y, tEnd, step } = v;
  const { model, lanes, width, height, sx, laneW, now, ty } = v.scene;
  if (now < model.span.max && now >= ty && now <= tEnd) {
    g.fillStyle = "#e53e3e";
    g.fillRect(left, y(now), width - left, 1.5);
  }
  g.fillStyle = "#fff";
  g.fillRect(0, 0, width, top);
  g.fillRect(0, 0, left - 1, height);
  g.textAlign = "right";
  g.fillStyle = "#718096";
  for (let t = Math.ceil(ty / step) * step; t <= tEnd; t += step) {
    g.fillText(String(Math.round(t * 1000) / 1000), left - 6, y(t) + 4);
  }
  g.fillStyle = "#4a5568";
  g.fillText(v.scene.unit, left - 6, top - 6);
  let mi = 0;
  g.textAlign = "center";
  for (let i = 0; i < lanes.length;) {
    let j = i;
    while (j < lanes.length && lanes[j].machine === lanes[i].machine) j++;
    const x0 = left - sx + laneW * i + 2, w = laneW * (j - i) - 4;
    if (x0 + w > left && x0 < width) {
      g.fillStyle = S.machine[mi % S.machine.length];
      g.fillRect(x0, 8, w, top - 8);
      g.fillStyle = "#1a202c";
      g.font = "600 11px system-ui, sans-serif";
      g.fillText(lanes[i].machine, x0 + w / 2, 22, w);
    }
    mi++;
    i = j;
  }
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#2d3748";
  lanes.forEach((lane, i) => {
    const lx = x(i);
    if (lx < left - laneW || lx > width + laneW) return;
    g.fillText(lane.label.replace(`@${lane.machine}`, ""), lx, top - 12, laneW - 4);
  });
}

/**
 * The drawing's parts, for the page's script: {@link drawDiagram} calls them by name, so the
 * page defines each (`Function.prototype.toString()`) beside it.
 *
 * @example Every part has a name
 * ```ts
 * import assert from "node:assert/strict";
 * import { DRAW_PARTS } from "./_viewer_draw.ts";
 * assert.ok(DRAW_PARTS.every((f) => f.name.length > 0));
 * ```
 */
export const DRAW_PARTS: readonly ((...args: never[]) => unknown)[] = [
  drawBackdrop,
  drawBands,
  drawLifelines,
  arrowStyle,
  traceArrows,
  markArrow,
  paintArrows,
  drawMarkers,
  drawHeader,
];
