/**
 * The frame every architecture command shares: deploy, narrate, apply fault flags, run the
 * workload until its collector has every report, then write the trace and stop the machines.
 * @module
 */
import type { Trace, TraceEvent } from "../core/trace.ts";
import { type CommonOptions, narrate, writeTrace } from "./_common.ts";
import { deploy, type Deployment, deployOptions, type MachineSpec } from "./deploy.ts";

/** What a finished run hands back. */
export interface RunOutcome<R> {
  /** The reports the collector gathered. */
  readonly reports: R[];
  /** The merged trace. */
  readonly trace: Trace;
  /** Network counters. */
  readonly stats: { frames: number; bytes: number; acks: number };
  /** Where it ran. */
  readonly transport: "sim" | "tcp";
  /** Wall-clock ms the run took. */
  readonly wallMs: number;
}

/**
 * Deploys `machines`, collects `expected` reports of kind `"report"` on `collector@ctl.lab`,
 * and stops everything (also when the run fails).
 */
export async function runWorkload<R>(
  machines: readonly MachineSpec[],
  common: CommonOptions,
  expected: number,
  options: { collector?: string; until?: number } = {},
): Promise<RunOutcome<R>> {
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
    const done = Promise.withResolvers<void>();
    if (expected === 0) done.resolve();
    deployment.spawnControl(options.collector ?? "collector", async (ctx) => {
      while (reports.length < expected) {
        const message = await ctx.receive<R>({ kind: "report" });
        reports.push(message.body);
      }
      done.resolve();
    });
    await deployment.run(done.promise, { until: options.until });
    const trace = deployment.trace;
    if (common.trace) {
      await writeTrace(trace, common.trace, { clock: common.sim ? "virtual" : "wall" });
    }
    return {
      reports,
      trace,
      stats: deployment.stats(),
      transport: deployment.transport,
      wallMs: performance.now() - started,
    };
  } finally {
    await deployment.stop();
  }
}
