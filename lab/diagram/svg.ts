/**
 * A static SVG space-time diagram: one lifeline per process grouped by machine, time flowing
 * down on a linear scale, each copy of a message a slanted arrow from its sending to where it
 * ended, with drops, duplicates, retransmissions, timers, crashes, restarts, partitions and
 * blocked intervals marked. Every arrow carries a `<title>` (shown on hover by browsers) with its
 * clocks. A large run (more than {@link SVG_ARROWS_ONE_BY_ONE} arrows) has its arrows grouped: one
 * path per pair of lanes, copy and fate, its count in its tooltip, so the file stays small and a
 * browser draws it at once; the HTML viewer shows each message.
 * @module
 */
import type { DiagramEvent } from "./model.ts";
import { DiagramBuilder } from "./builder.ts";
import { stepClock } from "./clocks.ts";
import { type Aggregation, assignLanes, type Lane } from "./lanes.ts";
import { type Arrow, type Layout, layoutDiagram } from "./layout.ts";
import type { DiagramModel } from "./model.ts";
import { kindColor, STYLE } from "./_style.ts";
import type { TextSink } from "./text_sink.ts";

/** Options of the diagram writers. */
export interface DiagramOptions {
  /** Title drawn on top. @default "archlab run" */
  readonly title?: string;
  /** What the times are: virtual ms (simulator) or wall ms (real sockets). @default "virtual" */
  readonly clock?: "virtual" | "wall";
  /** How processes map to lanes. @default "auto" */
  readonly aggregate?: Aggregation;
  /** Draw the lab's own control machine `ctl.lab` too. @default false */
  readonly showControl?: boolean;
}

const ENTITY: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
};
// One pass with one regular expression: a fresh process runs each expression interpreted until
// V8 compiles it, and every arrow's tooltip (`a -> b`) has something to escape.
const esc = (s: string): string => /[&<>"]/.test(s) ? s.replace(/[&<>"]/g, (c) => ENTITY[c]) : s;
const r1 = (n: number): string => String(Math.round(n * 10) / 10);

/** A tick step of 1, 2 or 5 times a power of ten, at least `min` ms. */
function niceStep(min: number): number {
  const p = 10 ** Math.floor(Math.log10(Math.max(min, 1e-6)));
  for (const m of [1, 2, 5, 10]) if (m * p >= min) return m * p;
  return 10 * p;
}

/**
 * Pixels per ms: a typical flight at least 24 px tall (so arrows visibly slant) and distinct
 * event times about 12 px apart, within 400..20000 px in all.
 */
function scale(model: DiagramModel, flight: number): number {
  const times = new Set<number>();
  for (const tx of model.transmissions) times.add(tx.t0);
  const span = Math.max(model.span.max - model.span.min, 1e-3);
  const height = Math.max(times.size * 12, (24 / flight) * span);
  return Math.min(20000, Math.max(400, height)) / span;
}

function clockText(model: DiagramModel, a: Arrow, withVc: boolean): string {
  const tx = a.tx;
  let text = `\nLamport ${tx.lamport}` +
    (Number.isNaN(tx.lamportReceive) ? "" : ` -> ${tx.lamportReceive} at the receiver`);
  if (withVc) {
    text += `\nvector clock at send ${JSON.stringify(tx.vcSend ?? stepClock(model, tx.sendStep))}`;
    if (tx.recvStep >= 0) {
      text += `\nvector clock at delivery ${
        JSON.stringify(tx.vcReceive ?? stepClock(model, tx.recvStep))
      }`;
    }
  }
  return text;
}

/** Where things go on the drawing: the scale, the lanes, the size. */
interface SvgFrame {
  readonly model: DiagramModel;
  readonly layout: Layout;
  readonly lanes: readonly Lane[];
  readonly laneW: number;
  readonly k: number;
  readonly t0: number;
  readonly top: number;
  readonly left: number;
  readonly width: number;
  readonly height: number;
  readonly x: (lane: number) => number;
  readonly y: (t: number) => number;
}

