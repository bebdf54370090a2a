/**
 * `deno task lab spmd -n 4 program.ts`: runs n ranks of the same program, each its own OS
 * process on 127.0.0.1 (as `mpiexec -n 4` does), or in the simulator with `--sim`. The program's
 * default export is `async function (comm) { ... }` and gets a `Communicator` (rank, size,
 * send/recv, barrier, bcast, scatter, gather, allgather, reduce, allreduce).
 * @module
 */
import { DELAY_DEFAULT, delayTimeout, shortestRoundTrip, timeoutNote } from "../_delay_timeouts.ts";
import type { TransportName } from "../../core/network/host_network.ts";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { TimeoutError } from "../../core/errors.ts";
import { AuthStage } from "../../core/auth/auth_stage.ts";
import { Simulator } from "../../core/simulator/simulator.ts";
import type { Trace, TraceEvent } from "../../core/trace.ts";
import {
  loadSpmdMain,
  rankAddress,
  type SpmdMain,
  spmdRank,
  type SpmdReport,
} from "../../peers/spmd.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  intFlag,
  narrate,
  openCommand,
  saveTrace,
  type Summary,
  table,
  UsageError,
} from "../_common.ts";
import {
  CONTROL_MACHINE,
  deploy,
  deployOptions,
  keepTrace,
  type MachineSpec,
  replayCommand,
} from "../deploy/deploy.ts";
import { keepSummary } from "../results/session.ts";
import { lostFields, printPartial, runUnlessLost } from "../deploy/lost_run.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import { howDied, type MachineLoss, MachineLostError } from "../deploy/run_errors.ts";

const USAGE = `Usage: deno task lab spmd -n N [flags] PROGRAM.ts

Runs N ranks of the same program (SPMD), as mpiexec does. PROGRAM.ts exports
\`default async function (comm) { ... }\`; comm.rank and comm.size tell a rank who it is;
comm.send/recv, barrier, bcast, scatter, gather, allgather, reduce and allreduce move data. A
rank's console output is prefixed with its machine (on stderr, so that --json stays alone on
stdout).

Runs on: OS processes over TCP on 127.0.0.1, one per rank (machines rank0.lab, ...) (default),
or the deterministic simulator with --sim.

Examples:
  deno task lab spmd -n 2 examples/waku_waku.ts
  deno task lab spmd -n 4 --sim examples/heat_diffusion.ts
  deno task lab spmd -n 4 --sim --drop 0.2 --trace spmd.mmd examples/heat_diffusion.ts

Flags:
  -n, --np N            number of ranks (default 2)
  --timeout MS          a receive or collective fails after MS ms without the message (default
                        10000 ms, ${DELAY_DEFAULT})
${COMMON_HELP}`;

interface Outcome {
  readonly reports: (SpmdReport | undefined)[];
  readonly trace: Trace;
  readonly frames: number;
  readonly bytes: number;
  readonly transport: "sim" | TransportName;
  /** Machines whose OS process died and were not restarted, and whether that ended the run. */
  readonly lost?: MachineLostError | readonly MachineLoss[];
}

/** Narrates only the program's own messages (point to point and collectives). */
function narrator(quiet: boolean): ((event: TraceEvent) => void) | undefined {
  if (quiet) return undefined;
  return (event) => {
    if (event.ev !== "send" && event.ev !== "drop" && event.ev !== "retransmit") return;
    if (!event.kind?.startsWith("mpi:") && !event.kind?.startsWith("mpi-c")) return;
    const line = narrate(event);
    if (line !== undefined) console.log(line);
  };
}

