/**
 * Writes a run's results folder: `summary.json` (the `--json` object), `run.json` (what ran:
 * command, flags, seed, verdict, time, files), and from the trace `trace.jsonl`, `diagram.html`,
 * `diagram.svg`, `latency.svg` and `trace.shiviz` (a ShiViz log).
 * @module
 */
import { wallClock } from "../../core/real_runtime.ts";
import { writeTraceFiles } from "../diagram/trace_file.ts";
import { latencySvg } from "./latency_svg.ts";
import type { RunSession } from "./session.ts";

/** What `run.json` holds: the run as the index of runs lists it. */
export interface RunInfo {
  /** The architecture (the summary's, else the command). */
  readonly architecture: string;
  /** The lab command. */
  readonly command: string;
  /** Its arguments. */
  readonly args: readonly string[];
  /** The seed. */
  readonly seed: number | null;
  /** `sim` or `tcp`, when the summary says. */
  readonly transport: string | null;
  /** `ok`, `errors` (the run found errors), `failed`, `interrupted`. */
  readonly verdict: string;
  /** The lab's exit code. */
  readonly exitCode: number;
  /** When it started, ISO 8601. */
  readonly startedAt: string;
  /** Wall time of the run, ms. */
  readonly wallMs: number;
  /** Trace events written. */
  readonly events: number;
  /** The files of the folder. */
  readonly files: readonly string[];
}

/**
 * The verdict of a run from its exit code and summary.
 *
 * @example Exit codes
 * ```ts
 * import assert from "node:assert/strict";
 * import { verdictOf } from "./write.ts";
 * assert.equal(verdictOf(0, {}), "ok");
 * assert.equal(verdictOf(1, { errors: 3 }), "errors");
 * assert.equal(verdictOf(1, undefined), "failed");
 * assert.equal(verdictOf(130, undefined), "interrupted");
 * ```
 */
export function verdictOf(code: number, summary: Record<string, unknown> | undefined): string {
  if (code === 0) return "ok";
  if (code === 130) return "interrupted";
  return summary !== undefined ? "errors" : "failed";
}

/** The trace artifacts, by file name (the extension chooses the format). */
const TRACE_FILES = ["trace.jsonl", "diagram.html", "diagram.svg", "trace.shiviz"] as const;

/**
 * Writes the results folder of `session` into `dir`; returns what `run.json` says.
 *
 * @example A run without a trace still has its summary and run.json
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeResults } from "./write.ts";
 * const dir = await Deno.makeTempDir();
 * const info = await writeResults(dir, {
 *   command: "describe", args: [], startedAt: new Date(), summary: { architecture: "describe" },
 * }, 0);
 * assert.deepEqual(info.files, ["summary.json", "run.json"]);
 * assert.equal(JSON.parse(await Deno.readTextFile(`${dir}/run.json`)).verdict, "ok");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeResults(
  dir: string,
  session: RunSession,
  exitCode: number,
): Promise<RunInfo> {
  const files: string[] = [];
  const writes: Promise<void>[] = [];
  // Each file is written while the next one renders.
  const write = (name: string, text: string) => {
    writes.push(Deno.writeTextFile(`${dir}/${name}`, text));
    files.push(name);
  };
  if (session.summary !== undefined) {
    write("summary.json", JSON.stringify(session.summary, null, 2) + "\n");
  }
  const trace = session.trace;
  if (trace !== undefined) {
    const title = `deno task lab ${[session.command, ...session.args].join(" ")}`;
    const options = { title, clock: trace.clock };
    // Rendered now (the per-event formats in one pass over the events), written meanwhile.
    writes.push(
      writeTraceFiles(trace.events, TRACE_FILES.map((name) => `${dir}/${name}`), options),
    );
    files.push(...TRACE_FILES);
    const unit = trace.clock === "wall" ? "wall ms" : "virtual ms";
    write("latency.svg", latencySvg(trace.events, { title, unit }));
  }
  const summary = session.summary;
  const info: RunInfo = {
    architecture: typeof summary?.architecture === "string"
      ? summary.architecture
      : session.command,
    command: session.command,
    args: session.args,
    seed: typeof summary?.seed === "number" ? summary.seed : session.seed ?? null,
    transport: typeof summary?.transport === "string" ? summary.transport : null,
    verdict: verdictOf(exitCode, summary),
    exitCode,
    startedAt: session.startedAt.toISOString(),
    wallMs: wallClock() - session.startedAt.getTime(),
    events: trace?.events.length ?? 0,
    files: [...files, "run.json"],
  };
  write("run.json", JSON.stringify(info, null, 2) + "\n");
  await Promise.all(writes);
  return info;
}
