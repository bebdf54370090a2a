/**
 * The browser viewer of a space-time diagram: decodes the embedded trace, builds the model
 * incrementally (a live view appends events through the returned handle), and wires zoom,
 * scroll, hover and click (clocks, happened-before cone), filters, aggregation and a replay
 * slider to the canvas renderer.
 *
 * Self-contained (no imports at run time): the HTML writer inlines its source and passes the
 * model functions in `lib`.
 * @module
 */
import type { DiagramBuilder } from "./builder.ts";
import type { cone, stepClock } from "./clocks.ts";
import type { Aggregation, assignLanes, Lane } from "./lanes.ts";
import type { Layout, layoutDiagram } from "./layout.ts";
import type { DiagramEvent } from "./model.ts";
import type { DomElement, DomInput, DomMouseEvent, DomWindow } from "./_dom.ts";

// Browser globals, typed (see _dom.ts); nothing is emitted for them.
declare function requestAnimationFrame(callback: (time: number) => void): number;
declare function cancelAnimationFrame(handle: number): void;
declare const HTMLInputElement: { new (): DomInput; prototype: DomInput };
import type { drawDiagram, Drawn } from "./_viewer_draw.ts";
import type { renderChips, viewerDom } from "./_viewer_dom.ts";
import type {
  decodeEvent,
  describeTransmission,
  hitTest,
  summarizeLayout,
  ViewerSummary,
} from "./_viewer_text.ts";

/** The trace as the HTML embeds it: strings once, events by column (strings by index). */
export interface ViewerData {
  /** Title. */
  readonly title: string;
  /** Time unit caption (`virtual ms`, `wall ms`). */
  readonly unit: string;
  /** Every distinct string. */
  readonly strings: readonly string[];
  /**
   * Events by column, each column an entry per event: [t (µs), ev, at, id, from, to, kind, label,
   * lamport, note] (strings by index, -1 absent).
   */
  readonly columns: readonly (readonly number[])[];
  /**
   * Vector clocks traced with events: [event index, clock], or [event index, index of an
   * earlier event with the same clock].
   */
  readonly vcs: readonly (readonly [number, Record<string, number> | number])[];
  /** Draw `ctl.lab` at first. */
  readonly showControl: boolean;
  /** Aggregation at first. */
  readonly aggregate: Aggregation;
}

/** The model functions the viewer uses (inlined by the page). */
export interface ViewerLib {
  /** The builder class. */
  readonly DiagramBuilder: typeof DiagramBuilder;
  /** Lane assignment. */
  readonly assignLanes: typeof assignLanes;
  /** Layout. */
  readonly layoutDiagram: typeof layoutDiagram;
  /** Vector clock of a step. */
  readonly stepClock: typeof stepClock;
  /** Happened-before cone. */
  readonly cone: typeof cone;
  /** Canvas renderer. */
  readonly drawDiagram: typeof drawDiagram;
  /** The page's elements. */
  readonly viewerDom: typeof viewerDom;
  /** The filter chips. */
  readonly renderChips: typeof renderChips;
  /** Decoding of an embedded event. */
  readonly decodeEvent: typeof decodeEvent;
  /** Tooltip text of a message. */
  readonly describeTransmission: typeof describeTransmission;
  /** Hit testing. */
  readonly hitTest: typeof hitTest;
  /** Counts of a layout. */
  readonly summarizeLayout: typeof summarizeLayout;
}

/** What a mounted viewer offers to scripts (a live view, tests). */
export interface ViewerHandle {
  /** Appends trace events and redraws. */
  append(events: readonly DiagramEvent[]): void;
  /** Redraws now and returns what was drawn. */
  draw(): Drawn;
  /** Page positions (CSS px) of the middle and the end of a transmission's arrow, if drawn. */
  locate(
    id: string,
    outcome?: string,
  ): { x: number; y: number; endX: number; endY: number } | undefined;
  /** What the current lanes and layout hold, counted by kind of element. */
  summary(): ViewerSummary;
  /** Shows the whole run. */
  fit(): void;
}

