/**
 * `deno task lab serve [DIR]`: serves the results folders that `--out` and `--artifacts` wrote
 * (default `runs/`) on 127.0.0.1, with an index of runs (architecture, seed, flags, verdict,
 * time, links to every artifact), until Ctrl-C.
 * @module
 */
import { intFlag, openFlags, UsageError } from "../_common.ts";
import { RUNS_DIR } from "../results/out_dir.ts";
import { serveRuns } from "../results/serve_runs.ts";

const USAGE = `Usage: deno task lab serve [DIR] [--port N]

Serves the results folders in DIR (default ${RUNS_DIR}/) on 127.0.0.1 until Ctrl-C: an index of
the runs, newest first, with their architecture, seed, flags, verdict and time, and links to
each run's summary.json, run.json, trace.jsonl, diagram.html, diagram.svg, latency.svg and
trace.shiviz. Make results folders with --out DIR or --artifacts on any architecture command.

Runs on: a local HTTP server on 127.0.0.1 (no simulation: it serves files that runs wrote).

Flags:
  --port N              port to listen on (default 0: a free one; the URL is printed)
  -h, --help            this help

Examples:
  deno task lab client-server --sim --drop 0.2 --artifacts
  deno task lab serve                     # then open the printed URL
  deno task lab serve /tmp/results --port 8090`;

/**
 * Runs `lab serve`; returns the exit code (0 after Ctrl-C).
 *
 * @example The help
 * ```ts
 * import assert from "node:assert/strict";
 * import { runServe } from "./command.ts";
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(await runServe(["--help"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export async function runServe(args: string[]): Promise<number> {
  const opened = openFlags(args, {
    help: { type: "boolean", short: "h" },
    port: { type: "string" },
  }, USAGE);
  if (opened === undefined) return 0;
  const { values, positionals } = opened;
  if (positionals.length > 1) {
    throw new UsageError(
      `Cannot serve ${positionals.map((p) => `"${p}"`).join(" and ")}: give one folder`,
      USAGE,
    );
  }
  const dir = (positionals[0] ?? RUNS_DIR).replace(/\/+$/, "") || "/";
  const port = intFlag("port", values.port, 0, USAGE);
  if (port > 65535) throw new UsageError(`Cannot use --port "${port}": give 0..65535`, USAGE);
  try {
    if (!(await Deno.stat(dir)).isDirectory) throw new Error("it is a file, not a folder");
  } catch (error) {
    throw new UsageError(
      `Cannot serve the runs in "${dir}": ${(error as Error).message}; ` +
        "make results folders first with --out DIR or --artifacts, or give their folder",
      USAGE,
    );
  }
  const server = serveRuns(dir, { port });
  // The listeners are in place before the URL invites Ctrl-C.
  const interrupted = new Promise<void>((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
  console.log(`serving the runs in ${dir}/ at ${server.url}  (Ctrl-C to stop)`);
  await interrupted;
  await server.close();
  return 0;
}
