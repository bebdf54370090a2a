/**
 * The latency plot of a run as a static SVG: each message's latency (first sending to first
 * delivery, so retransmissions after a loss count) over the run's time, and a histogram of the
 * same latencies; partitions and crashes shaded for their window in the time panel. Large runs
 * stay small: the time panel draws one min..max bar and a median dot per pixel column.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";

/** One message's latency. */
export interface LatencyPoint {
  /** When it was first sent, ms. */
  readonly t: number;
  /** First delivery minus first sending, ms. */
  readonly ms: number;
}

/** A fault window: a partition or a machine down. */
export interface FaultWindow {
  /** What it was: `partition` or `crash`. */
  readonly kind: "partition" | "crash";
  /** Start, ms. */
  readonly t0: number;
  /** End, ms (the end of the run when it never ended). */
  readonly t1: number;
  /** Which machines, or the partition's description. */
  readonly label: string;
}

/**
 * The latency of every delivered message of `events`, in order of first sending.
 *
 * @example A message delivered 3 ms after it was first sent
 * ```ts
 * import assert from "node:assert/strict";
 * import { messageLatencies } from "./latency_svg.ts";
 * const points = messageLatencies([
 *   { t: 1, ev: "send", at: "a@m1.lab", id: "x" },
 *   { t: 2, ev: "retransmit", at: "a@m1.lab", id: "x" },
 *   { t: 4, ev: "deliver", at: "b@m2.lab", id: "x" },
 * ]);
 * assert.deepEqual(points, [{ t: 1, ms: 3 }]);
 * ```
 */
export function messageLatencies(events: readonly Omit<TraceEvent, "vc">[]): LatencyPoint[] {
  const sent = new Map<string, number>();
  const points: LatencyPoint[] = [];
  for (const e of events) {
    if (e.id === undefined) continue;
    if (e.ev === "send" && !sent.has(e.id)) sent.set(e.id, e.t);
    else if (e.ev === "deliver") {
      const t0 = sent.get(e.id);
      if (t0 === undefined || Number.isNaN(t0)) continue;
      points.push({ t: t0, ms: Math.max(0, e.t - t0) });
      sent.set(e.id, NaN); // Later deliveries (duplicates) do not count again.
    }
  }
  return points.sort((a, b) => a.t - b.t);
}

/**
 * The partitions and crashes of `events`, each with its window.
 *
 * @example A crash and its restart
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultWindows } from "./latency_svg.ts";
 * const windows = faultWindows([
 *   { t: 10, ev: "crash", at: "m1.lab" },
 *   { t: 30, ev: "restart", at: "m1.lab" },
 * ], 50);
 * assert.deepEqual(windows, [{ kind: "crash", t0: 10, t1: 30, label: "m1.lab down" }]);
 * ```
 */
export function faultWindows(
  events: readonly Omit<TraceEvent, "vc">[],
  end: number,
): FaultWindow[] {
  const windows: FaultWindow[] = [];
  const down = new Map<string, number>();
  const cuts: { t0: number; label: string }[] = [];
  for (const e of events) {
    if (e.ev === "crash" && !down.has(e.at)) down.set(e.at, e.t);
    else if (e.ev === "restart" && down.has(e.at)) {
      windows.push({ kind: "crash", t0: down.get(e.at)!, t1: e.t, label: `${e.at} down` });
      down.delete(e.at);
    } else if (e.ev === "partition") cuts.push({ t0: e.t, label: e.note ?? e.at });
    else if (e.ev === "heal") {
      const cut = cuts.shift();
      if (cut) windows.push({ kind: "partition", t0: cut.t0, t1: e.t, label: cut.label });
    }
  }
  for (const [machine, t0] of down) {
    windows.push({ kind: "crash", t0, t1: end, label: `${machine} down` });
  }
  for (const cut of cuts) {
    windows.push({ kind: "partition", t0: cut.t0, t1: end, label: cut.label });
  }
  return windows.sort((a, b) => a.t0 - b.t0);
}