/** A mounted viewer's state: its model, elements and view, shared by its parts. */
interface ViewerState {
  readonly data: ViewerData;
  readonly lib: ViewerLib;
  readonly root: DomElement;
  readonly S: { header: number; axis: number };
  readonly builder: DiagramBuilder;
  readonly model: DiagramBuilder["model"];
  readonly dom: ReturnType<typeof viewerDom>;
  readonly hiddenMachines: Set<string>;
  readonly hiddenKinds: Set<string>;
  lanes: Lane[];
  layout: Layout;
  /** Pixels per ms. */
  k: number;
  /** Time at the top, ms. */
  ty: number;
  /** Horizontal scroll, px. */
  sx: number;
  /** Replay time. */
  now: number;
  selected: number;
  selCone: ReturnType<typeof cone> | null;
  drawn: Drawn;
  /** Pending animation frame, or 0. */
  frame: number;
  dragging: { x: number; y: number } | null;
  moved: boolean;
  /** Replay animation frame, or 0. */
  playing: number;
}

/**
 * Mounts the viewer in `root`.
 *
 * @example Type of the viewer
 * ```ts
 * import assert from "node:assert/strict";
 * import { mountViewer } from "./_viewer.ts";
 * assert.equal(typeof mountViewer, "function");
 * ```
 */
export function mountViewer(root: DomElement, data: ViewerData, lib: ViewerLib): ViewerHandle {
  const v = viewerState(root, data, lib);
  wirePointer(v);
  wireControls(v);
  wireReplay(v);
  applyHash(v);
  viewerDraw(v);
  return viewerHandle(v);
}

/** The viewer's model (the embedded events decoded), elements and initial view. */
function viewerState(root: DomElement, data: ViewerData, lib: ViewerLib): ViewerState {
  const builder = new lib.DiagramBuilder();
  const vcs = new Map<number, Record<string, number>>();
  for (const [i, vc] of data.vcs) vcs.set(i, typeof vc === "number" ? vcs.get(vc)! : vc);
  const cols = data.columns;
  const n = cols.length > 0 ? cols[0].length : 0;
  for (let i = 0; i < n; i++) {
    const row = cols.map((col) => col[i]);
    row[0] /= 1000; // µs
    const e = lib.decodeEvent(data.strings, row);
    builder.add(vcs.has(i) ? { ...e, vc: vcs.get(i) } : e);
  }
  return {
    data,
    lib,
    root,
    S: (globalThis as unknown as { STYLE: { header: number; axis: number } }).STYLE,
    builder,
    model: builder.model,
    dom: lib.viewerDom(root, data),
    hiddenMachines: new Set<string>(),
    hiddenKinds: new Set<string>(),
    lanes: [],
    layout: undefined as unknown as Layout,
    k: 1,
    ty: 0,
    sx: 0,
    now: Infinity,
    selected: -1,
    selCone: null,
    drawn: { delivered: 0, drops: 0, tx: [], pts: [], markers: [], markerPts: [] },
    frame: 0,
    dragging: null,
    moved: false,
    playing: 0,
  };
}

/** The plot's size, CSS px. */
function viewerSize(v: ViewerState): { w: number; h: number } {
  return { w: v.dom.main.clientWidth || 800, h: v.dom.main.clientHeight || 600 };
}

/** Width of a lane, px: the lanes share the plot's width, within 48..170. */
function viewerLaneWidth(v: ViewerState): number {
  return Math.max(
    48,
    Math.min(170, (viewerSize(v).w - v.S.axis - 8) / Math.max(v.lanes.length, 1)),
  );
}

