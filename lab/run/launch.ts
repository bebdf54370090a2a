/**
 * The launcher of a user's system: the same machines and processes (see {@link System}) run in
 * the deterministic simulator or as real OS processes over TCP on 127.0.0.1, one per machine,
 * each loading the system's file itself. `deno task lab run FILE.ts` is this launcher with
 * narration and a summary; a program can call {@link launch} to do the same.
 *
 * A run ends when every process has returned; or when nothing is left to do (in the simulator:
 * no runnable process, no pending event; on real machines: every machine idle, no process
 * runnable, no timer pending and no frame moving, for `quiet` ms); or at `timeLimit`; or, on
 * real machines, on Ctrl-C. Never before the last scheduled crash, restart or partition. A
 * process that throws fails the run: `launch` rejects with the simulator's
 * `ProcessFailedError` (with the seed to replay it) or the machine's `MachineProcessError`.
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import { isLocalHost, readHostsFile } from "../deploy/hosts_file.ts";
import { placeMachines } from "../deploy/_placement.ts";
import type { Latency } from "../../core/latency.ts";
import type { Trace, TraceEvent } from "../../core/trace.ts";
import { launchSim } from "./_launch_sim.ts";
import { launchTcp } from "./_launch_tcp.ts";
import { type ProcessStatus, ProcessTracker } from "./_process_tracker.ts";
import { loadSystem, systemUrl } from "./load_system.ts";
import { type RequestFigures, RequestLog } from "./request_log.ts";
import { type MachineEntry, planSystem, type ProcessMap, type System } from "./system.ts";
import { restartedMachines } from "../_fault_flags.ts";

/** A partition of a launched run. */
export interface LaunchPartition {
  /** Machines on one side. */
  readonly a: readonly string[];
  /** Machines on the other side. */
  readonly b: readonly string[];
  /** When the cut starts, in ms since the start of the run. @default 0 */
  readonly at?: number;
  /** When it heals, in ms since the start of the run. @default never */
  readonly until?: number;
  /** Cut only the frames from `a` to `b`. @default false */
  readonly oneWay?: boolean;
}

/** A crash of a launched run. */
export interface LaunchCrash {
  /** The machine. */
  readonly machine: string;
  /** When it crashes, in ms since the start of the run. @default 0 */
  readonly at?: number;
  /** When it restarts (its boot processes start again). @default never */
  readonly restartAt?: number;
}

/** Options of {@link launch}. */
export interface LaunchOptions {
  /** Run in the deterministic simulator instead of OS processes over TCP. @default false */
  readonly sim?: boolean;
  /**
   * What carries frames between the OS processes: `tcp`, `udp` (one datagram per frame, at
   * most 64 KB) or `http` (frames as requests, the slow path); not with `sim`. @default "tcp"
   */
  readonly transport?: TransportName;
  /** Seed of every random choice (injected faults too). @default 1 */
  readonly seed?: number;
  /** The reliable channel (acks, retransmission, dedup, FIFO). @default true */
  readonly reliable?: boolean;
  /** Probability that a frame is lost. @default 0 */
  readonly drop?: number;
  /** Probability that a frame is duplicated. @default 0 */
  readonly duplicate?: number;
  /**
   * Probability that a frame is overtaken (held back up to three times the latency's bound; on
   * real sockets it needs `latency`). @default 0
   */
  readonly reorder?: number;
  /** Latency. @default simulator: uniform 1..5 ms; TCP: none added */
  readonly latency?: Latency;
  /** Partitions. @default none */
  readonly partitions?: readonly LaunchPartition[];
  /** Crashes (and restarts). @default none */
  readonly crashes?: readonly LaunchCrash[];
  /** Sign every frame with HMAC-SHA256 under `key`, sealing bodies when `encrypt`. @default none */
  readonly auth?: { readonly key: string; readonly encrypt?: boolean };
  /** Ms after which the run stops (virtual in the simulator). @default simulator 3,600,000; real none */
  readonly timeLimit?: number;
  /** Real machines: ms every machine must stay idle before the run is over. @default 500 */
  readonly quiet?: number;
  /** Called for every trace event as it happens (narration). @default none */
  readonly onEvent?: (event: TraceEvent) => void;
  /** Where a run that fails writes the trace so far. @default none */
  readonly traceFile?: string;
  /** How to replay a simulated run, quoted when a process fails. @default `launch(FILE, { sim: true, seed: N })` */
  readonly replay?: string;
  /** What to call the system in messages. @default the file as given, or "the system" */
  readonly source?: string;
  /**
   * Real machines: the path of a hosts file (one `machine.domain host:port` per line) that puts
   * machines on other hosts, started there with `lab node --hosts FILE`. @default every machine here
   */
  readonly hosts?: string;
  /** With `hosts`: start the machines of other hosts with `ssh HOST deno run ...`. @default false */
  readonly ssh?: boolean;
}

/** Why a launched run ended. */
export type LaunchEnd = "returned" | "quiet" | "time-limit" | "interrupted";

/** What a launched run leaves. */
export interface LaunchResult {
  /** Where it ran. */
  readonly transport: "sim" | TransportName;
  /** The seed it ran under. */
  readonly seed: number;
  /** Why it ended: every process returned, nothing left to do, the time limit, Ctrl-C. */
  readonly end: LaunchEnd;
  /** When it ended, in ms since the start (virtual in the simulator). */
  readonly time: number;
  /** Wall-clock ms it took. */
  readonly wallMs: number;
  /** Every event, in time order. */
  readonly trace: Trace;
  /** The machines and their boot processes. */
  readonly machines: readonly MachineEntry[];
  /** Every process seen, with where it stands at the end. */
  readonly processes: Readonly<Record<string, ProcessStatus>>;
  /** Frames and bytes on the wire (acks and retransmissions included), acks among them. */
  readonly stats: { readonly frames: number; readonly bytes: number; readonly acks: number };
  /** The processes' requests: how many, how many failed, latencies. */
  readonly requests: RequestFigures;
}