/** The frame of `model` laid out as `layout` on `lanes`. */
function frameOf(model: DiagramModel, layout: Layout, lanes: readonly Lane[]): SvgFrame {
  const laneW = lanes.length > 40 ? 40 : lanes.length > 16 ? 70 : 120;
  const k = scale(model, layout.flight);
  const t0 = Number.isFinite(model.span.min) ? model.span.min : 0;
  const top = STYLE.header + 40, left = STYLE.axis;
  const x = (lane: number) => left + laneW * (lane + 0.5);
  const y = (t: number) => top + (t - t0) * k;
  const width = Math.max(left + laneW * Math.max(lanes.length, 1) + 20, 760);
  const height = y(Number.isFinite(model.span.max) ? model.span.max : 0) + 40;
  return { model, layout, lanes, laneW, k, t0, top, left, width, height, x, y };
}

/** The document's opening: size, styles, arrow head, title and caption. */
function svgHead(f: SvgFrame, options: DiagramOptions, out: TextSink): void {
  const { model, width, height, left } = f;
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r1(width)}" height="${r1(height)}" ` +
      `viewBox="0 0 ${r1(width)} ${
        r1(height)
      }" font-family="system-ui, sans-serif" font-size="11">`,
    `<style>.msg line{stroke-width:1.4}.msg.retransmit line{stroke-dasharray:6 3}` +
      `.msg.duplicate line{stroke-dasharray:2 3}.msg.control line{stroke-dasharray:1 3;stroke-width:1}` +
      `.lbl{fill:#2d3748;paint-order:stroke;stroke:#fff;stroke-width:3px}` +
      `.stub line{opacity:.45}.msg:hover line{stroke-width:3}.msgs{stroke-width:1.2}` +
      `.msgs.retransmit{stroke-dasharray:6 3}.msgs.duplicate{stroke-dasharray:2 3}` +
      `.msgs.control{stroke-dasharray:1 3;stroke-width:1}.stubs{opacity:.45}</style>`,
    `<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" ` +
      `markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" ` +
      `fill="context-stroke"/></marker></defs>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="22" font-size="15" font-weight="600">${
      esc(options.title ?? "archlab run")
    }</text>`,
    `<text x="${left}" y="40" fill="#4a5568">time flows down, ${
      options.clock === "wall" ? "wall-clock" : "virtual"
    } ms; ${model.events} events, ${model.transmissions.length} messages on the wire${
      f.layout.arrows.length > SVG_ARROWS_ONE_BY_ONE
        ? ", grouped by lanes (details: diagram.html)"
        : ""
    }</text>`,
  );
}

/** Machines (shaded, named) and their lanes (named). */
function svgLanes(f: SvgFrame, out: TextSink): void {
  const { lanes, left, laneW, height, x } = f;
  let mi = 0;
  for (let i = 0; i < lanes.length;) {
    let j = i;
    while (j < lanes.length && lanes[j].machine === lanes[i].machine) j++;
    const fill = STYLE.machine[mi++ % STYLE.machine.length];
    out.push(
      `<rect class="machine" x="${r1(left + laneW * i + 2)}" y="${STYLE.header - 14}" width="${
        r1(laneW * (j - i) - 4)
      }" height="${r1(height - STYLE.header + 4)}" fill="${fill}" rx="4"/>`,
      `<text x="${r1(left + laneW * (i + (j - i) / 2))}" y="${STYLE.header - 2}" ` +
        `text-anchor="middle" font-weight="600">${esc(lanes[i].machine)}</text>`,
    );
    i = j;
  }
  lanes.forEach((lane, i) => {
    const name = lane.label.replace(`@${lane.machine}`, "");
    out.push(
      `<text class="lane" x="${r1(x(i))}" y="${STYLE.header + 16}" text-anchor="middle">` +
        `<title>${esc(lane.label)}</title>${
          esc(name.length > laneW / 6 ? name.slice(0, Math.floor(laneW / 6) - 1) + "…" : name)
        }</text>`,
    );
  });
}

