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

/** The trace as the HTML embeds it: strings once, events as arrays of string indices. */
export interface ViewerData {
  /** Title. */
  readonly title: string;
  /** Time unit caption (`virtual ms`, `wall ms`). */
  readonly unit: string;
  /** Every distinct string. */
  readonly strings: readonly string[];
  /** Events: [t, ev, at, id, from, to, kind, label, lamport, note] (strings by index, -1 absent). */
  readonly events: readonly (readonly number[])[];
  /** Vector clocks traced with events: [event index, clock]. */
  readonly vcs: readonly (readonly [number, Record<string, number>])[];
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
  const S = (globalThis as unknown as { STYLE: { header: number; axis: number } }).STYLE;
  const builder = new lib.DiagramBuilder();
  const vcs = new Map(data.vcs.map(([i, vc]) => [i, vc]));
  data.events.forEach((row, i) => {
    const e = lib.decodeEvent(data.strings, row);
    builder.add(vcs.has(i) ? { ...e, vc: vcs.get(i) } : e);
  });
  const model = builder.model;

  const {
    sub,
    fitB,
    outB,
    inB,
    agg,
    ctl,
    filter,
    chips,
    play,
    slider,
    clock,
    main,
    canvas,
    tip,
    details,
  } = lib.viewerDom(root, data);
  // State.
  const hiddenMachines = new Set<string>();
  const hiddenKinds = new Set<string>();
  let lanes: Lane[] = [], layout: Layout;
  let k = 1, ty = 0, sx = 0, now = Infinity, selected = -1;
  let selCone: ReturnType<typeof lib.cone> | null = null;
  let drawn: Drawn = { delivered: 0, drops: 0, tx: [], pts: [], markers: [], markerPts: [] };
  let frame = 0;
  const size = () => ({ w: main.clientWidth || 800, h: main.clientHeight || 600 });
  const laneWidth = () =>
    Math.max(48, Math.min(170, (size().w - S.axis - 8) / Math.max(lanes.length, 1)));

