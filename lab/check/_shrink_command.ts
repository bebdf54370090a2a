/**
 * `lab check --shrink`: a failing simulated run reduced to a minimal fault schedule and workload
 * that still fail the same way (the first anomaly's type), under the same seed, printed as the
 * flags that replay it.
 * @module
 */
import type { ProcessFn } from "../../core/process.ts";
import type { CrashSpec, PartitionSpec } from "../_fault_flags.ts";
import { type Fault, faultFlags, type FrameFault, splitFaults } from "../shrink/fault_schedule.ts";
import { labCommandLine, withoutFlags, withoutViewFlags } from "../_flags.ts";
import { shrink } from "../shrink/shrink.ts";
import type { NemesisEvent } from "./nemesis.ts";
import { buildReport } from "./report.ts";
import { simulateCheck, type SimulateOptions } from "./simulate.ts";
import type { Workload } from "./workload.ts";

/** Flags of shrinking. */
export const SHRINK_FLAGS = {
  shrink: { type: "boolean" },
  "frame-faults": { type: "string" },
} as const;

/** What shrinking found. */
export interface ShrinkOutcome {
  /** The minimal schedule. */
  readonly faults: readonly Fault[];
  /** The faults the failing run had. */
  readonly from: { readonly faults: number; readonly ops?: number; readonly concurrency: number };
  /** Operations and clients of the minimal run. */
  readonly ops?: number;
  /** Clients of the minimal run. */
  readonly concurrency: number;
  /** The anomaly type every candidate had to keep. */
  readonly anomaly: string;
  /** Runs it took. */
  readonly tests: number;
  /** Whether no single fault or operation can be removed (no budget ran out). */
  readonly minimal: boolean;
  /** The flags that replay the minimal run (with the command's other flags). */
  readonly flags: readonly string[];
  /** The whole command. */
  readonly command: string;
}

function nemesisFaults(events: readonly NemesisEvent[]): Fault[] | undefined {
  const faults: Fault[] = [];
  for (const e of events) {
    if (e.kind === "partition") {
      const spec: PartitionSpec = {
        a: [...e.machines],
        b: [...(e.others ?? [])],
        oneWay: false,
        at: e.at,
        until: e.until,
      };
      faults.push({ kind: "partition", spec });
    } else if (e.kind === "crash") {
      const spec: CrashSpec = { machine: e.machines[0], at: e.at, restartAt: e.until };
      faults.push({ kind: "crash", spec });
    } else return undefined;
  }
  return faults;
}

/** Shrinks a failing `lab check` run; `options` are the failing run's. */
export async function shrinkCheck(
  node: ProcessFn,
  workload: Workload,
  options: SimulateOptions,
  context: { readonly args: readonly string[]; readonly anomaly: string },
): Promise<ShrinkOutcome> {
  const still = async (o: SimulateOptions) => {
    const run = await simulateCheck(node, workload, { ...o, trace: false });
    const report = buildReport(run, workload.name, workload.check(run.history.ops), {
      seed: o.seed ?? 1,
    });
    return { run, fails: report.anomalies.some((a) => a.type === context.anomaly) };
  };
  const recorded: FrameFault[] = [];
  const first = await still({ ...options, recordFaults: recorded });
  let base: SimulateOptions = options;
  let faults: Fault[] = [
    ...recorded,
    ...(options.partitions ?? []).map((spec) => ({ kind: "partition" as const, spec })),
    ...(options.crashes ?? []).map((spec) => ({ kind: "crash" as const, spec })),
  ];
  const windows = nemesisFaults(first.run.nemesis);
  const candidate = (c: { faults: readonly Fault[]; sizes: Readonly<Record<string, number>> }) => {
    const { frames, partitions, crashes } = splitFaults(c.faults);
    return {
      ...base,
      frameFaults: frames,
      partitions,
      crashes,
      ops: options.ops === undefined ? undefined : c.sizes.ops,
      concurrency: c.sizes.concurrency,
    };
  };
  const concurrency = first.run.clients;
  const sizes: Record<string, number> = { concurrency };
  if (options.ops !== undefined) sizes.ops = options.ops;
  // The nemesis' windows become explicit faults, when the run still fails without it.
  if ((options.nemesis ?? []).length > 0 && windows !== undefined) {
    const explicit = { ...options, nemesis: [] };
    const all = [...faults, ...windows];
    base = explicit;
    if ((await still(candidate({ faults: all, sizes }))).fails) faults = all;
    else base = options;
  }
  const bounds: Record<string, { value: number; min: number }> = {
    concurrency: { value: concurrency, min: 1 },
  };
  if (options.ops !== undefined) bounds.ops = { value: options.ops, min: 1 };
  const result = await shrink(
    { faults, sizes },
    bounds,
    async (c) => (await still(candidate(c))).fails,
  );
  const flags = [
    "--seed",
    String(options.seed ?? 1),
    ...faultFlags(result.faults),
    ...(result.sizes.ops === undefined ? [] : ["--ops", String(result.sizes.ops)]),
    "--concurrency",
    String(result.sizes.concurrency),
  ];
  return {
    faults: result.faults,
    from: { faults: faults.length, ops: options.ops, concurrency },
    ops: result.sizes.ops,
    concurrency: result.sizes.concurrency,
    anomaly: context.anomaly,
    tests: result.tests + 1,
    minimal: result.minimal,
    flags,
    command: replayCommand(context.args, flags, base !== options),
  };
}

/**
 * The command that replays the shrunk run: the original arguments, less those the shrunk
 * `flags` replace (and `--nemesis` when its windows became explicit faults), then `flags`.
 */
function replayCommand(
  args: readonly string[],
  flags: readonly string[],
  withoutNemesis: boolean,
): string {
  const valued = [
    "seed",
    "partition",
    "crash",
    "frame-faults",
    "ops",
    "concurrency",
    "trace",
    "svg",
  ];
  if (withoutNemesis) valued.push("nemesis");
  const kept = withoutFlags(withoutViewFlags(args), valued, ["shrink", "json"]);
  return labCommandLine(["check", ...kept, ...flags]);
}

/** The outcome for a person. */
export function formatShrink(outcome: ShrinkOutcome): string {
  const lines = [
    `shrunk to ${outcome.faults.length} fault(s) (from ${outcome.from.faults})` +
    (outcome.ops === undefined ? "" : `, ${outcome.ops} operation(s) (from ${outcome.from.ops})`) +
    `, ${outcome.concurrency} client(s) (from ${outcome.from.concurrency}), still ` +
    `${outcome.anomaly}, in ${outcome.tests} runs` +
    (outcome.minimal ? "; no single fault or operation can be removed" : " (budget ran out)"),
  ];
  for (const f of outcome.faults) {
    if (f.kind === "partition") {
      const p = f.spec;
      lines.push(
        `  partition ${p.a.join(",")}${p.oneWay ? "->" : "|"}${p.b.join(",")} ${p.at}..${
          p.until ?? ""
        } ms`,
      );
    } else if (f.kind === "crash") {
      lines.push(
        `  crash ${f.spec.machine} at ${f.spec.at} ms${
          f.spec.restartAt === undefined ? "" : `, restart at ${f.spec.restartAt} ms`
        }`,
      );
    } else lines.push(`  ${f.kind} ${f.frame}`);
  }
  lines.push(`replay the minimal failure: ${outcome.command}`);
  return lines.join("\n");
}
