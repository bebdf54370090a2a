/**
 * The machines a real run hosts in the lab's own OS process: the control machine `ctl.lab`
 * (collectors, reports, exempt from faults) and machines of the experiment it is asked to host
 * (clients, each with its own TCP endpoint, under the same faults as the others).
 * @module
 */
import { type Host, startHost } from "../../core/network/host.ts";
import type { TraceEvent } from "../../core/trace.ts";
import { CONTROL_MACHINE, type DeployOptions, machineSeed } from "./deploy.ts";
import { MachineProcessError } from "./run_errors.ts";

/** What a machine hosted by the lab needs from its run. */
export interface LabHostContext {
  /** Wall-clock ms that trace times count from. */
  readonly origin: number;
  readonly options: DeployOptions;
  /** Where machine `machine` listens, if known. */
  resolve(machine: string): string | undefined;
  /** Records a trace event of a machine hosted by the lab (its own time). */
  record(event: TraceEvent): void;
  /** Ms since the start of the run. */
  runTime(): number;
  /** The run fails with `error`. */
  fail(error: Error): void;
  /** Where the lab's machines listen. @default 127.0.0.1, a free port */
  readonly listen?: { readonly hostname: string; readonly port: number };
}

/** Fails the run when a process on machine `machine` in the lab's OS process fails. */
function reportErrors(machine: string, ctx: LabHostContext) {
  return (address: string, error: unknown) =>
    ctx.fail(
      new MachineProcessError({
        machine,
        process: address,
        detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        time: ctx.runTime(),
        stack: error instanceof Error ? error.stack : undefined,
      }),
    );
}

/**
 * Starts the control machine `ctl.lab` in the lab's own OS process.
 *
 * @example On a free port of 127.0.0.1
 * ```ts
 * import assert from "node:assert/strict";
 * import { startControlHost } from "./_lab_hosts.ts";
 * const host = await startControlHost({
 *   origin: 0, options: {}, resolve: () => undefined, record: () => {}, runTime: () => 0,
 *   fail: (e) => { throw e; },
 * });
 * assert.equal(host.machine.name, "ctl.lab");
 * assert.match(host.endpoint, /^127\.0\.0\.1:\d+$/);
 * await host.close();
 * ```
 */
export function startControlHost(ctx: LabHostContext): Promise<Host> {
  const { options } = ctx;
  return startHost(CONTROL_MACHINE, {
    transport: options.transport,
    resolve: ctx.resolve,
    ...(ctx.listen ? { listen: ctx.listen } : {}),
    seed: options.seed,
    origin: ctx.origin,
    reliable: options.reliable,
    trace: { record: ctx.record },
    auth: options.auth,
    exempt: options.controlExempt === false ? undefined : [CONTROL_MACHINE],
    // The lab's collectors are spawned after the machines boot: what reaches them first waits.
    holdForUnspawned: 10_000,
    onProcessError: reportErrors(CONTROL_MACHINE, ctx),
  });
}

/**
 * Starts machine `name` of the experiment in the lab's own OS process, where `ctx.listen` says.
 *
 * @example A client machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { startLabHost } from "./_lab_hosts.ts";
 * const host = await startLabHost("c1.lab", {
 *   origin: 0, options: { seed: 3 }, resolve: () => undefined, record: () => {}, runTime: () => 0,
 *   fail: (e) => { throw e; }, listen: { hostname: "127.0.0.1", port: 0 },
 * });
 * assert.equal(host.machine.name, "c1.lab");
 * await host.close();
 * ```
 */
export function startLabHost(name: string, ctx: LabHostContext): Promise<Host> {
  const { options } = ctx;
  return startHost(name, {
    transport: options.transport,
    resolve: ctx.resolve,
    ...(ctx.listen ? { listen: ctx.listen } : {}),
    seed: machineSeed(options.seed ?? 1, name),
    origin: ctx.origin,
    reliable: options.reliable,
    drop: options.drop,
    duplicate: options.duplicate,
    reorder: options.reorder,
    latency: options.latency,
    trace: { record: ctx.record },
    auth: options.auth,
    exempt: options.controlExempt === false ? undefined : [CONTROL_MACHINE],
    onProcessError: reportErrors(name, ctx),
  });
}