  const relayout = () => {
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
    lanes = a.lanes;
    layout = lib.layoutDiagram(model, a);
    const kinds = new Map<string, number>();
    for (const tx of model.transmissions) kinds.set(tx.kind, (kinds.get(tx.kind) ?? 0) + 1);
    lib.renderChips(chips, {
      machines: [...new Set(model.processes.map((p) => p.machine))],
      kinds,
      hiddenMachines,
      hiddenKinds,
      onChange: relayout,
    });
    const delivered = model.transmissions.filter((t) => t.outcome === "delivered").length;
    const dropped = model.transmissions.filter((t) => t.outcome === "dropped").length;
    sub.textContent =
      `${model.events} events, ${model.processes.length} processes on ${
        new Set(model.processes.map((p) => p.machine)).size
      } machines, ${delivered} deliveries, ${dropped} drops; time flows down in ${data.unit}. ` +
      `Wheel scrolls, ctrl+wheel zooms, drag pans, hover or click a message.`;
    schedule();
  };
  /** Shows what is drawn between visible lanes (traffic to hidden lanes may run on longer). */
  const fit = () => {
    const { h } = size();
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
    k = (h - S.header - 16) / (hi - lo);
    ty = lo;
    sx = 0;
    schedule();
  };
  const draw = (): Drawn => {
    frame = 0;
    const { w, h } = size();
    const dpr = (globalThis as unknown as DomWindow).devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr);
      canvas.height = Math.round(h * dpr);
      canvas.style.width = `${w}px`;
      canvas.style.height = `${h}px`;
    }
    const g = canvas.getContext("2d")!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawn = lib.drawDiagram(g, {
      model,
      lanes,
      layout,
      width: w,
      height: h,
      k,
      ty,
      sx,
      laneW: laneWidth(),
      now,
      hiddenKinds,
      selected,
      cone: selCone,
      unit: data.unit,
    });
    root.dataset.drawnDelivered = String(drawn.delivered);
    root.dataset.drawnDrops = String(drawn.drops);
    root.dataset.lanes = String(lanes.length);
    return drawn;
  };
  function schedule(): void {
    if (frame === 0) frame = requestAnimationFrame(() => draw());
  }

  const describe = (i: number): string => lib.describeTransmission(model, i, lib.stepClock);
  const hit = (px: number, py: number) => lib.hitTest(drawn, px, py);
  const r3 = (n: number) => String(Math.round(n * 1000) / 1000);
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const local = (ev: DomMouseEvent) => {
    const r = canvas.getBoundingClientRect();
    return { px: ev.clientX - r.left, py: ev.clientY - r.top };
  };
  canvas.addEventListener("mousemove", (ev) => {
    if (dragging) {
      sx = Math.max(0, sx - (ev.clientX - dragging.x));
      ty -= (ev.clientY - dragging.y) / k;
      dragging = { x: ev.clientX, y: ev.clientY };
      schedule();
      return;
    }
    const { px, py } = local(ev);
    const h = hit(px, py);
    if (!h) {
      tip.style.display = "none";
      return;
    }
    if ("tx" in h) tip.innerHTML = describe(h.tx);
    else {
      const m = layout.markers[h.marker];
      tip.innerHTML = `<b>${m.type}</b> at ${r3(m.t)} ms on ${
        esc(model.processes[m.proc].address)
      }<br>${esc(m.note)}`;
    }
    tip.style.display = "block";
    tip.style.left = `${Math.min(px + 14, size().w - 380)}px`;
    tip.style.top = `${py + 14}px`;
  });
  canvas.addEventListener("mouseleave", () => (tip.style.display = "none"));
  let dragging: { x: number; y: number } | null = null, moved = false;
  canvas.addEventListener("mousedown", (ev) => {
    dragging = { x: ev.clientX, y: ev.clientY };
    moved = false;
  });
  (globalThis as unknown as DomWindow).addEventListener("mouseup", (ev) => {
    if (dragging && Math.abs(ev.clientX - dragging.x) + Math.abs(ev.clientY - dragging.y) > 3) {
      moved = true;
    }
    dragging = null;
  });
  canvas.addEventListener("click", (ev) => {
    if (moved) return;
    const { px, py } = local(ev);
    const h = hit(px, py);
    if (h && "tx" in h) {
      selected = h.tx;
      selCone = lib.cone(model, h.tx);
      details.innerHTML = describe(h.tx) +
        `<br><b>happened-before</b>: ${selCone.past.size} message(s) before it (blue), ` +
        `${selCone.future.size} after it (orange)`;
    } else {
      selected = -1;
      selCone = null;
    }
    schedule();
  });
  const zoom = (factor: number, py: number) => {
    const t = ty + (py - S.header) / k;
    k = Math.max(1e-4, Math.min(k * factor, 5000));
    ty = t - (py - S.header) / k;
    schedule();
  };
  canvas.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const { py } = local(ev);
    if (ev.ctrlKey || ev.metaKey) zoom(Math.exp(-ev.deltaY / 300), py);
    else if (ev.shiftKey) sx = Math.max(0, sx + ev.deltaY);
    else {
      ty += ev.deltaY / k;
      sx = Math.max(0, sx + ev.deltaX);
    }
    schedule();
  }, { passive: false });
  (globalThis as unknown as DomWindow).addEventListener("keydown", (ev) => {
    if (ev.target instanceof HTMLInputElement) return;
    if (ev.key === "+" || ev.key === "=") zoom(1.5, size().h / 2);
    else if (ev.key === "-") zoom(1 / 1.5, size().h / 2);
    else if (ev.key === "0") fit();
  });
  fitB.onclick = fit;
  inB.onclick = () => zoom(1.5, size().h / 2);
  outB.onclick = () => zoom(1 / 1.5, size().h / 2);
  agg.onchange = relayout;
  ctl.onchange = relayout;
  filter.oninput = relayout;
  (globalThis as unknown as DomWindow).addEventListener("resize", schedule);

  // Replay.
  const setNow = (f: number) => {
    now = f >= 1 ? Infinity : model.span.min + f * (model.span.max - model.span.min);
    clock.textContent = f >= 1 ? "end of run" : `${r3(now)} ms`;
    schedule();
  };
  slider.oninput = () => setNow(Number(slider.value) / 1000);
  let playing = 0;
  play.onclick = () => {
    if (playing) {
      cancelAnimationFrame(playing);
      playing = 0;
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
      if (f < 1) playing = requestAnimationFrame(tick);
      else {
        playing = 0;
        play.textContent = "▶ replay";
      }
    };
    playing = requestAnimationFrame(tick);
  };
  setNow(1);
  // The page address can choose what to show first: #kinds=put,g-delta (only those kinds),
  // #t=100..300 (that window, ms), #lanes=machine, #ctl (with the lab's own traffic).
  const hash = new URLSearchParams(location.hash.slice(1));
  const only = hash.get("kinds");
  if (only) {
    const keep = only.split(",");
    for (const tx of model.transmissions) if (!keep.includes(tx.kind)) hiddenKinds.add(tx.kind);
  }
  if (hash.get("lanes")) agg.value = hash.get("lanes")!;
  if (hash.has("ctl")) ctl.checked = true;
  relayout();
  fit();
  const win = /^(-?[\d.]+)\.\.(-?[\d.]+)$/.exec(hash.get("t") ?? "");
  if (win && Number(win[2]) > Number(win[1])) {
    ty = Number(win[1]);
    k = (size().h - S.header - 16) / (Number(win[2]) - ty);
  }
  draw();
  return {
    append(events) {
      for (const e of events) builder.add(e);
      relayout();
    },
    draw,
    locate(id, outcome) {
      for (let i = 0; i < drawn.tx.length; i++) {
        const tx = model.transmissions[drawn.tx[i]];
        if (tx.id !== id || (outcome && tx.outcome !== outcome)) continue;
        const r = canvas.getBoundingClientRect();
        return {
          x: r.left + (drawn.pts[4 * i] + drawn.pts[4 * i + 2]) / 2,
          y: r.top + (drawn.pts[4 * i + 1] + drawn.pts[4 * i + 3]) / 2,
          endX: r.left + drawn.pts[4 * i + 2],
          endY: r.top + drawn.pts[4 * i + 3],
        };
      }
      return undefined;
    },
    summary() {
      return lib.summarizeLayout(lanes, layout);
    },
    fit,
  };
}
