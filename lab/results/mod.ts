/**
 * Results of lab runs: the results folder (`--out`, `--artifacts`), the latency plot, the run
 * session the commands report to, and what ends a run.
 * @module
 */
export { dropEmptyResults, finishRun } from "./finish.ts";
export {
  type FaultWindow,
  faultWindows,
  type LatencyPoint,
  latencySvg,
  messageLatencies,
} from "./latency_svg.ts";
export { linkLatest, prepareOutDir, runFolderName, RUNS_DIR } from "./out_dir.ts";
export {
  beginSession,
  currentSession,
  endSession,
  keepRunTrace,
  keepSummary,
  liveEvents,
  liveListener,
  type LiveSink,
  type RunSession,
} from "./session.ts";
export { type RunInfo, verdictOf, writeResults } from "./write.ts";
export { livePage, serveLive, startLive } from "./live.ts";
export { LIVE_BATCH, LIVE_FRAME_MS, runLiveSlice, type SliceRunner } from "./live_slice.ts";
export { indexPage, listRuns, type RunEntry, SAFE } from "./runs_index.ts";
export { type RunsServer, serveRuns } from "./serve_runs.ts";
export type { Trace, TraceEvent, TraceEventType, TraceSink } from "../../core/trace.ts";
export type { VectorStamp } from "../../core/vector_stamp.ts";
export type { VectorClock } from "../../core/vector_clock.ts";
export type { RunOptions, RunResult } from "../../core/simulator/simulator_options.ts";