/** Lanes and layout again, after a filter, aggregation or new events; chips and caption. */
function viewerRelayout(v: ViewerState): void {
  const { model, lib, data, hiddenMachines, hiddenKinds } = v;
  const { filter, ctl, agg, chips, sub } = v.dom;
  const word = filter.value.trim();
  const hide = [...hiddenMachines];
  if (!ctl.checked) hide.push("ctl.lab");
  const procs = word
    ? model.processes.map((p) => ({
      address: p.address,
      machine: p.address.includes(word) ? p.machine : `\u0000hidden`,
    }))
    : model.processes;
  const a = lib.assignLanes(procs, {
    aggregate: agg.value as Aggregation,
    hide: [...hide, "\u0000hidden"],
  });
  v.lanes = a.lanes;
  v.layout = lib.layoutDiagram(model, a);
  const kinds = new Map<string, number>();
  for (const tx of model.transmissions) kinds.set(tx.kind, (kinds.get(tx.kind) ?? 0) + 1);
  lib.renderChips(chips, {
    machines: [...new Set(model.processes.map((p) => p.machine))],
    kinds,
    hiddenMachines,
    hiddenKinds,
    onChange: () => viewerRelayout(v),
  });
  const delivered = model.transmissions.filter((t) => t.outcome === "delivered").length;
  const dropped = model.transmissions.filter((t) => t.outcome === "dropped").length;
  sub.textContent =
    `${model.events} events, ${model.processes.length} processes on ${
      new Set(model.processes.map((p) => p.machine)).size
    } machines, ${delivered} deliveries, ${dropped} drops; time flows down in ${data.unit}. ` +
    `Wheel scrolls, ctrl+wheel zooms, drag pans, hover or click a message.`;
  viewerSchedule(v);
}

/** Shows what is drawn between visible lanes (traffic to hidden lanes may run on longer). */
function viewerFit(v: ViewerState): void {
  const { layout, model } = v;
  const { h } = viewerSize(v);
  let lo = Infinity, hi = -Infinity;
  for (const a of layout.arrows) {
    if (a.from < 0 || a.to < 0) continue;
    lo = Math.min(lo, a.t0);
    hi = Math.max(hi, a.t1);
  }
  for (const m of layout.markers) {
    lo = Math.min(lo, m.t);
    hi = Math.max(hi, m.t);
  }
  if (!(hi > lo)) {
    lo = Number.isFinite(model.span.min) ? model.span.min : 0;
    hi = Math.max(model.span.max, lo + 1e-3);
  }
  v.k = (h - v.S.header - 16) / (hi - lo);
  v.ty = lo;
  v.sx = 0;
  viewerSchedule(v);
}

/** Draws a frame now; returns what it drew. */
function viewerDraw(v: ViewerState): Drawn {
  const { canvas } = v.dom;
  v.frame = 0;
  const { w, h } = viewerSize(v);
  const dpr = (globalThis as unknown as DomWindow).devicePixelRatio || 1;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
  }
  const g = canvas.getContext("2d")!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  v.drawn = v.lib.drawDiagram(g, {
    model: v.model,
    lanes: v.lanes,
    layout: v.layout,
    width: w,
    height: h,
    k: v.k,
    ty: v.ty,
    sx: v.sx,
    laneW: viewerLaneWidth(v),
    now: v.now,
    hiddenKinds: v.hiddenKinds,
    selected: v.selected,
    cone: v.selCone,
    unit: v.data.unit,
  });
  v.root.dataset.drawnDelivered = String(v.drawn.delivered);
  v.root.dataset.drawnDrops = String(v.drawn.drops);
  v.root.dataset.lanes = String(v.lanes.length);
  return v.drawn;
}

/** Draws at the next animation frame (once, however often it is asked). */
function viewerSchedule(v: ViewerState): void {
  if (v.frame === 0) v.frame = requestAnimationFrame(() => viewerDraw(v));
}

/** Zooms by `factor` around the plot's height `py`. */
function viewerZoom(v: ViewerState, factor: number, py: number): void {
  const t = v.ty + (py - v.S.header) / v.k;
  v.k = Math.max(1e-4, Math.min(v.k * factor, 5000));
  v.ty = t - (py - v.S.header) / v.k;
  viewerSchedule(v);
}

/** The pointer's position on the canvas, px. */
function viewerLocal(v: ViewerState, ev: DomMouseEvent): { px: number; py: number } {
  const r = v.dom.canvas.getBoundingClientRect();
  return { px: ev.clientX - r.left, py: ev.clientY - r.top };
}