/** The time axis: a rule and a label every nice step. */
function svgAxis(f: SvgFrame, out: TextSink): void {
  const { model, left, width, k, t0, y } = f;
  const step = niceStep(60 / k);
  for (let t = Math.ceil(t0 / step) * step; t <= model.span.max; t += step) {
    out.push(
      `<line x1="${left - 6}" x2="${r1(width - 20)}" y1="${r1(y(t))}" y2="${r1(y(t))}" ` +
        `stroke="#edf2f7"/><text x="${left - 8}" y="${r1(y(t) + 4)}" text-anchor="end" ` +
        `fill="#718096">${r1(t)}</text>`,
    );
  }
}

/** Partitions across the drawing, blocked and waiting intervals on a lane. */
function svgBands(f: SvgFrame, out: TextSink): void {
  const { layout, left, width, x, y } = f;
  for (const b of layout.bands) {
    const h = Math.max(y(b.end) - y(b.t0), 2);
    if (b.lane < 0) {
      out.push(
        `<g class="band partition"><rect x="${left}" y="${r1(y(b.t0))}" width="${
          r1(width - left - 20)
        }" height="${r1(h)}" fill="${STYLE.partition}"><title>partition ${esc(b.note)}</title>` +
          `</rect><text x="${r1(width - 24)}" y="${r1(y(b.t0) + 12)}" text-anchor="end" ` +
          `fill="${STYLE.drop}">partition ${esc(b.note)}</text></g>`,
      );
    } else {
      out.push(
        `<rect class="band ${b.type}" x="${r1(x(b.lane) - 6)}" y="${r1(y(b.t0))}" width="12" ` +
          `height="${r1(h)}" fill="${STYLE[b.type]}"><title>${esc(b.note)}</title></rect>`,
      );
      if (b.type === "blocked" || b.type === "sync") {
        out.push(
          `<text x="${r1(x(b.lane) + 9)}" y="${r1(y(b.t0) + 11)}" fill="${
            b.type === "blocked" ? STYLE.timeout : "#2b6cb0"
          }">${b.type === "blocked" ? "blocked (in doubt)" : "waits (rendezvous)"}</text>`,
        );
      }
    }
  }
}

/** Lifelines, and the epoch of each after a restart. */
function svgLifelines(f: SvgFrame, out: TextSink): void {
  const { layout, x, y } = f;
  for (const l of layout.lifelines) {
    const lx = r1(x(l.lane));
    out.push(
      `<line class="lifeline" x1="${lx}" x2="${lx}" y1="${r1(y(l.t0))}" y2="${r1(y(l.t1))}" ` +
        `stroke="${STYLE.lifeline}" stroke-width="2"/>`,
    );
    if (l.epoch > 1) {
      out.push(
        `<text x="${r1(x(l.lane) + 4)}" y="${r1(y(l.t0) - 3)}" fill="${STYLE.restart}">` +
          `epoch ${l.epoch}</text>`,
      );
    }
  }
}