const W = 900, PAD = 56, TOP_H = 260, HIST_H = 200, GAP = 70;
const fmt = (n: number): string => String(Math.round(n * 1000) / 1000);
/** Ticks at multiples of 1, 2 or 5 times a power of ten, about `count` of them in 0..max. */
function ticks(lo: number, hi: number, count: number): number[] {
  const raw = Math.max((hi - lo) / count, 1e-6);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 && out.length < 50; v += step) {
    out.push(Math.round(v * 1e6) / 1e6);
  }
  return out;
}
const esc = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function timePanel(
  points: readonly LatencyPoint[],
  windows: readonly FaultWindow[],
  span: { t0: number; t1: number; max: number },
): string[] {
  const plotW = W - 2 * PAD, y0 = 40;
  const x = (t: number) => PAD + ((t - span.t0) / Math.max(span.t1 - span.t0, 1e-9)) * plotW;
  const y = (ms: number) => y0 + TOP_H - (ms / span.max) * TOP_H;
  const out: string[] = [
    `<text x="${PAD}" y="${y0 - 12}" font-weight="bold">latency over time (ms)</text>`,
    `<rect x="${PAD}" y="${y0}" width="${plotW}" height="${TOP_H}" fill="none" stroke="#cbd5e0"/>`,
  ];
  for (const w of windows) {
    const fill = w.kind === "crash" ? "rgba(197,48,48,0.15)" : "rgba(221,107,32,0.15)";
    const x0 = x(w.t0), width = Math.max(1, x(w.t1) - x0);
    out.push(
      `<rect class="fault ${w.kind}" x="${fmt(x0)}" y="${y0}" width="${fmt(width)}" ` +
        `height="${TOP_H}" fill="${fill}"><title>${esc(w.label)} ${fmt(w.t0)}..${
          fmt(w.t1)
        } ms</title></rect>`,
      `<text x="${fmt(x0 + 2)}" y="${y0 + 12}" font-size="10" fill="#9b2c2c">${
        esc(w.kind === "crash" ? w.label : "partition")
      }</text>`,
    );
  }
  // One column per pixel: a min..max bar and the median.
  const columns = new Map<number, number[]>();
  for (const p of points) {
    const c = Math.round(x(p.t));
    let list = columns.get(c);
    if (!list) columns.set(c, list = []);
    list.push(p.ms);
  }
  const bars: string[] = [], dots: string[] = [];
  for (const [c, list] of columns) {
    list.sort((a, b) => a - b);
    const lo = y(list[0]), hi = y(list[list.length - 1]), mid = y(list[list.length >> 1]);
    if (hi < lo - 0.5) bars.push(`M${c} ${fmt(lo)}V${fmt(hi)}`);
    dots.push(`M${c - 1} ${fmt(mid)}h2`);
  }
  out.push(`<path class="range" d="${bars.join("")}" stroke="#90cdf4" stroke-width="1"/>`);
  out.push(`<path class="median" d="${dots.join("")}" stroke="#2b6cb0" stroke-width="2"/>`);
  for (const ms of ticks(0, span.max, 4)) {
    out.push(`<text x="${PAD - 6}" y="${fmt(y(ms) + 4)}" text-anchor="end">${fmt(ms)}</text>`);
  }
  for (const t of ticks(span.t0, span.t1, 6)) {
    out.push(
      `<text x="${fmt(x(t))}" y="${y0 + TOP_H + 16}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<text x="${W - PAD}" y="${y0 + TOP_H + 32}" text-anchor="end" fill="#4a5568">time of ` +
      `sending; bar: min..max per pixel, dot: median</text>`,
  );
  return out;
}

function histogram(points: readonly LatencyPoint[], max: number): string[] {
  const bins = 30, plotW = W - 2 * PAD, y0 = 40 + TOP_H + GAP;
  const counts = new Array<number>(bins).fill(0);
  for (const p of points) counts[Math.min(bins - 1, Math.floor((p.ms / max) * bins))]++;
  const top = Math.max(1, ...counts);
  const out = [
    `<text x="${PAD}" y="${y0 - 12}" font-weight="bold">histogram of latencies (ms)</text>`,
    `<rect x="${PAD}" y="${y0}" width="${plotW}" height="${HIST_H}" fill="none" stroke="#cbd5e0"/>`,
  ];
  const bw = plotW / bins;
  counts.forEach((n, i) => {
    if (n === 0) return;
    const h = (n / top) * HIST_H;
    out.push(
      `<rect class="bin" x="${fmt(PAD + i * bw + 1)}" y="${fmt(y0 + HIST_H - h)}" ` +
        `width="${fmt(bw - 2)}" height="${fmt(h)}" fill="#4299e1"><title>${
          fmt((i * max) / bins)
        }..${fmt(((i + 1) * max) / bins)} ms: ${n}</title></rect>`,
    );
  });
  for (const ms of ticks(0, max, 6)) {
    out.push(
      `<text x="${fmt(PAD + (plotW * ms) / max)}" y="${y0 + HIST_H + 16}" text-anchor="middle">${
        fmt(ms)
      }</text>`,
    );
  }
  out.push(`<text x="${PAD - 6}" y="${y0 + 10}" text-anchor="end">${top}</text>`);
  return out;
}

/**
 * The latency plot of `events` as an SVG document: latency over time with fault windows
 * shaded, and a histogram.
 *
 * @example A plot with a crash window
 * ```ts
 * import assert from "node:assert/strict";
 * import { latencySvg } from "./latency_svg.ts";
 * const svg = latencySvg([
 *   { t: 0, ev: "send", at: "a@m1.lab", id: "x" },
 *   { t: 2, ev: "deliver", at: "b@m2.lab", id: "x" },
 *   { t: 5, ev: "crash", at: "m2.lab" },
 * ], { title: "demo" });
 * assert.match(svg, /^<svg /);
 * assert.match(svg, /class="fault crash"/);
 * assert.match(svg, /1 messages/);
 * ```
 */
export function latencySvg(
  events: readonly Omit<TraceEvent, "vc">[],
  options: { title?: string; unit?: string } = {},
): string {
  const points = messageLatencies(events);
  const t0 = events.length > 0 ? events[0].t : 0;
  const t1 = events.length > 0 ? Math.max(t0 + 1e-3, events[events.length - 1].t) : 1;
  const windows = faultWindows(events, t1);
  let max = 0;
  for (const p of points) if (p.ms > max) max = p.ms;
  max = max > 0 ? max * 1.05 : 1;
  const height = 40 + TOP_H + GAP + HIST_H + 40;
  const caption = `${points.length} messages, ${windows.length} fault windows; ` +
    (options.unit ?? "virtual ms");
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" ` +
    `viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(options.title ?? "latency")}</title>`,
    `<rect width="${W}" height="${height}" fill="#fff"/>`,
    `<text x="${W - PAD}" y="16" text-anchor="end" fill="#4a5568">${esc(caption)}</text>`,
    ...timePanel(points, windows, { t0, t1, max }),
    ...histogram(points, max),
    `</svg>`,
  ].join("\n") + "\n";
}