/** The tooltip of what is under the pointer at `px`, `py` (hidden over nothing). */
function viewerTip(v: ViewerState, px: number, py: number): void {
  const { tip } = v.dom;
  const h = v.lib.hitTest(v.drawn, px, py);
  if (!h) {
    tip.style.display = "none";
    return;
  }
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  if ("tx" in h) tip.innerHTML = v.lib.describeTransmission(v.model, h.tx, v.lib.stepClock);
  else {
    const m = v.layout.markers[h.marker];
    tip.innerHTML = `<b>${m.type}</b> at ${String(Math.round(m.t * 1000) / 1000)} ms on ${
      esc(v.model.processes[m.proc].address)
    }<br>${esc(m.note)}`;
  }
  tip.style.display = "block";
  tip.style.left = `${Math.min(px + 14, viewerSize(v).w - 380)}px`;
  tip.style.top = `${py + 14}px`;
}

/** Hover (tooltips), drag (pan) and click (select a message and its cone). */
function wirePointer(v: ViewerState): void {
  const { canvas, tip, details } = v.dom;
  canvas.addEventListener("mousemove", (ev) => {
    if (v.dragging) {
      v.sx = Math.max(0, v.sx - (ev.clientX - v.dragging.x));
      v.ty -= (ev.clientY - v.dragging.y) / v.k;
      v.dragging = { x: ev.clientX, y: ev.clientY };
      viewerSchedule(v);
      return;
    }
    const { px, py } = viewerLocal(v, ev);
    viewerTip(v, px, py);
  });
  canvas.addEventListener("mouseleave", () => (tip.style.display = "none"));
  canvas.addEventListener("mousedown", (ev) => {
    v.dragging = { x: ev.clientX, y: ev.clientY };
    v.moved = false;
  });
  (globalThis as unknown as DomWindow).addEventListener("mouseup", (ev) => {
    const d = v.dragging;
    if (d && Math.abs(ev.clientX - d.x) + Math.abs(ev.clientY - d.y) > 3) v.moved = true;
    v.dragging = null;
  });
  canvas.addEventListener("click", (ev) => {
    if (v.moved) return;
    const { px, py } = viewerLocal(v, ev);
    const h = v.lib.hitTest(v.drawn, px, py);
    if (h && "tx" in h) {
      v.selected = h.tx;
      v.selCone = v.lib.cone(v.model, h.tx);
      details.innerHTML = v.lib.describeTransmission(v.model, h.tx, v.lib.stepClock) +
        `<br><b>happened-before</b>: ${v.selCone.past.size} message(s) before it (blue), ` +
        `${v.selCone.future.size} after it (orange)`;
    } else {
      v.selected = -1;
      v.selCone = null;
    }
    viewerSchedule(v);
  });
}

/** Wheel (scroll, zoom), keys, the zoom buttons, filters, aggregation, resizing. */
function wireControls(v: ViewerState): void {
  const { canvas, fitB, inB, outB, agg, ctl, filter } = v.dom;
  const middle = () => viewerSize(v).h / 2;
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const { py } = viewerLocal(v, ev);
    if (ev.ctrlKey || ev.metaKey) viewerZoom(v, Math.exp(-ev.deltaY / 300), py);
    else if (ev.shiftKey) v.sx = Math.max(0, v.sx + ev.deltaY);
    else {
      v.ty += ev.deltaY / v.k;
      v.sx = Math.max(0, v.sx + ev.deltaX);
    }
    viewerSchedule(v);
  }, { passive: false });
  (globalThis as unknown as DomWindow).addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement) return;
    if (ev.key === "+" || ev.key === "=") viewerZoom(v, 1.5, middle());
    else if (ev.key === "-") viewerZoom(v, 1 / 1.5, middle());
    else if (ev.key === "0") viewerFit(v);
  });
  fitB.onclick = () => viewerFit(v);
  inB.onclick = () => viewerZoom(v, 1.5, middle());
  outB.onclick = () => viewerZoom(v, 1 / 1.5, middle());
  const relayout = () => viewerRelayout(v);
  agg.onchange = relayout;
  ctl.onchange = relayout;
  filter.oninput = relayout;
  (globalThis as unknown as DomWindow).addEventListener("resize", () => viewerSchedule(v));
}

