/**
 * Layout of a space-time diagram in lane and time units (no pixels): each transmission becomes
 * an arrow between lanes, each lifetime a lifeline segment, with markers and bands placed on
 * lanes. The SVG writer and the browser viewer scale it to pixels.
 *
 * The function is self-contained (no imports at run time) so the HTML viewer inlines it.
 * @module
 */
import type { LaneAssignment } from "./lanes.ts";
import type { Band, DiagramModel, Marker, Transmission } from "./model.ts";

/** An arrow: a transmission between lanes. */
export interface Arrow {
  /** The transmission drawn. */
  readonly tx: Transmission;
  /** Lane it leaves from; -1 when that lane is hidden. */
  readonly from: number;
  /** Lane it goes to; -1 when that lane is hidden. */
  readonly to: number;
  /** Leaves at, ms. */
  readonly t0: number;
  /** Ends at, ms (for a copy lost in the network: halfway through a typical flight). */
  readonly t1: number;
  /** Fraction of the way to `to` where it ends: 1, or 0.5 for a copy lost in the network. */
  readonly reach: number;
}

/** A stretch of a lane's lifeline. */
export interface Lifeline {
  /** Lane. */
  readonly lane: number;
  /** Epoch number of the process (1 unless its machine restarted). */
  readonly epoch: number;
  /** From, ms. */
  readonly t0: number;
  /** To, ms (the end of the trace while alive). */
  readonly t1: number;
  /** How it ends: `exit`, `crash` or `""` (still alive). */
  readonly end: "" | "exit" | "crash";
}

/** A diagram laid out in lanes and ms. */
export interface Layout {
  /** Message arrows with at least one visible end, in order of sending. */
  readonly arrows: Arrow[];
  /** Lifeline stretches. */
  readonly lifelines: Lifeline[];
  /** Markers on visible lanes, with their lane. */
  readonly markers: (Marker & { readonly lane: number })[];
  /** Bands with their lane (-1: across the diagram); open ones end at the trace's end. */
  readonly bands: (Band & { readonly lane: number; readonly end: number })[];
  /** Typical flight time of a delivered message, ms (median). */
  readonly flight: number;
}

/**
 * Lays out `model` on the lanes of `assignment`.
 *
 * @example A delivered and a lost message
 * ```ts
 * import assert from "node:assert/strict";
 * import { DiagramBuilder } from "./builder.ts";
 * import { assignLanes } from "./lanes.ts";
 * import { layoutDiagram } from "./layout.ts";
 * const b = new DiagramBuilder();
 * const m = (id: string) => ({ id, from: "a@m1.lab", to: "b@m2.lab", kind: "x" });
 * b.add({ t: 0, ev: "send", at: "a@m1.lab", ...m("1") });
 * b.add({ t: 4, ev: "deliver", at: "b@m2.lab", ...m("1") });
 * b.add({ t: 5, ev: "send", at: "a@m1.lab", ...m("2") });
 * b.add({ t: 5, ev: "drop", at: "m1.lab", ...m("2"), note: "lost" });
 * const { arrows } = layoutDiagram(b.model, assignLanes(b.model.processes));
 * assert.deepEqual(arrows.map((a) => [a.from, a.to, a.t0, a.t1, a.reach]), [[0, 1, 0, 4, 1], [0, 1, 5, 7, 0.5]]);
 * ```
 */
export function layoutDiagram(model: DiagramModel, assignment: LaneAssignment): Layout {
  const { laneOf, lanes } = assignment;
  const end = Number.isFinite(model.span.max) ? model.span.max : 0;
  const flights: number[] = [];
  for (const tx of model.transmissions) {
    if (tx.outcome === "delivered" && !tx.untraced) flights.push(tx.t1 - tx.t0);
  }
  flights.sort((a, b) => a - b);
  const flight = flights.length > 0 ? Math.max(flights[flights.length >> 1], 0.001) : 1;
  const arrows: Arrow[] = [];
  for (const tx of model.transmissions) {
    const from = laneOf[tx.from], to = laneOf[tx.to];
    if (from < 0 && to < 0) continue;
    const open = tx.outcome === "flight";
    arrows.push({
      tx,
      from,
      to,
      t0: tx.t0,
      t1: tx.lost ? tx.t0 + flight / 2 : open ? Math.max(end, tx.t0) : tx.t1,
      reach: tx.lost ? 0.5 : 1,
    });
  }
  const lifelines: Lifeline[] = [];
  lanes.forEach((lane, index) => {
    const stretches = lane.members.flatMap((p) => model.processes[p].epochs)
      .map((e) => ({ epoch: e.n, t0: e.t0, t1: Number.isNaN(e.t1) ? end : e.t1, end: e.end }))
      .sort((a, b) => a.t0 - b.t0);
    let cur: (typeof stretches)[number] | undefined;
    for (const s of stretches) {
      if (cur && lane.members.length > 1 && s.t0 <= cur.t1) {
        if (s.t1 >= cur.t1) {
          cur.t1 = s.t1;
          cur.end = s.end;
        }
        continue;
      }
      if (cur) lifelines.push({ lane: index, ...cur });
      cur = { ...s };
    }
    if (cur) lifelines.push({ lane: index, ...cur });
  });
  const markers = model.markers.filter((m) => laneOf[m.proc] >= 0)
    .map((m) => ({ ...m, lane: laneOf[m.proc] }));
  const bands = model.bands.filter((b) => b.proc < 0 || laneOf[b.proc] >= 0)
    .map((b) => ({
      ...b,
      lane: b.proc < 0 ? -1 : laneOf[b.proc],
      end: Number.isNaN(b.t1) ? end : b.t1,
    }));
  return { arrows, lifelines, markers, bands, flight };
}
