/**
 * The program through which a machine that is its own OS process (`lab node`) runs a process of
 * a user's system: `system-process` loads the system's file by URL (once per OS process) and
 * starts the named process of the machine it runs on, its requests measured for the lab's
 * summary (reported in the node's stats line as `requests`).
 * @module
 */
import type { ProcessFn, Program } from "../../core/process.ts";
import { nodeReports } from "../deploy/_node_reports.ts";
import { loadedSystem, loadSystem } from "./load_system.ts";
import { measured, RequestLog } from "./request_log.ts";
import type { MachineEntry } from "./system.ts";

/** The requests of every user process in this OS process. */
const requests = new RequestLog();

function find(machines: readonly MachineEntry[], machine: string, name: string): ProcessFn {
  const process = machines.find((m) => m.name === machine)?.processes.find((p) => p.name === name);
  if (process === undefined) {
    throw new TypeError(
      `Cannot start process "${name}@${machine}": the system gives machine "${machine}" no ` +
        `process "${name}"`,
    );
  }
  return process.fn;
}

/**
 * Process `process` of the system at URL `module`, on the machine it is started on.
 *
 * @example Started on a simulated machine once the system is loaded
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { loadSystem } from "./load_system.ts";
 * import { systemProcess } from "./programs.ts";
 * const url = "data:text/javascript,export default { 'p@m1.lab': (ctx) => ctx.log('hello') };";
 * await loadSystem(url);
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("p", systemProcess(url, "p"));
 * await sim.run();
 * assert.equal(sim.trace.events.find((e) => e.ev === "log")?.note, "hello");
 * ```
 */
export function systemProcess(module: string, process: string): ProcessFn {
  if (typeof module !== "string" || typeof process !== "string") {
    throw new TypeError(
      `Cannot start a system process: give { module: URL, process: NAME }, not ${
        JSON.stringify({ module, process })
      }`,
    );
  }
  nodeReports.set("requests", () => requests.figures());
  return (ctx) => {
    const machines = loadedSystem(module);
    if (machines !== undefined) {
      return measured(find(machines, ctx.machine, process), requests)(ctx);
    }
    return loadSystem(module).then((loaded) =>
      measured(find(loaded, ctx.machine, process), requests)(ctx)
    );
  };
}

/**
 * The programs of `lab run`, by name.
 *
 * @example Arguments are checked
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.throws(() => programs["system-process"]({ module: "file:///sys.ts" }), TypeError);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "system-process": (args) => systemProcess(args.module as string, args.process as string),
};