/** The replay slider and its play button. */
function wireReplay(v: ViewerState): void {
  const { slider, play, clock } = v.dom;
  const setNow = (f: number) => {
    const span = v.model.span;
    v.now = f >= 1 ? Infinity : span.min + f * (span.max - span.min);
    clock.textContent = f >= 1 ? "end of run" : `${String(Math.round(v.now * 1000) / 1000)} ms`;
    viewerSchedule(v);
  };
  slider.oninput = () => setNow(Number(slider.value) / 1000);
  play.onclick = () => {
    if (v.playing) {
      cancelAnimationFrame(v.playing);
      v.playing = 0;
      play.textContent = "▶ replay";
      return;
    }
    play.textContent = "❚❚ pause";
    let f = Number(slider.value) >= 1000 ? 0 : Number(slider.value) / 1000;
    let last = performance.now();
    const tick = (ts: number) => {
      f = Math.min(1, f + (ts - last) / 12000);
      last = ts;
      slider.value = String(Math.round(f * 1000));
      setNow(f);
      if (f < 1) v.playing = requestAnimationFrame(tick);
      else {
        v.playing = 0;
        play.textContent = "▶ replay";
      }
    };
    v.playing = requestAnimationFrame(tick);
  };
  setNow(1);
}

/**
 * What the page address chooses to show first: #kinds=put,g-delta (only those kinds),
 * #t=100..300 (that window, ms), #lanes=machine, #ctl (with the lab's own traffic).
 */
function applyHash(v: ViewerState): void {
  const hash = new URLSearchParams(location.hash.slice(1));
  const only = hash.get("kinds");
  if (only) {
    const keep = only.split(",");
    for (const tx of v.model.transmissions) if (!keep.includes(tx.kind)) v.hiddenKinds.add(tx.kind);
  }
  if (hash.get("lanes")) v.dom.agg.value = hash.get("lanes")!;
  if (hash.has("ctl")) v.dom.ctl.checked = true;
  viewerRelayout(v);
  viewerFit(v);
  const win = /^(-?[\d.]+)\.\.(-?[\d.]+)$/.exec(hash.get("t") ?? "");
  if (win && Number(win[2]) > Number(win[1])) {
    v.ty = Number(win[1]);
    v.k = (viewerSize(v).h - v.S.header - 16) / (Number(win[2]) - v.ty);
  }
}

/** What scripts (a live view, tests) get of a mounted viewer. */
function viewerHandle(v: ViewerState): ViewerHandle {
  return {
    append(events) {
      for (const e of events) v.builder.add(e);
      viewerRelayout(v);
    },
    draw: () => viewerDraw(v),
    locate(id, outcome) {
      const { drawn, model } = v;
      for (let i = 0; i < drawn.tx.length; i++) {
        const tx = model.transmissions[drawn.tx[i]];
        if (tx.id !== id || (outcome && tx.outcome !== outcome)) continue;
        const r = v.dom.canvas.getBoundingClientRect();
        return {
          x: r.left + (drawn.pts[4 * i] + drawn.pts[4 * i + 2]) / 2,
          y: r.top + (drawn.pts[4 * i + 1] + drawn.pts[4 * i + 3]) / 2,
          endX: r.left + drawn.pts[4 * i + 2],
          endY: r.top + drawn.pts[4 * i + 3],
        };
      }
      return undefined;
    },
    summary: () => v.lib.summarizeLayout(v.lanes, v.layout),
    fit: () => viewerFit(v),
  };
}

/**
 * The viewer's parts, for the page's script: {@link mountViewer} calls them by name, so the
 * page defines each (`Function.prototype.toString()`) beside it.
 *
 * @example Every part has a name
 * ```ts
 * import assert from "node:assert/strict";
 * import { VIEWER_PARTS } from "./_viewer.ts";
 * assert.ok(VIEWER_PARTS.every((f) => f.name.length > 0));
 * ```
 */
export const VIEWER_PARTS: readonly ((...args: never[]) => unknown)[] = [
  viewerState,
  viewerSize,
  viewerLaneWidth,
  viewerRelayout,
  viewerFit,
  viewerDraw,
  viewerSchedule,
  viewerZoom,
  viewerLocal,
  viewerTip,
  wirePointer,
  wireControls,
  wireReplay,
  applyHash,
  viewerHandle,
];
