/**
 * The frame every architecture command shares: deploy, narrate, apply fault flags, run the
 * workload until its collector has every report, then write the trace and stop the machines.
 * A run that cannot finish (the simulation went quiet or hit its limit, Ctrl-C, a machine's OS
 * process died and nothing restarted it) still comes back, with the reports that arrived and a sentence saying why it ended early.
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
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
import { scheduleFaultFlags } from "./_fault_flags.ts";

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
    scheduleFaultFlags(deployment, common);
    const collected: Collected<R, F> = { reports: [], expected, finished: undefined };
    const done = Promise.withResolvers<void>();
    const collector = deployment.spawnControl(
      options.collector ?? "collector",
      collectorProcess(collected, options, done.resolve),
    );
    /** Machines lost so far: a loss reported after the run still counts. */
    const losses: Losses = { lost: [] };
    const end = await runToEnd(deployment, collector, done.promise, {
      until: options.until,
      collected,
      losses,
    });
    const trace = deployment.trace;
    // A run that did not finish keeps its trace for --out; --trace gets only a finished one.
    await saveTrace(trace, end.unfinished === undefined ? common : { ...common, trace: undefined });
    return {
      reports: collected.reports,
      finished: collected.finished,
      trace,
      stats: deployment.stats(),
      transport: deployment.transport,
      wallMs: performance.now() - started,
      unfinished: end.unfinished,
      interrupted: end.interrupted,
      lost: losses.lost,
    };
  } finally {
    await deployment.stop();
  }
}

/** What the collector gathers, read by the run once it ended. */
interface Collected<R, F> {
  /** The reports, in arrival order. */
  readonly reports: R[];
  /** Reports expected. */
  readonly expected: number;
  /** What `finish` returned, once it ran. */
  finished: F | undefined;
}

/**
 * The collector process: takes reports until every one that can still come is in (none from a
 * reporter that died before it reported), runs `finish`, then calls `done`.
 */
function collectorProcess<R, F>(
  collected: Collected<R, F>,
  options: RunWorkloadOptions<F>,
  done: () => void,
): ProcessFn {
  const { reports } = collected;
  return async (ctx) => {
    const reporters = new Set(options.reporters);
    /** Reports that can still come: none from a reporter that died before it reported. */
    let owed = collected.expected;
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
    if (options.finish !== undefined) collected.finished = await options.finish(ctx);
    done();
  };
}

/** How a run ended: why early (if it did), and whether the user interrupted it. */
type RunEnd = Pick<RunOutcome<unknown>, "unfinished" | "interrupted">;

/** The machines lost during a run (replaced by a `MachineLostError`'s list when one ends it). */
interface Losses {
  lost: readonly MachineLoss[];
}

/**
 * Runs the deployment until `done` (telling the collector of each machine lost), and says why
 * it ended early when it did.
 */
async function runToEnd(
  deployment: Deployment,
  collector: string,
  done: Promise<void>,
  options: {
    readonly until?: number;
    readonly collected: Collected<unknown, unknown>;
    readonly losses: Losses;
  },
): Promise<RunEnd> {
  const { losses } = options;
  let notes = 0;
  deployment.onLost?.((loss) => {
    losses.lost = [...losses.lost, loss];
    const note: MachineLostNote = { kind: "machine-lost", machine: loss.machine };
    deployment.spawnControl(`lost-${++notes}`, (ctx) => ctx.send(collector, note));
  });
  const { reports, expected } = options.collected;
  try {
    await deployment.run(done, { until: options.until });
  } catch (error) {
    return endedEarly(error, losses, `${reports.length} of ${expected} reports in`);
  }
  if (losses.lost.length === 0) return { unfinished: undefined, interrupted: false };
  const counted = `${reports.length} of ${expected} reports in`;
  return { unfinished: `${deaths(losses.lost)}, not restarted; ${counted}`, interrupted: false };
}

/** Why a run stopped before every report was in (`counted`: "3 of 4 reports in"); rethrows the rest. */
function endedEarly(error: unknown, losses: Losses, counted: string): RunEnd {
  if (error instanceof RunStalledError) {
    const why = error.reason === "quiet" ? "the simulation went quiet" : "virtual time ran out";
    return {
      unfinished: `${why} at ${error.time.toFixed(0)} ms with ${counted}`,
      interrupted: false,
    };
  }
  if (error instanceof InterruptedError) {
    return {
      unfinished: `interrupted (Ctrl-C) after ${error.time.toFixed(0)} ms with ${counted}`,
      interrupted: true,
    };
  }
  if (error instanceof MachineLostError) {
    losses.lost = error.lost;
    return {
      unfinished: `${deaths(error.lost)}, not restarted; the run ended ${
        (error.time - error.lost[error.lost.length - 1].time).toFixed(0)
      } ms later with ${counted}`,
      interrupted: false,
    };
  }
  throw error;
}
