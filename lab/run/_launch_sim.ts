/**
 * A user's system in the deterministic simulator: every machine simulated, faults scheduled up
 * front, run until quiescent or the time limit.
 * @module
 */
import type { TransportName } from "../../core/network/host_network.ts";
import { AuthStage } from "../../core/auth/auth_stage.ts";
import { Simulator } from "../../core/simulator/simulator.ts";
import type { Trace } from "../../core/trace.ts";
import { writeTrace } from "../_common.ts";
import type { LaunchEnd, LaunchOptions, LaunchPlan } from "./launch.ts";
import { measured } from "./request_log.ts";
import { scheduleFaultFlags } from "../deploy/_fault_flags.ts";

/** Virtual ms a simulated run lasts without a time limit (the lab's run limit, an hour). */
const RUN_LIMIT = 3_600_000;

/** What a transport's run gives back to `launch`. */
export interface TransportRun {
  readonly transport: "sim" | TransportName;
  readonly end: LaunchEnd;
  readonly time: number;
  readonly trace: Trace;
  readonly stats: { readonly frames: number; readonly bytes: number; readonly acks: number };
}

/** Runs `plan` in the simulator; rejects with a `ProcessFailedError` when a process fails. */
export async function launchSim(plan: LaunchPlan, options: LaunchOptions): Promise<TransportRun> {
  const sim = new Simulator({
    seed: options.seed ?? 1,
    reliable: options.reliable ?? true,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    replay: options.replay,
    stages: options.auth ? [new AuthStage(options.auth)] : [],
  });
  const onEvent = options.onEvent;
  sim.trace.listen((event) => {
    plan.tracker.observe(event);
    onEvent?.(event);
  });
  for (const machine of plan.machines) {
    for (const p of machine.processes) {
      sim.machine(machine.name).spawn(p.name, measured(p.fn, plan.requests), {
        capacity: p.capacity,
      });
    }
  }
  scheduleFaultFlags(sim, options);
  let quiescent: boolean;
  try {
    quiescent = (await sim.run({ until: options.timeLimit ?? RUN_LIMIT })).quiescent;
  } catch (error) {
    if (options.traceFile !== undefined) {
      await writeTrace(sim.trace, options.traceFile);
      console.error(`archlab: the trace so far is in ${options.traceFile}`);
    }
    throw error;
  }
  return {
    transport: "sim",
    end: !quiescent ? "time-limit" : plan.tracker.ended ? "returned" : "quiet",
    time: sim.now,
    trace: sim.trace,
    stats: { frames: sim.stats.frames, bytes: sim.stats.bytes, acks: sim.stats.acks },
  };
}