/** What the transports need, checked once. */
export interface LaunchPlan {
  /** The machines and their boot processes, names canonical. */
  readonly machines: readonly MachineEntry[];
  /** The system module's URL, when it came from a file. */
  readonly url: string | undefined;
  /** Follows the processes through the trace. */
  readonly tracker: ProcessTracker;
  /** Where the processes' requests are measured. */
  readonly requests: RequestLog;
  /** No end before this (ms): the last scheduled crash, restart, cut or heal. */
  readonly lastFault: number;
}

function checkFaults(machines: readonly MachineEntry[], options: LaunchOptions): number {
  const names = machines.map((m) => m.name);
  const check = (name: string) => {
    if (names.includes(name)) return;
    throw new TypeError(
      `Cannot launch with a fault on machine "${name}": not in the system; its machines: ${
        names.join(", ")
      }`,
    );
  };
  let last = 0;
  for (const c of options.crashes ?? []) {
    check(c.machine);
    last = Math.max(last, c.at ?? 0, c.restartAt ?? 0);
  }
  for (const p of options.partitions ?? []) {
    for (const name of [...p.a, ...p.b]) check(name);
    last = Math.max(last, p.at ?? 0, p.until ?? 0);
  }
  if (!options.sim && (options.reorder ?? 0) > 0 && options.latency === undefined) {
    throw new TypeError(
      "Cannot launch on real sockets with reorder and no latency: a reordered frame is held " +
        "back up to three times the latency's bound; give latency too (uniform 1..5 ms, say)",
    );
  }
  if (options.sim && options.hosts !== undefined) {
    throw new TypeError(
      "Cannot launch in the simulator with hosts: the simulator runs every machine in one " +
        "process; drop sim: true, or the hosts file",
    );
  }
  if (options.hosts !== undefined) {
    // Throws a HostsFileError naming the line at fault, before any machine starts.
    placeMachines(names, readHostsFile(options.hosts), {
      ssh: options.ssh,
      spares: restartedMachines(options.crashes),
      isLocal: isLocalHost,
    });
  }
  return last;
}

/**
 * Runs a system: a module (path or URL) that exports it, or, in the simulator, the system
 * itself. Real OS processes need the module, since each machine loads it.
 *
 * @example A one-file system in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { launch } from "./launch.ts";
 * const result = await launch({
 *   "kv@m1.lab": async (ctx) => {
 *     const request = await ctx.receive<string>();
 *     await ctx.reply(request, request.body.toUpperCase());
 *   },
 *   "client@m2.lab": async (ctx) => {
 *     const reply = await ctx.request<string>("kv@m1.lab", "waku");
 *     ctx.log(reply.body);
 *   },
 * }, { sim: true, seed: 7, drop: 0.2 });
 * assert.equal(result.end, "returned");
 * assert.equal(result.trace.events.find((e) => e.ev === "log")?.note, "WAKU");
 * assert.equal(result.requests.count, 1);
 * assert.deepEqual(result.processes, { "kv@m1.lab": "returned", "client@m2.lab": "returned" });
 * ```
 * @throws {TypeError} (as a rejection) for a bad system (a `SystemError` naming the problem),
 * a fault on a machine that is not in it, reordering or a system object on real sockets, a
 * transport other than TCP in the simulator.
 */
export async function launch(
  system: System | ProcessMap | string | URL,
  options: LaunchOptions = {},
): Promise<LaunchResult> {
  const started = performance.now();
  let machines: MachineEntry[], url: string | undefined;
  if (typeof system === "string" || system instanceof URL) {
    url = systemUrl(system);
    machines = await loadSystem(url, { source: options.source ?? String(system) });
  } else {
    machines = planSystem(system, { source: options.source });
  }
  const lastFault = checkFaults(machines, options);
  if (options.sim && (options.transport ?? "tcp") !== "tcp") {
    throw new TypeError(
      `Cannot launch with transport "${options.transport}" in the simulator: it is its own ` +
        "network; leave out sim to run the machines as OS processes",
    );
  }
  const boot = machines.flatMap((m) => m.processes.map((p) => `${p.name}@${m.name}`));
  const plan: LaunchPlan = {
    machines,
    url,
    tracker: new ProcessTracker(boot),
    requests: new RequestLog(),
    lastFault,
  };
  const seed = options.seed ?? 1;
  let run;
  if (options.sim) {
    run = await launchSim(plan, {
      ...options,
      replay: options.replay ??
        `launch(${
          url === undefined ? "system" : JSON.stringify(url)
        }, { sim: true, seed: ${seed} })`,
    });
  } else {
    if (url === undefined) {
      throw new TypeError(
        "Cannot launch a system object on real sockets: every machine is an OS process that " +
          "loads the system itself; pass the URL of the module that exports it (import.meta.url)",
      );
    }
    run = await launchTcp(plan, url, options);
  }
  return {
    ...run,
    seed,
    wallMs: performance.now() - started,
    machines,
    processes: plan.tracker.statuses(),
    requests: plan.requests.figures(),
  };
}