/** Markers: crashes, exits, timeouts, restarts, timers and log lines. */
function svgMarkers(f: SvgFrame, out: TextSink): void {
  const { layout, x, y } = f;
  for (const m of layout.markers) {
    const mx = x(m.lane), my = y(m.t);
    const title = `<title>${esc(`${m.type} at ${r1(m.t)} ms: ${m.note}`)}</title>`;
    if (m.type === "crash") {
      out.push(
        `<g class="marker crash" stroke="${STYLE.crash}" stroke-width="3">${title}<path d="M${
          r1(mx - 7)
        },${r1(my - 7)}l14,14M${r1(mx + 7)},${r1(my - 7)}l-14,14"/></g>`,
      );
    } else if (m.type === "exit") {
      out.push(
        `<line class="marker exit" x1="${r1(mx - 6)}" x2="${r1(mx + 6)}" y1="${r1(my)}" y2="${
          r1(my)
        }" stroke="#4a5568" stroke-width="2">${title}</line>`,
      );
    } else if (m.type === "timeout") {
      out.push(
        `<g class="marker timeout">${title}<circle cx="${r1(mx)}" cy="${r1(my)}" r="5" ` +
          `fill="#fff" stroke="${STYLE.timeout}" stroke-width="2"/><path d="M${r1(mx)},${
            r1(my - 3)
          }v3h2.5" stroke="${STYLE.timeout}" fill="none"/></g>`,
      );
    } else if (m.type === "restart") {
      out.push(
        `<circle class="marker restart" cx="${r1(mx)}" cy="${
          r1(my)
        }" r="5" fill="${STYLE.restart}">` +
          `${title}</circle>`,
      );
    } else if (m.type !== "spawn") {
      const fill = m.type === "log" ? STYLE.log : STYLE.timer;
      out.push(
        `<circle class="marker ${m.type}" cx="${r1(mx)}" cy="${r1(my)}" r="${
          m.type === "log" ? 2.5 : 2
        }" fill="${fill}">${title}</circle>`,
      );
    }
  }
}

/**
 * Above this many arrows the SVG draws them aggregated ({@link svgArrowGroups}): a browser
 * drawing 20,000 elements each with its tooltip is slow, and the file gets big.
 */
export const SVG_ARROWS_ONE_BY_ONE = 2000;

/** Every message copy's arrow, with its tooltip, fate mark and label; grouped when many. */
function svgArrows(f: SvgFrame, out: TextSink): void {
  const { model, layout } = f;
  if (layout.arrows.length > SVG_ARROWS_ONE_BY_ONE) return svgArrowGroups(f, out);
  const withVc = model.processes.length <= 24 && model.transmissions.length <= 3000;
  const labels = layout.arrows.length <= 300;
  for (const a of layout.arrows) svgArrow(f, a, { withVc, labels }, out);
}

/** The arrows of one group: one lane pair, copy, fate and colour. */
interface ArrowGroup {
  readonly cls: string;
  readonly color: string;
  readonly what: string;
  d: string;
  n: number;
}

/**
 * The arrows of a large run, aggregated: every arrow between the same two lanes with the same
 * copy, fate and colour is a segment of one `<path>` (class `msgs`, its count and what it holds
 * in its tooltip), the drop crosses one path (class `drop-marks`), the suppressed copies' marks
 * another; per-message details are in the HTML viewer.
 */
