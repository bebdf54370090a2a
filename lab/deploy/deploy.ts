/**
 * Deploys an architecture, described as machines running named programs, either inside the
 * deterministic simulator or as real OS processes over TCP on 127.0.0.1. Architecture commands
 * write their topology once and get both.
 * @module
 */
import type { Machine } from "../../core/machine.ts";
import type { Latency } from "../../core/latency.ts";
import type { Address } from "../../core/name.ts";
import type { TransportName } from "../../core/network/host_network.ts";
import type { ProcessFn } from "../../core/process.ts";
import { AuthStage } from "../../core/auth/auth_stage.ts";
import { createRandom } from "../../core/prng.ts";
import { Simulator } from "../../core/simulator/simulator.ts";
import type { Disk } from "../../core/storage/disk.ts";
import { Trace, type TraceEvent } from "../../core/trace.ts";
import { type CommonOptions, frameAuth, type SkewSpec, writeTrace } from "../_common.ts";
import { labCommandLine, withoutFlags, withoutViewFlags } from "../_flags.ts";
import { runLiveSlice } from "../results/live_slice.ts";
import { currentSession, keepRunTrace, liveEvents } from "../results/session.ts";
import { type MachineLoss, RunStalledError } from "./run_errors.ts";
import { findProgram } from "./programs.ts";
import type { HostsFile } from "./hosts_file.ts";
import { type FrameFault, frameFaultChooser } from "../shrink/fault_schedule.ts";
import { frameRecorder } from "../shrink/recorder.ts";
import { restartedMachines } from "../_fault_flags.ts";

/** One process to start: `program` from the registry, with JSON `args`. */
export interface ProcessSpec {
  readonly name: string;
  readonly program: string;
  readonly args?: Readonly<Record<string, unknown>>;
  readonly capacity?: number;
}

/** One machine and the processes it boots. */
export interface MachineSpec {
  readonly name: string;
  readonly processes: readonly ProcessSpec[];
}

/** The network and fault settings of a deployment. */
export interface DeployOptions {
  /** In the simulator: exactly these frames are lost, duplicated or held back. @default the draws decide */
  readonly frameFaults?: readonly FrameFault[];
  /** Run in the simulator instead of real OS processes. @default false */
  readonly sim?: boolean;
  /** What carries frames between the OS processes (not the simulator). @default "tcp" */
  readonly transport?: TransportName;
  /** Seed of every random choice. @default 1 */
  readonly seed?: number;
  /** Reliable channel on. @default true */
  readonly reliable?: boolean;
  /** Frame loss probability. @default 0 */
  readonly drop?: number;
  /** Frame duplication probability. @default 0 */
  readonly duplicate?: number;
  /** Frame reordering probability. @default 0 */
  readonly reorder?: number;
  /** Latency distribution. @default simulator: uniform 1..5 ms; TCP: none added */
  readonly latency?: Latency;
  /** Authenticate every frame under a shared key, optionally sealing bodies. @default none */
  readonly auth?: { readonly key: string; readonly encrypt?: boolean };
  /** Called for every trace event as it happens (narration). @default none */
  readonly onEvent?: (event: TraceEvent) => void;
  /**
   * Keep the control machine `ctl.lab` out of the experiment: its frames skip every injected
   * fault and are not counted in {@link DeployStats}. `false` when what runs there is measured
   * (the mobile agents' home and the pulling client). @default true
   */
  readonly controlExempt?: boolean;
  /**
   * Keep every trace event (for a trace file or an analysis of the events); `false` streams
   * them to `onEvent`, the digest and the counts only (simulator; real sockets always keep
   * them). @default true
   */
  readonly keepTrace?: boolean;
  /** Where a run that fails writes the trace so far. @default none */
  readonly traceFile?: string;
  /** A live view watches: let the event loop run between slices of simulated time. @default false */
  readonly live?: boolean;
  /**
   * Machines that a crash will restart: on real sockets a replacement OS process starts with
   * the others, so that the restart is on time however short the window. @default none
   */
  readonly spares?: readonly string[];
  /**
   * Folder of the machines' disk files (`ctx.disk`, one `machine.domain.sqlite` each) on OS
   * processes, left for the caller after the run. @default a temporary folder the run removes
   */
  readonly disks?: string;
  /** Clock skews of machines (simulator only). @default none */
  readonly skews?: readonly SkewSpec[];
  /**
   * Where machines run (real OS processes only): machines on other hosts are started there by
   * hand (`lab node --hosts FILE`) or, with `ssh`, by the lab. @default every machine here
   */
  readonly hosts?: HostsFile;
  /** Start the machines of other hosts with `ssh HOST deno run ...`. @default false */
  readonly ssh?: boolean;
  /** Longest the lab waits for the machines started by hand on other hosts, in ms. @default 60000 */
  readonly hostsWait?: number;
  /** Probability that a crash loses the disk's unsynced writes (simulator only). @default 0 */
  readonly loseUnsynced?: number;
}