async function runSim(
  main: SpmdMain,
  n: number,
  timeout: number,
  common: CommonOptions,
): Promise<Outcome> {
  const sim = new Simulator({
    seed: common.seed,
    replay: replayCommand(common.seed),
    reliable: common.reliable,
    drop: common.drop,
    duplicate: common.duplicate,
    reorder: common.reorder,
    latency: common.latency,
    stages: common.auth === undefined
      ? []
      : [new AuthStage({ key: common.auth, encrypt: common.encrypt })],
  });
  const onEvent = narrator(common.quiet);
  if (onEvent) sim.trace.listen(onEvent);
  const ranks = Array.from({ length: n }, (_, i) => rankAddress(i));
  const reports: (SpmdReport | undefined)[] = new Array(n).fill(undefined);
  const fn = spmdRank({ ranks, main, timeout, onReport: (r) => reports[r.rank] = r });
  for (let i = 0; i < n; i++) sim.machine(`rank${i}.lab`).spawn("spmd", fn);
  scheduleFaultFlags(sim, common);
  try {
    await sim.run();
  } catch (error) {
    await keepTrace(sim.trace, common.trace);
    throw error;
  }
  return {
    reports,
    trace: sim.trace,
    frames: sim.stats.frames,
    bytes: sim.stats.bytes,
    transport: "sim",
  };
}

async function runTcp(
  url: string,
  n: number,
  timeout: number,
  common: CommonOptions,
): Promise<Outcome> {
  const ranks = Array.from({ length: n }, (_, i) => rankAddress(i));
  const collector = `collector@${CONTROL_MACHINE}`;
  const machines: MachineSpec[] = ranks.map((_, i) => ({
    name: `rank${i}.lab`,
    processes: [{
      name: "spmd",
      program: "spmd-rank",
      args: { ranks, module: url, timeout, collector },
    }],
  }));
  const deployment = await deploy(machines, deployOptions(common, narrator(common.quiet)));
  const reports: (SpmdReport | undefined)[] = new Array(n).fill(undefined);
  try {
    scheduleFaultFlags(deployment, common);
    const done = Promise.withResolvers<void>();
    /** Ranks whose machine died (`kill -9`): they owe no report. */
    const losses: MachineLoss[] = [];
    deployment.spawnControl("collector", async (ctx) => {
      // A rank that died never reports; the others fail within twice the timeout and do.
      let missing = n;
      while (missing > losses.length) {
        try {
          const env = await ctx.receive<SpmdReport>({ kind: "report", timeout: 3 * timeout });
          if (reports[env.body.rank] === undefined) missing--;
          reports[env.body.rank] = env.body;
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          break;
        }
      }
      done.resolve();
    });
    deployment.onLost?.((loss) => losses.push(loss));
    const lost = await runUnlessLost(deployment, done.promise);
    await saveTrace(deployment.trace, common);
    const stats = deployment.stats();
    return {
      reports: [...reports],
      trace: deployment.trace,
      frames: stats.frames,
      bytes: stats.bytes,
      transport: deployment.transport,
      lost: lost ?? losses,
    };
  } finally {
    await deployment.stop();
  }
}

/** What the flags ask for: the program and how many ranks run it. */
interface SpmdPlan {
  readonly common: CommonOptions;
  readonly n: number;
  readonly timeout: number;
  /** The program's path as given, its URL, and its main function. */
  readonly program: string;
  readonly url: string;
  readonly main: SpmdMain;
}

/** Runs the SPMD launcher; returns the exit code (1 when a rank failed or never reported). */
export async function runSpmd(args: string[]): Promise<number> {
  const plan = await parseSpmd(args);
  if (plan === undefined) return 0;
  const { common, n, timeout } = plan;
  if (!common.quiet) {
    console.log(
      `spmd: ${n} rank${n === 1 ? "" : "s"} of ${plan.program}, ${
        common.sim
          ? `simulator (seed ${common.seed})`
          : `OS processes over ${common.transport.toUpperCase()} on 127.0.0.1`
      }`,
    );
  }
  const started = performance.now();
  const outcome = common.sim
    ? await runSim(plan.main, n, timeout, common)
    : await runTcp(plan.url, n, timeout, common);
  if (common.sim) await saveTrace(outcome.trace, common);
  const wallMs = performance.now() - started;
  const summary = spmdSummary(plan, outcome);
  keepSummary(summary);
  if (common.json) {
    console.log(JSON.stringify(summary));
  } else {
    for (const failure of summary.failures) console.error(failure);
    if (!common.quiet) printSpmd(plan, summary, outcome.frames, wallMs);
    const note = timeoutNote("timeout", timeout, shortestRoundTrip(common.latency), "receive");
    if (note !== undefined && summary.failures.length > 0) console.error(note);
  }
  return summary.failures.length > 0 ? 1 : 0;
}

