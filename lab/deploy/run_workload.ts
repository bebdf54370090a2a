/**
 * The frame every architecture command shares: deploy, narrate, apply fault flags, run the
 * workload until its collector has every report, then write the trace and stop the machines.
 * A run that cannot finish (the simulation went quiet or hit its limit, Ctrl-C) still comes
 * back, with the reports that arrived and a sentence saying why it ended early.
 * @module
 */
import type { ProcessContext } from "../../core/process.ts";
import type { Trace, TraceEvent } from "../../core/trace.ts";
import { type CommonOptions, narrate, saveTrace } from "../_common.ts";
import { InterruptedError, RunStalledError } from "./run_errors.ts";
import { deploy, type Deployment, deployOptions, type MachineSpec } from "./deploy.ts";

/** What a finished run hands back. */
export interface RunOutcome<R, F = undefined> {
  /** The reports the collector gathered. */
  readonly reports: R[];
  /** What the collector's `finish` step returned, when it ran. */
  readonly finished?: F;
  /** The merged trace. */
  readonly trace: Trace;
  /** Network counters. */
  readonly stats: { frames: number; bytes: number; acks: number };
  /** Where it ran. */
  readonly transport: "sim" | "tcp";
  /** Wall-clock ms the run took. */
  readonly wallMs: number;
  /** Why the run ended before every report arrived; `undefined` when it finished. */
  readonly unfinished?: string;
  /** Whether the user interrupted it (Ctrl-C). */
  readonly interrupted: boolean;
}

/** Options of {@link runWorkload}. */
export interface RunWorkloadOptions<F> {
  /** Name of the collector process on `ctl.lab`. @default "collector" */
  readonly collector?: string;
  /** Virtual ms after which a simulated run stops. @default the deployment's limit */
  readonly until?: number;
  /**
   * After the last report, the collector runs this (e.g. asks a server for its counters).
   * @default none
   */
  readonly finish?: (ctx: ProcessContext) => Promise<F>;
}

/**
 * Deploys `machines`, collects `expected` reports of kind `"report"` on `collector@ctl.lab`,
 * and stops everything (also when the run fails).
 */
export async function runWorkload<R, F = undefined>(
  machines: readonly MachineSpec[],
  common: CommonOptions,
  expected: number,
  options: RunWorkloadOptions<F> = {},
): Promise<RunOutcome<R, F>> {
  const onEvent = common.quiet ? undefined : (event: TraceEvent) => {
    const line = narrate(event);
    if (line !== undefined) console.log(line);
  };
  const started = performance.now();
  const deployment: Deployment = await deploy(machines, deployOptions(common, onEvent));
  try {
    for (const p of common.partitions) {
      deployment.partition(p.a, p.b, { at: p.at, until: p.until, oneWay: p.oneWay });
    }
    for (const c of common.crashes) {
      deployment.crash(c.machine, { at: c.at, restartAt: c.restartAt });
    }
    const reports: R[] = [];
    let finished: F | undefined;
    const done = Promise.withResolvers<void>();
    deployment.spawnControl(options.collector ?? "collector", async (ctx) => {
      while (reports.length < expected) {
        const message = await ctx.receive<R>({ kind: "report" });
        reports.push(message.body);
      }
      if (options.finish !== undefined) finished = await options.finish(ctx);
      done.resolve();
    });
    let unfinished: string | undefined;
    let interrupted = false;
    try {
      await deployment.run(done.promise, { until: options.until });
    } catch (error) {
      if (error instanceof RunStalledError) {
        unfinished = `${
          error.reason === "quiet" ? "the simulation went quiet" : "virtual time ran out"
        } at ${error.time.toFixed(0)} ms with ${reports.length} of ${expected} reports in`;
      } else if (error instanceof InterruptedError) {
        unfinished = `interrupted (Ctrl-C) after ${
          error.time.toFixed(0)
        } ms with ${reports.length} of ${expected} reports in`;
        interrupted = true;
      } else {
        throw error;
      }
    }
    const trace = deployment.trace;
    // A run that did not finish keeps its trace for --out; --trace gets only a finished one.
    await saveTrace(trace, unfinished === undefined ? common : { ...common, trace: undefined });
    return {
      reports,
      finished,
      trace,
      stats: deployment.stats(),
      transport: deployment.transport,
      wallMs: performance.now() - started,
      unfinished,
      interrupted,
    };
  } finally {
    await deployment.stop();
  }
}