/** Network counters of a deployment. */
export interface DeployStats {
  /** Frames on the wire, retransmissions and acks included. */
  readonly frames: number;
  /** Bytes on the wire. */
  readonly bytes: number;
  /** Acknowledgement frames. */
  readonly acks: number;
  /**
   * Bytes on the wire of the frames of each message kind, retransmissions included (simulator
   * only: real sockets leave it out).
   */
  readonly bytesByKind?: ReadonlyMap<string, number>;
}

/** A running deployment. */
export interface Deployment {
  /** Where it runs: the simulator, or OS processes over TCP, UDP or HTTP. */
  readonly transport: "sim" | TransportName;
  /** Every event of every machine, in time order (real sockets: merged from every OS process). */
  readonly trace: Trace;
  /** Machine `ctl.lab`, in the lab's own process: spawn collectors and drivers here. */
  readonly control: Machine;
  /** Spawns `fn` on the control machine; returns its address. */
  spawnControl(name: string, fn: ProcessFn): Address;
  /**
   * Runs until `done` settles. In the simulator it runs virtual time until quiescent (or until
   * `until` ms, at most {@link RUN_LIMIT}; or {@link GRACE} ms after `done` settled) and then
   * awaits `done`; it throws a `RunStalledError` when the simulation stops first. On real
   * sockets it throws an `InterruptedError` on Ctrl-C and a `MachineProcessError` when a process
   * on a machine fails. A run that throws writes the trace so far to `traceFile`. After a
   * machine died for good it throws a `MachineLostError` once the others stop making progress,
   * unless `waitOnLoss` (the caller bounds its own wait).
   */
  run(done: Promise<unknown>, options?: { until?: number; waitOnLoss?: boolean }): Promise<void>;
  /**
   * Crashes a machine at `at` ms since the start of the run (default now), restarting it at
   * `restartAt` if given.
   */
  crash(machine: string, options?: { at?: number; restartAt?: number }): void;
  /** Cuts machines apart from `at` until `until` (ms); `oneWay` cuts only frames from `a` to `b`. */
  partition(
    a: string[],
    b: string[],
    options?: { at?: number; until?: number; oneWay?: boolean },
  ): void;
  /** Network counters so far. */
  stats(): DeployStats;
  /**
   * Calls `listener` when a machine's OS process dies during the run without the lab stopping
   * it and nothing restarts it (real sockets only; in the simulator machines only crash when
   * told to); at once for each machine that died so before, while the deployment started.
   */
  onLost?(listener: (loss: MachineLoss) => void): void;
  /**
   * The disk of `machine` as its processes see it through `ctx.disk` (simulator only: a crashed
   * machine's disk stays, so the lab can read what a machine that never came back had stored).
   */
  disk?(machine: string): Disk;
  /** Stops every machine and OS process. */
  stop(): Promise<void>;
}

/** Name of the lab's own machine. */
export const CONTROL_MACHINE = "ctl.lab";

/** Most virtual ms a simulated run lasts when the command sets no limit of its own. */
export const RUN_LIMIT = 3_600_000;

/**
 * Virtual ms a simulated run goes on after its workload finished, for the last acknowledgements
 * and goodbyes; a system that is still busy then (heartbeats) is stopped there.
 */
export const GRACE = 10_000;

/** Virtual ms between two checks whether the workload finished. */
const SLICE = 1000;

/**
 * The seed of machine `machine`'s generator on a real host in a run under `seed`: one per
 * machine, as the simulator forks one generator per machine, so that machines do not draw the
 * same numbers.
 *
 * @example Different machines, different seeds; the same machine, the same seed
 * ```ts
 * import assert from "node:assert/strict";
 * import { machineSeed } from "./deploy.ts";
 * assert.notEqual(machineSeed(1, "c1.lab"), machineSeed(1, "c2.lab"));
 * assert.equal(machineSeed(1, "c1.lab"), machineSeed(1, "c1.lab"));
 * ```
 */
export function machineSeed(seed: number, machine: string): number {
  return createRandom(seed).fork(machine).int(4294967296);
}

/** Builds {@link DeployOptions} from the common flags. */
export function deployOptions(
  common: CommonOptions,
  onEvent?: (e: TraceEvent) => void,
): DeployOptions {
  return {
    sim: common.sim,
    transport: common.transport,
    seed: common.seed,
    reliable: common.reliable,
    drop: common.drop,
    duplicate: common.duplicate,
    reorder: common.reorder,
    latency: common.latency,
    auth: frameAuth(common),
    onEvent,
    traceFile: common.trace,
    spares: restartedMachines(common.crashes),
    frameFaults: common.frameFaults,
    skews: common.skews,
    hosts: common.hosts,
    ssh: common.ssh,
    loseUnsynced: common.loseUnsynced,
  };
}

/**
 * After a run failed: keeps `trace` for the results folder (`--out`) and writes it to `file`, if
 * any, saying so on stderr.
 */