/** Reads the flags and loads the program; `undefined` when `--help` was printed. */
async function parseSpmd(args: string[]): Promise<SpmdPlan | undefined> {
  const opened = openCommand(args, {
    ...COMMON_FLAGS,
    np: { type: "string", short: "n" },
    timeout: { type: "string" },
  }, USAGE);
  if (opened === undefined) return undefined;
  const { values, positionals, common } = opened;
  const n = intFlag("np", values.np, 2, USAGE, 1);
  checkFaultTargets(common, Array.from({ length: n }, (_, i) => `rank${i}.lab`), USAGE);
  // A message a rank waits for may follow a collective: up to 4 one-way trips.
  const timeout = intFlag(
    "timeout",
    values.timeout,
    delayTimeout(10_000, common.latency, 4),
    USAGE,
    1,
  );
  if (positionals.length !== 1) {
    throw new UsageError(
      `Cannot run spmd: give exactly one program file, not ${JSON.stringify(positionals)}`,
      USAGE,
    );
  }
  const path = resolve(positionals[0]);
  try {
    if (!(await Deno.stat(path)).isFile) throw new Error("not a file");
  } catch {
    throw new UsageError(
      `Cannot run spmd: program "${positionals[0]}" is not a readable file`,
      USAGE,
    );
  }
  const url = pathToFileURL(path).href;
  try {
    return { common, n, timeout, program: positionals[0], url, main: await loadSpmdMain(url) };
  } catch (error) {
    throw new UsageError((error as Error).message, USAGE);
  }
}

/** The `--json` object: what each rank returned, and which failed. */
function spmdSummary(plan: SpmdPlan, outcome: Outcome): Summary & { failures: string[] } {
  let messages = 0;
  for (const e of outcome.trace.events) {
    if (e.ev === "send" && (e.kind?.startsWith("mpi:") || e.kind?.startsWith("mpi-c"))) messages++;
  }
  const failures: string[] = [];
  const lost = outcome.lost instanceof MachineLostError ? outcome.lost.lost : outcome.lost ?? [];
  outcome.reports.forEach((r, rank) => {
    const died = lost.find((l) => l.machine === `rank${rank}.lab`);
    if (r === undefined) {
      failures.push(
        `rank ${rank} never reported (${
          died !== undefined
            ? `its machine died at ${died.time.toFixed(0)} ms: ${howDied(died)}`
            : lost.length > 0
            ? `still running when the run ended: ${lost.map((l) => l.machine).join(", ")} died`
            : "its process died?"
        })`,
      );
    } else if (!r.ok) failures.push(`rank ${rank} failed: ${r.error}`);
  });
  return {
    architecture: "spmd",
    transport: outcome.transport,
    seed: plan.common.seed,
    requests: plan.n,
    messages,
    bytes: outcome.bytes,
    latency: { p50: 0, p99: 0 },
    retransmissions: outcome.trace.count("retransmit"),
    errors: failures.length,
    traceDigest: outcome.trace.digest(),
    ranks: plan.n,
    results: outcome.reports.map((r) => r?.result ?? null),
    failures,
    ...lostFields(outcome.lost),
  };
}

/** The table a person reads. */
function printSpmd(plan: SpmdPlan, summary: Summary, frames: number, wallMs: number): void {
  const n = plan.n;
  console.log("");
  const lost = summary.machinesLost as string[] | undefined;
  printPartial({ unfinished: summary.unfinished as string[] | undefined });
  console.log(table([
    ["ranks", `${n} (${n - summary.errors} finished)`],
    ["transport", summary.transport],
    ["messages", `${summary.messages} (program and collectives; frames on the wire ${frames})`],
    ["retransmissions", summary.retransmissions],
    ...(lost === undefined ? [] : [["machines lost", lost.join(", ")] as [string, string]]),
    ["wall time", `${wallMs.toFixed(0)} ms`],
  ]));
  if (plan.common.trace) console.log(`trace written to ${plan.common.trace}`);
}