function svgArrowGroups(f: SvgFrame, out: TextSink): void {
  const { layout, laneW, x, y, lanes } = f;
  const groups = new Map<string, ArrowGroup>();
  let drops = "", suppressed = "", nDrops = 0, nSuppressed = 0;
  const r = Math.round;
  for (const a of layout.arrows) {
    const tx = a.tx;
    const fx = a.from >= 0 ? x(a.from) : x(a.to) - laneW * 0.6;
    const full = a.to >= 0 ? x(a.to) : fx + laneW * 0.6;
    const tox = a.from === a.to ? fx + 14 : fx + (full - fx) * a.reach;
    const y0 = y(a.t0), y1 = Math.max(y(a.t1), y0 + (a.from === a.to ? 6 : 0));
    const stub = a.from < 0 || a.to < 0;
    const color = stub
      ? "#cbd5e0"
      : tx.control
      ? STYLE.control
      : tx.outcome === "dropped"
      ? STYLE.drop
      : tx.outcome === "suppressed"
      ? STYLE.suppressed
      : kindColor(tx.kind);
    const key = `${a.from} ${a.to} ${tx.outcome} ${tx.copy} ${tx.control} ${color}`;
    let g = groups.get(key);
    if (g === undefined) {
      const name = (lane: number) => lane < 0 ? "(hidden)" : lanes[lane].label;
      g = {
        cls: `${stub ? "stubs" : "msgs"} ${tx.outcome} ${tx.copy}${tx.control ? " control" : ""}`,
        color,
        what: `${tx.outcome} ${tx.copy}, ${name(a.from)} -> ${name(a.to)}`,
        d: "",
        n: 0,
      };
      groups.set(key, g);
    }
    g.d += `M${r(fx)} ${r(y0)}L${r(tox)} ${r(y1)}`;
    g.n++;
    if (stub) continue;
    if (tx.outcome === "dropped") {
      drops += `M${r(tox - 5)} ${r(y1 - 5)}l10 10m0-10l-10 10`;
      nDrops++;
    } else if (tx.outcome === "suppressed") {
      suppressed += `M${r(tox - 4)} ${r(y1)}a4 4 0 1 0 8 0a4 4 0 1 0-8 0`;
      nSuppressed++;
    }
  }
  for (const g of groups.values()) {
    out.push(
      `<path class="${g.cls}" data-count="${g.n}" d="${g.d}" stroke="${g.color}" fill="none">` +
        `<title>${g.n} x ${esc(g.what)}</title></path>`,
    );
  }
  if (nDrops > 0) {
    out.push(
      `<path class="drop-marks" data-count="${nDrops}" d="${drops}" stroke="${STYLE.drop}" ` +
        `stroke-width="2.5"><title>${nDrops} dropped</title></path>`,
    );
  }
  if (nSuppressed > 0) {
    out.push(
      `<path class="suppressed-marks" data-count="${nSuppressed}" d="${suppressed}" ` +
        `fill="#fff" stroke="${STYLE.suppressed}" stroke-width="1.5">` +
        `<title>${nSuppressed} suppressed duplicates</title></path>`,
    );
  }
}

/** One arrow: its line, its tooltip, a drop or suppression mark, its label. */
function svgArrow(
  f: SvgFrame,
  a: Arrow,
  show: { readonly withVc: boolean; readonly labels: boolean },
  out: TextSink,
): void {
  const { model, laneW, x, y } = f;
  const { withVc, labels } = show;
  const tx = a.tx;
  const fx = a.from >= 0 ? x(a.from) : x(a.to) - laneW * 0.6;
  const full = a.to >= 0 ? x(a.to) : fx + laneW * 0.6;
  const tox = a.from === a.to ? fx + 14 : fx + (full - fx) * a.reach;
  const y0 = y(a.t0), y1 = Math.max(y(a.t1), y0 + (a.from === a.to ? 6 : 0));
  const stub = a.from < 0 || a.to < 0;
  const color = stub
    ? "#cbd5e0"
    : tx.control
    ? STYLE.control
    : tx.outcome === "dropped"
    ? STYLE.drop
    : tx.outcome === "suppressed"
    ? STYLE.suppressed
    : kindColor(tx.kind);
  const cls = `${a.from < 0 || a.to < 0 ? "stub" : "msg"} ${tx.outcome} ${tx.copy}${
    tx.control ? " control" : ""
  }${tx.lost ? " lost" : ""}`;
  const what = `${tx.kind} ${tx.label !== tx.kind ? tx.label : ""}`.trim();
  const title = `${what}\n${model.processes[tx.from].address} -> ${
    model.processes[tx.to].address
  }\nsent ${r1(tx.t0)} ms, ${
    tx.outcome === "delivered"
      ? `delivered ${r1(tx.t1)} ms (flight ${r1(tx.t1 - tx.t0)} ms)`
      : tx.outcome === "flight"
      ? "still in flight"
      : `${tx.outcome} ${r1(tx.t1)} ms: ${tx.note}`
  }${tx.attempt > 1 ? `\nattempt ${tx.attempt}` : ""}${
    tx.copy === "duplicate" ? "\nduplicate made by the network" : ""
  }\nid ${tx.id}${clockText(model, a, withVc)}`;
  out.push(
    `<g class="${cls}" data-id="${esc(tx.id)}"><title>${esc(title)}</title><line x1="${
      r1(fx)
    }" y1="${r1(y0)}" x2="${r1(tox)}" y2="${r1(y1)}" stroke="${color}"${
      tx.outcome === "delivered" || tx.outcome === "flight" ? ' marker-end="url(#head)"' : ""
    }/>`,
  );
  if (stub) {
    // Traffic with a hidden lane: a faint stub, its fate in the tooltip.
  } else if (tx.outcome === "dropped") {
    if (labels && tx.note && tx.note !== "lost") {
      out.push(
        `<text x="${r1(tox + 8)}" y="${r1(y1 + 4)}" fill="${STYLE.drop}" font-size="10">${
          esc(tx.note.slice(0, 32))
        }</text>`,
      );
    }
    out.push(
      `<path class="drop-mark" d="M${r1(tox - 5)},${r1(y1 - 5)}l10,10M${r1(tox + 5)},${
        r1(y1 - 5)
      }l-10,10" stroke="${STYLE.drop}" stroke-width="2.5"/>`,
    );
  } else if (tx.outcome === "suppressed") {
    out.push(
      `<circle class="suppressed-mark" cx="${r1(tox)}" cy="${r1(y1)}" r="4" fill="#fff" ` +
        `stroke="${STYLE.suppressed}" stroke-width="1.5"/>`,
    );
  }
  if (labels && !tx.control && !stub) {
    const tag = (tx.attempt > 1 ? `↻${tx.attempt} ` : tx.copy === "duplicate" ? "dup " : "") +
      tx.label;
    out.push(
      `<text class="lbl" x="${r1(fx + (tox - fx) * 0.5)}" y="${r1(y0 + (y1 - y0) * 0.5 - 3)}" ` +
        `text-anchor="middle" font-size="10">${esc(tag.slice(0, 28))}</text>`,
    );
  }
  out.push(`</g>`);
}