export async function keepTrace(
  trace: Trace,
  file: string | undefined,
  clock: "virtual" | "wall" = "virtual",
): Promise<void> {
  keepRunTrace(trace, clock);
  if (file === undefined) return;
  await writeTrace(trace, file, { clock });
  console.error(`archlab: the trace so far is in ${file}`);
}

/** Starts `machines` in the simulator or as OS processes. */
export async function deploy(
  machines: readonly MachineSpec[],
  options: DeployOptions = {},
): Promise<Deployment> {
  if (currentSession()?.wantLive) {
    const onEvent = await liveEvents(options.onEvent, options.sim ? "virtual" : "wall");
    options = { ...options, onEvent, live: true };
  }
  if (options.sim) return deploySim(machines, options);
  const { deployTcp } = await import("./cluster.ts");
  return deployTcp(machines, options);
}

function deploySim(machines: readonly MachineSpec[], options: DeployOptions): Deployment {
  const sim = new Simulator({
    seed: options.seed ?? 1,
    reliable: options.reliable ?? true,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    loseUnsynced: options.loseUnsynced,
    latency: options.latency,
    replay: replayCommand(options.seed ?? 1),
    exempt: options.controlExempt === false ? undefined : [CONTROL_MACHINE],
    chooser: options.frameFaults || frameRecorder.frames
      ? frameFaultChooser({ only: options.frameFaults, record: frameRecorder.frames })
      : undefined,
    trace: options.keepTrace === false ? { keep: false } : true,
    stages: options.auth ? [new AuthStage(options.auth)] : [],
  });
  if (options.onEvent) sim.trace.listen(options.onEvent);
  for (const spec of machines) {
    const machine = sim.machine(spec.name);
    for (const p of spec.processes) {
      machine.spawn(p.name, findProgram(p.program)(p.args ?? {}), { capacity: p.capacity });
    }
  }
  for (const k of options.skews ?? []) sim.skew(k.machine, { offset: k.offset, drift: k.drift });
  const control = sim.machine(CONTROL_MACHINE);
  return {
    transport: "sim",
    trace: sim.trace,
    control,
    spawnControl: (name, fn) => control.spawn(name, fn),
    async run(done, runOptions = {}) {
      const limit = Math.min(runOptions.until ?? RUN_LIMIT, RUN_LIMIT);
      let settled = false, settledAt = Infinity, quiescent = false;
      done.then(() => settled = true, () => settled = true);
      try {
        // In slices of virtual time, to notice when the workload is done.
        while (sim.now < limit && sim.now < settledAt + GRACE) {
          const until = Math.min(limit, settledAt + GRACE, sim.now + SLICE);
          // A live view gets the events every few ms of wall time as the slice runs, and each
          // slice's last ones at its end (no effect on the trace).
          quiescent = (options.live ? await runLiveSlice(sim, until) : await sim.run({ until }))
            .quiescent;
          if (options.live) await new Promise((resolve) => setTimeout(resolve, 0));
          if (quiescent) break;
          if (settled && settledAt === Infinity) settledAt = sim.now;
        }
        for (let i = 0; i < 8 && !settled; i++) await null;
        if (!settled) {
          throw new RunStalledError({
            time: sim.now,
            seed: sim.seed,
            reason: quiescent ? "quiet" : "limit",
          });
        }
        await done;
      } catch (error) {
        await keepTrace(sim.trace, options.traceFile);
        throw error;
      }
    },
    crash: (machine, crash = {}) => sim.crash(machine, crash),
    partition: (a, b, partition = {}) => sim.partition(a, b, partition),
    disk: (machine) => sim.disk(machine),
    stats: () => ({
      frames: sim.stats.frames,
      bytes: sim.stats.bytes,
      acks: sim.stats.acks,
      bytesByKind: new Map(sim.bytesByKind()),
    }),
    stop: () => Promise.resolve(),
  };
}

/**
 * The command that replays a simulated run under `seed`: the lab's own command line (the run's
 * session, else this process's arguments when it is the lab) with `--seed` and a placeholder
 * for an `--auth` key, quoted for a shell; otherwise a description of it. Simulators of lab
 * commands quote it when a process fails.
 *
 * @example Outside the lab (a test), a description
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayCommand } from "./deploy.ts";
 * assert.equal(replayCommand(7), "the same lab command with --sim --seed 7");
 * ```
 */
export function replayCommand(seed: number): string {
  const session = currentSession();
  const words = session === undefined ? Deno.args : [session.command, ...session.args];
  const args = withoutFlags(withoutViewFlags(words), ["seed"]).map((a, i, kept) =>
    a.startsWith("--auth=") ? "--auth=KEY" : kept[i - 1] === "--auth" ? "KEY" : a
  );
  if (args.length === 0) return `the same lab command with --sim --seed ${seed}`;
  return `${labCommandLine(args)} --seed ${seed}`;
}

export { Trace };
