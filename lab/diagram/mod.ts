/**
 * Space-time diagrams of a trace: a self-contained HTML viewer, a static SVG, and a
 * ShiViz-compatible log; the incremental model and layout they share.
 * @module
 */
export { DiagramBuilder } from "./builder.ts";
export { type Cone, cone, stepClock } from "./clocks.ts";
export { encodeEvents, toHtml } from "./html.ts";
export type { ViewerData, ViewerHandle } from "./_viewer.ts";
export type { ViewerSummary } from "./_viewer_text.ts";
export type { Drawn } from "./_viewer_draw.ts";
export {
  type Aggregation,
  assignLanes,
  type Lane,
  type LaneAssignment,
  type LaneOptions,
} from "./lanes.ts";
export { type Arrow, type Layout, layoutDiagram, type Lifeline } from "./layout.ts";
export type * from "./model.ts";
export { type DiagramOptions, toSvg } from "./svg.ts";
export { SHIVIZ_REGEX, toShiviz } from "./shiviz.ts";
export { renderTrace } from "./trace_file.ts";
export { checkTracePath, TRACE_FORMATS, traceFormat } from "./trace_path.ts";
export type { TraceEvent } from "../../core/trace.ts";