/**
 * Renders trace events as an SVG space-time diagram.
 *
 * @example One delivered message and one dropped
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSvg } from "./svg.ts";
 * const m = (id: string) => ({ id, from: "a@m1.lab", to: "b@m2.lab", kind: "ping" });
 * const svg = toSvg([
 *   { t: 0, ev: "send", at: "a@m1.lab", ...m("1"), label: "PING" },
 *   { t: 3, ev: "deliver", at: "b@m2.lab", ...m("1") },
 *   { t: 4, ev: "send", at: "a@m1.lab", ...m("2") },
 *   { t: 4, ev: "drop", at: "m1.lab", ...m("2"), note: "lost" },
 * ]);
 * assert.match(svg, /^<svg /);
 * assert.equal(svg.match(/class="msg delivered/g)?.length, 1);
 * assert.equal(svg.match(/class="drop-mark"/g)?.length, 1);
 * ```
 */
export function toSvg(events: readonly DiagramEvent[], options: DiagramOptions = {}): string {
  const out: string[] = [];
  writeSvg(events, out, options);
  return out.join("\n") + "\n";
}

/**
 * Writes the SVG of {@link toSvg} into `out`, element by element (each a part; the document is
 * the parts each followed by a newline).
 *
 * @example Into a byte sink, as the results folder writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { toSvg, writeSvg } from "./svg.ts";
 * import { ByteSink } from "./text_sink.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }];
 * const sink = new ByteSink("\n");
 * writeSvg(events, sink);
 * assert.equal(new TextDecoder().decode(sink.bytes()), toSvg(events));
 * ```
 */
export function writeSvg(
  events: readonly DiagramEvent[],
  out: TextSink,
  options: DiagramOptions = {},
): void {
  const model = new DiagramBuilder().addAll(events);
  const assignment = assignLanes(model.processes, {
    aggregate: options.aggregate,
    hide: options.showControl ? [] : ["ctl.lab"],
  });
  const f = frameOf(model, layoutDiagram(model, assignment), assignment.lanes);
  svgHead(f, options, out);
  svgLanes(f, out);
  svgAxis(f, out);
  svgBands(f, out);
  svgLifelines(f, out);
  svgMarkers(f, out);
  svgArrows(f, out);
  out.push(`</svg>`);
}
