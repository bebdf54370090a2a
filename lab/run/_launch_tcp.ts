/**
 * A user's system on real sockets (TCP, UDP or HTTP): one OS process per machine (`lab node`), each loading the
 * system's file and starting its processes through the `system-process` program; the run ends
 * when every process returned, when every machine stayed idle for `quiet` ms, at the time limit
 * or on Ctrl-C.
 * @module
 */
import { InterruptedError } from "../deploy/run_errors.ts";
import type { MachineSpec } from "../deploy/deploy.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";
import type { TransportRun } from "./_launch_sim.ts";
import type { LaunchEnd, LaunchOptions, LaunchPlan } from "./launch.ts";
import type { RequestFigures } from "./request_log.ts";
import { readHostsFile } from "../deploy/hosts_file.ts";
import { restartedMachines } from "../_fault_flags.ts";

/** How often the lab looks whether the run is over, in ms. */
const WATCH_MS = 50;

/** Runs `plan` as OS processes; rejects with a `MachineProcessError` when a process fails. */
export async function launchTcp(
  plan: LaunchPlan,
  url: string,
  options: LaunchOptions,
): Promise<TransportRun> {
  const { deployTcp } = await import("../deploy/cluster.ts");
  const specs: MachineSpec[] = plan.machines.map((m) => ({
    name: m.name,
    processes: m.processes.map((p) => ({
      name: p.name,
      program: "system-process",
      args: { module: url, process: p.name },
      capacity: p.capacity,
    })),
  }));
  const onEvent = options.onEvent;
  const deployment = await deployTcp(specs, {
    seed: options.seed ?? 1,
    transport: options.transport,
    reliable: options.reliable,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    auth: options.auth,
    traceFile: options.traceFile,
    hosts: options.hosts === undefined ? undefined : readHostsFile(options.hosts),
    ssh: options.ssh,
    spares: restartedMachines(options.crashes),
    onEvent: (event) => {
      plan.tracker.observe(event);
      onEvent?.(event);
    },
  });
  try {
    scheduleFaultFlags(deployment, options);
    const quiet = options.quiet ?? 500;
    const over = Promise.withResolvers<LaunchEnd>();
    const watch = setInterval(() => {
      if (deployment.now() < plan.lastFault) return;
      if (plan.tracker.ended) over.resolve("returned");
      // Every boot process must have started first: a machine is idle before its boot.
      else if (plan.tracker.started && deployment.quietFor() >= quiet) over.resolve("quiet");
    }, WATCH_MS);
    const limit = options.timeLimit === undefined
      ? undefined
      : setTimeout(() => over.resolve("time-limit"), options.timeLimit);
    let end: LaunchEnd;
    try {
      await deployment.run(over.promise);
      end = await over.promise;
    } catch (error) {
      if (!(error instanceof InterruptedError)) throw error;
      end = "interrupted";
    } finally {
      clearInterval(watch);
      clearTimeout(limit);
    }
    const time = deployment.now();
    for (const report of deployment.reports()) {
      const requests = report.requests as RequestFigures | undefined;
      if (requests !== undefined) plan.requests.merge(requests);
    }
    return {
      transport: deployment.transport,
      end,
      time,
      trace: deployment.trace,
      stats: deployment.stats(),
    };
  } finally {
    await deployment.stop();
  }
}
