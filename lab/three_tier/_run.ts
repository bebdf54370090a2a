/**
 * The run of `lab three-tier` on a started deployment: apply the fault flags, then either drive
 * users through the simulator or over real HTTP, or serve until Ctrl-C; always stop the machines.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { PoolStats } from "../../tiers/three_tier/connection_pool.ts";
import { type RequestRecord, runUser } from "../../tiers/three_tier/three_tier_workload.ts";
import { saveTrace } from "../_common.ts";
import { fetchAgent, findUrl, messageAgent } from "./_agents.ts";
import type { ThreeTierArgs } from "./_flags.ts";
import { POOL, THREE_TIER_MACHINES } from "./_machines.ts";
import type { Deployment } from "../deploy/deploy.ts";
import { runUnlessLost } from "../deploy/lost_run.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { MachineLoss, MachineLostError } from "../deploy/run_errors.ts";

/** What the users of one run gathered. */
export interface ThreeTierRun {
  /** One record per user request. */
  readonly records: RequestRecord[];
  /** The connection pool's counters, when the logic tier answered. */
  readonly pool?: PoolStats;
  /** The presentation's URL (real processes). */
  readonly url?: string;
  /** Machines that died for good (`kill -9`), and whether that cut the run short. */
  readonly lost?: MachineLostError | readonly MachineLoss[];
  /** Why the lab stopped the users before `--duration` was up, when it did. */
  readonly stopped?: string;
}

/**
 * Runs the users of `a` against `deployment` (or serves until Ctrl-C with `--serve`, returning
 * `undefined`), writes the trace when asked, and stops the deployment.
 */
export async function driveThreeTier(
  deployment: Deployment,
  a: ThreeTierArgs,
): Promise<ThreeTierRun | undefined> {
  const { common, users, durationMs, thinkMs, budgetMs, serve } = a;
  const say = (line: string) => {
    if (!common.json) console.log(line);
  };
  let run: ThreeTierRun;
  try {
    scheduleFaultFlags(deployment, common);
    if (common.sim) {
      const records = await simLoad(deployment, { users, durationMs, thinkMs, budgetMs });
      run = { records, pool: await poolStats(deployment) };
    } else {
      const url = await findUrl(deployment);
      say(`open ${url}  (JSON API: ${url}api)`);
      say(
        serve
          ? "  it stays up until Ctrl-C (--serve)"
          : "  it lives as long as the run does; to keep it up, run with --serve (until Ctrl-C)",
      );
      if (serve) {
        say("serving until Ctrl-C (or SIGTERM)");
        await untilInterrupted();
        return undefined;
      }
      /** Every record as it is made: a run cut short by a dead machine sums these up. */
      const made: RequestRecord[] = [];
      const losses: MachineLoss[] = [];
      // Without its data tier (dead, not restarted) every request fails: stop the users now
      // rather than let them collect errors until --duration is up.
      const stop = new AbortController();
      deployment.onLost?.((loss) => {
        losses.push(loss);
        if (loss.machine === THREE_TIER_MACHINES.data) stop.abort();
      });
      const { signal } = stop;
      const load = Promise.all(
        Array.from({ length: users }, (_, i) =>
          runUser(
            fetchAgent(url, { seed: common.seed * 1000 + i, timeoutMs: budgetMs + 2000, signal }),
            { user: i + 1, durationMs, thinkMs, onRecord: (record) => made.push(record), signal },
          )),
      );
      const lost = await runUnlessLost(deployment, load);
      run = lost === undefined
        ? {
          records: (await load).flat(),
          pool: await poolStats(deployment),
          url,
          ...(losses.length > 0 ? { lost: losses } : {}),
          ...(signal.aborted ? { stopped: DATA_LOST } : {}),
        }
        : {
          records: [...made],
          url,
          lost,
          ...(lost.lost.some((l) => l.machine === "logic.lab")
            ? {}
            : { pool: await askPool(deployment) }),
        };
    }
    await saveTrace(deployment.trace, common);
  } finally {
    await deployment.stop();
  }
  return run;
}

/** The sentence of a run whose users the lab stopped because the data tier died. */
const DATA_LOST =
  `the data tier (${THREE_TIER_MACHINES.data}) is gone: the lab stopped the users before --duration was up`;

async function simLoad(
  deployment: Deployment,
  load: { users: number; durationMs: number; thinkMs: number; budgetMs: number },
): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const finished: Promise<void>[] = [];
  for (let user = 1; user <= load.users; user++) {
    const done = Promise.withResolvers<void>();
    finished.push(done.promise);
    deployment.spawnControl(`user-${user}`, async (ctx) => {
      const agent = messageAgent(ctx, { timeoutMs: load.budgetMs + 2000 });
      records.push(
        ...await runUser(agent, { user, durationMs: load.durationMs, thinkMs: load.thinkMs }),
      );
      done.resolve();
    });
  }
  await deployment.run(Promise.all(finished));
  return records;
}

async function poolStats(deployment: Deployment): Promise<PoolStats | undefined> {
  const got = askPool(deployment);
  await deployment.run(got);
  return await got;
}

/**
 * Asks the logic tier for the pool's counters (1 s at most). On real sockets the machines run
 * without `run`: a run cut short by a dead machine asks this way.
 */
function askPool(deployment: Deployment): Promise<PoolStats | undefined> {
  const got = Promise.withResolvers<PoolStats | undefined>();
  deployment.spawnControl("stats", async (ctx) => {
    try {
      got.resolve(
        (await ctx.request<PoolStats>(POOL, { kind: "pool-stats" }, { timeout: 1000 })).body,
      );
    } catch (error) {
      // The logic tier is down or cut off: no pool figures.
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      got.resolve(undefined);
    }
  });
  return got.promise;
}

async function untilInterrupted(): Promise<void> {
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  try {
    await stop.promise;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
}
