/**
 * `deno task lab three-tier`: presentation (Hono HTTP) on `web.lab`, business logic with a
 * bounded connection pool on `logic.lab`, data access on `data.lab` (SQLite, or PostgreSQL
 * given `--db postgres://...`), each its own machine (an OS process by default, or all in the
 * simulator with `--sim`). It prints the URL to open, runs users with think time against the
 * presentation, and reports the latency each tier adds and the messages one user request costs.
 * @module
 */
import { delayTimeout, shortestRoundTrip, timeoutNote } from "../_delay_timeouts.ts";
import { dirname } from "node:path";
import type { TraceEvent } from "../../core/trace.ts";
import {
  PostgresConnectError,
  redactPostgresUrl,
} from "../../tiers/three_tier/postgres_connection.ts";
import { PostgresLibraryStore } from "../../tiers/three_tier/postgres_library_store.ts";
import { narrate } from "../_common.ts";
import { parseThreeTierArgs, THREE_TIER_USAGE } from "./_flags.ts";
import { threeTierMachines } from "./_machines.ts";
import { driveThreeTier } from "./_run.ts";
import { printThreeTier } from "./_summary.ts";
import { deploy, deployOptions } from "../deploy/deploy.ts";

export {
  DATA,
  LOGIC,
  POOL,
  PRESENTATION,
  THREE_TIER_MACHINES,
  threeTierMachines,
  type ThreeTierSettings,
} from "./_machines.ts";
export {
  type AgentOptions,
  fetchAgent,
  findUrl,
  type FindUrlOptions,
  messageAgent,
} from "./_agents.ts";
export { type TierReport, tierReport } from "./_report.ts";

/**
 * Runs the three-tier architecture; returns the exit code.
 *
 * @example Help
 * ```ts
 * import assert from "node:assert/strict";
 * import { runThreeTier } from "./command.ts";
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(await runThreeTier(["--help"]), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export async function runThreeTier(args: string[]): Promise<number> {
  const parsed = parseThreeTierArgs(args);
  if (parsed === "help") {
    console.log(THREE_TIER_USAGE);
    return 0;
  }
  const { common, users, durationMs, poolSize, poolWaitMs, budgetMs, port, cost, dbPath, dbUrl } =
    parsed;
  if (dbUrl !== undefined) {
    // Reach the server (and make the schema) before starting machines: a wrong URL or a server
    // that is down is one clear line, not a data tier failing on its machine.
    try {
      await (await PostgresLibraryStore.connect(dbUrl, { fresh: parsed.fresh })).close();
    } catch (error) {
      if (!(error instanceof PostgresConnectError)) throw error;
      console.error(`archlab: ${error.message}`);
      return 1;
    }
  } else if (!common.sim) {
    await Deno.mkdir(dirname(dbPath), { recursive: true });
    if (parsed.fresh) {
      for (const suffix of ["", "-wal", "-shm"]) await removeIfPresent(dbPath + suffix);
    }
  }
  const say = (line: string) => {
    if (!common.json) console.log(line);
  };
  say(
    `three-tier: ${users} users for ${durationMs} ms, pool of ${poolSize}, ${
      common.sim
        ? `simulator (seed ${common.seed})`
        : `OS processes on 127.0.0.1, database ${
          dbUrl === undefined ? dbPath : redactPostgresUrl(dbUrl)
        }`
    }`,
  );
  let narrated = 0;
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line === undefined || narrated > 60) return;
    console.log(
      ++narrated > 60
        ? "   ... (narration stops here; --trace FILE keeps every event, -q hides this)"
        : line,
    );
  };
  const machines = threeTierMachines({
    sim: common.sim,
    dbPath,
    dbUrl,
    port,
    poolSize,
    poolWaitMs,
    budgetMs,
    dataTimeoutMs: delayTimeout(1000, common.latency),
    cost,
  });
  const started = performance.now();
  const deployment = await deploy(machines, deployOptions(common, onEvent));
  const run = await driveThreeTier(deployment, parsed);
  if (run === undefined) return 0;
  printThreeTier(deployment, { run, args: parsed, started });
  // web-logic and logic-data and back: 4 trips at the least.
  const note = timeoutNote("budget", budgetMs, 2 * shortestRoundTrip(common.latency), "request");
  if (note !== undefined && !common.json) console.log(note);
  // A machine that died for good (`kill -9`) leaves a partial summary: the run failed.
  return run.lost === undefined ? 0 : 1;
}

async function removeIfPresent(path: string): Promise<void> {
  try {
    await Deno.remove(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error; // Nothing to delete.
  }
}
