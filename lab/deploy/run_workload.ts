/**
 * The frame every architecture command shares: deploy, narrate, apply fault flags, run the
 * workload until its collector has every report, then write the trace and stop the machines.
 * A run that cannot finish (the simulation went quiet or hit its limit, Ctrl-C, a machine's OS
 * process died and nothing restarted it) still comes back, with the reports that arrived and a sentence saying why it ended early.
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import type { ProcessContext } from "../../core/process.ts";
import type { Trace, TraceEvent } from "../../core/trace.ts";
import { type CommonOptions, narrate, saveTrace } from "../_common.ts";
import {
  howDied,
  InterruptedError,
  type MachineLoss,
  MachineLostError,
  RunStalledError,
} from "./run_errors.ts";
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
  readonly transport: "sim" | TransportName;
  /** Wall-clock ms the run took. */
  readonly wallMs: number;
  /** Why the run ended before every report arrived; `undefined` when it finished. */
  readonly unfinished?: string;
  /** Whether the user interrupted it (Ctrl-C). */
  readonly interrupted: boolean;
  /** Machines whose OS process died during the run and were not restarted. */
  readonly lost: readonly MachineLoss[];
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
  /**
   * Machines that each send one report: when one of them dies on a real host (`kill -9`) before
   * it reported, the collector stops waiting for its report. @default none
   */
  readonly reporters?: readonly string[];
}

/** Tells the collector that a machine died: it owes no report any more. */
interface MachineLostNote {
  readonly kind: "machine-lost";
  readonly machine: string;
}

/** `m2.lab died at 221 ms (killed by SIGKILL (exit code 137))`, for each machine lost. */
function deaths(lost: readonly MachineLoss[]): string {
  return lost.map((l) => `${l.machine} died at ${l.time.toFixed(0)} ms (${howDied(l)})`)
    .join(", ");
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
    const collector = deployment.spawnControl(options.collector ?? "collector", async (ctx) => {
      const reporters = new Set(options.reporters);
      /** Reports that can still come: none from a reporter that died before it reported. */
      let owed = expected;
      while (reports.length < owed) {
        const message = await ctx.receive<R | MachineLostNote>();
        const body = message.body as { kind?: unknown };
        const from = message.from.slice(message.from.indexOf("@") + 1);
        if (body?.kind === "report") {
          reports.push(message.body as R);
          reporters.delete(from);
        } else if (body?.kind === "machine-lost" && from === ctx.self.split("@")[1]) {
          // A reporter that died owes nothing: the others' reports are all there is to wait for.
          if (reporters.delete((body as MachineLostNote).machine)) owed--;
        }
      }
      if (options.finish !== undefined) finished = await options.finish(ctx);
      done.resolve();
    });
    let unfinished: string | undefined;
    let interrupted = false;
    let lost: readonly MachineLoss[] = [];
    let notes = 0;
    deployment.onLost?.((loss) => {
      lost = [...lost, loss];
      const note: MachineLostNote = { kind: "machine-lost", machine: loss.machine };
      deployment.spawnControl(`lost-${++notes}`, (ctx) => ctx.send(collector, note));
    });
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
      } else if (error instanceof MachineLostError) {
        lost = error.lost;
        unfinished = `${deaths(lost)}, not restarted; the run ended ${
          (error.time - lost[lost.length - 1].time).toFixed(0)
        } ms later with ${reports.length} of ${expected} reports in`;
      } else {
        throw error;
      }
    }
    if (unfinished === undefined && lost.length > 0) {
      unfinished = `${deaths(lost)}, not restarted; ${reports.length} of ${expected} reports in`;
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
      lost,
    };
  } finally {
    await deployment.stop();
  }
}
