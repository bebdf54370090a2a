/**
 * A user's system as `lab run` takes it: machines and the processes each boots, written against
 * `ProcessContext`. A file gives it in one of two forms. The full form names machines, each
 * with its processes (a `ProcessFn`, or `{ fn, capacity }` for a bounded mailbox):
 *
 * ```ts ignore
 * export const system: System = { machines: { "m1.lab": { kv: server }, "m2.lab": { client } } };
 * ```
 *
 * (or `machines: [{ name: "m1.lab", processes: [{ name: "kv", fn: server, capacity: 8 }] }]`).
 * The one-file form, for the common case, maps each process's address to its code:
 *
 * ```ts ignore
 * export default { "kv@m1.lab": server, "client@m2.lab": client };
 * ```
 * @module
 */
import { canonical, machineOf, parseMachine, processOf } from "../../core/name.ts";
import type { ProcessFn } from "../../core/process.ts";

/** A process's code, with the options of its mailbox. */
export interface ProcessWithOptions {
  /** The code. */
  readonly fn: ProcessFn;
  /** Mailbox capacity; 0 makes every send to it a rendezvous. @default Infinity */
  readonly capacity?: number;
}

/** A process of a system: its code alone, or with options. */
export type ProcessEntry = ProcessFn | ProcessWithOptions;

/** A named process of a machine. */
export interface NamedProcess extends ProcessWithOptions {
  /** Its name on the machine (`kv` for `kv@m1.lab`). */
  readonly name: string;
}

/** A machine and the processes it boots, in order. */
export interface MachineEntry {
  /** `machine.domain`. */
  readonly name: string;
  /** Its boot processes. */
  readonly processes: readonly NamedProcess[];
}

/** A user's system: machines and the processes each boots (started again after a restart). */
export interface System {
  /** By machine name, each a map of process name to code; or a list of machines. */
  readonly machines:
    | Readonly<Record<string, Readonly<Record<string, ProcessEntry>>>>
    | readonly MachineEntry[];
}

/** The one-file form: each process's address (`kv@m1.lab` or `m1.lab:kv`) mapped to its code. */
export type ProcessMap = Readonly<Record<string, ProcessEntry>>;

/** Name of the lab's own machine, which a user's system cannot use. */
const CONTROL = "ctl.lab";

/**
 * A system that cannot run as given: a missing export, a bad name, something that is not a
 * process. `lab run` shows it as a usage error.
 *
 * @example Its fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { SystemError } from "./system.ts";
 * const error = new SystemError("kv.ts", 'machine "ctl.lab" is the lab\'s own');
 * assert.equal(error.source, "kv.ts");
 * assert.equal(error.message, 'Cannot run "kv.ts": machine "ctl.lab" is the lab\'s own');
 * assert.ok(error instanceof TypeError);
 * ```
 */
export class SystemError extends TypeError {
  /** The file (or description) of the system. */
  readonly source: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** Creates the error. */
  constructor(source: string, problem: string) {
    super(`Cannot run "${source}": ${problem}`);
    this.name = "SystemError";
    this.source = source;
    this.problem = problem;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A name the core refused, in the system's words: which name, and the core's reason. */
function badName(source: string, name: string, error: unknown): SystemError {
  const reason = (error as Error).message.replace(/^Cannot parse process name "[^"]*": /, "");
  return new SystemError(source, `${JSON.stringify(name)} is not a valid name: ${reason}`);
}

function entry(value: unknown, path: string, source: string): ProcessWithOptions {
  if (typeof value === "function") return { fn: value as ProcessFn };
  if (isRecord(value) && typeof value.fn === "function") {
    const capacity = value.capacity;
    if (
      capacity !== undefined &&
      !(capacity === Infinity || (Number.isInteger(capacity) && (capacity as number) >= 0))
    ) {
      throw new SystemError(
        source,
        `${path}.capacity ${JSON.stringify(capacity)} must be an integer, 0 or more`,
      );
    }
    return { fn: value.fn as ProcessFn, capacity: capacity as number | undefined };
  }
  throw new SystemError(
    source,
    `${path} is not a process: give a function (ctx) => { ... } or { fn, capacity }`,
  );
}

/** Adds process `name` on `machine` to `machines`, checking both names. */
function add(
  machines: Map<string, NamedProcess[]>,
  machine: string,
  name: string,
  process: ProcessWithOptions,
  source: string,
): void {
  let address: string;
  try {
    const { machine: short, domain } = parseMachine(machine);
    address = canonical(`${name}@${short}.${domain}`);
  } catch (error) {
    throw badName(source, `${name}@${machine}`, error);
  }
  const host = machineOf(address);
  if (host === CONTROL) {
    throw new SystemError(
      source,
      `machine "${CONTROL}" is the lab's own (its collectors and reports); name yours otherwise`,
    );
  }
  const list = machines.get(host) ?? [];
  if (list.some((p) => p.name === processOf(address))) {
    throw new SystemError(source, `process "${address}" is given twice`);
  }
  list.push({ name: processOf(address), ...process });
  machines.set(host, list);
}

/**
 * Checks a system in any of its forms and returns its machines with canonical names, in the
 * order given.
 *
 * @example The one-file form and the full form give the same machines
 * ```ts
 * import assert from "node:assert/strict";
 * import { planSystem } from "./system.ts";
 * const server = async () => {}, client = async () => {};
 * const one = planSystem({ "kv@m1": server, "m2.lab:client": { fn: client, capacity: 4 } });
 * const full = planSystem({ machines: { "m1.lab": { kv: server }, m2: { client: { fn: client, capacity: 4 } } } });
 * assert.deepEqual(one, full);
 * assert.deepEqual(one.map((m) => [m.name, m.processes.map((p) => p.name)]), [
 *   ["m1.lab", ["kv"]],
 *   ["m2.lab", ["client"]],
 * ]);
 * assert.throws(
 *   () => planSystem({ "kv@bad name": server }, { source: "kv.ts" }),
 *   /^SystemError: Cannot run "kv.ts": "kv@bad name" is not a valid name: bad machine "bad name"; accepted forms/,
 * );
 * ```
 * @throws {SystemError} naming what is wrong: not a system, a bad name, something that is not a
 * process, a process given twice, the lab's own machine, no process at all.
 */
export function planSystem(
  value: unknown,
  options: {
    /** What to call the system in messages. @default "the system" */
    readonly source?: string;
  } = {},
): MachineEntry[] {
  const source = options.source ?? "the system";
  const machines = new Map<string, NamedProcess[]>();
  if (isRecord(value) && "machines" in value) {
    const list = value.machines;
    if (Array.isArray(list)) {
      for (const [i, m] of list.entries()) {
        if (!isRecord(m) || typeof m.name !== "string" || !Array.isArray(m.processes)) {
          throw new SystemError(
            source,
            `machines[${i}] must be { name: "m1.lab", processes: [{ name, fn }] }`,
          );
        }
        for (const [j, p] of m.processes.entries()) {
          const path = `machines[${i}].processes[${j}]`;
          if (!isRecord(p) || typeof p.name !== "string") {
            throw new SystemError(source, `${path} must be { name, fn, capacity? }`);
          }
          add(machines, m.name, p.name, entry(p, path, source), source);
        }
      }
    } else if (isRecord(list)) {
      for (const [machine, processes] of Object.entries(list)) {
        const path = `machines[${JSON.stringify(machine)}]`;
        if (!isRecord(processes)) {
          throw new SystemError(source, `${path} must map process names to processes`);
        }
        for (const [name, p] of Object.entries(processes)) {
          add(machines, machine, name, entry(p, `${path}.${name}`, source), source);
        }
      }
    } else {
      throw new SystemError(source, "`machines` must be an object or an array");
    }
  } else if (isRecord(value)) {
    for (const [address, p] of Object.entries(value)) {
      let parsed: string;
      try {
        parsed = canonical(address);
      } catch (error) {
        throw badName(source, address, error);
      }
      add(machines, machineOf(parsed), processOf(parsed), entry(p, address, source), source);
    }
  } else {
    throw new SystemError(source, "a system is { machines: { ... } } or a map of processes");
  }
  if (machines.size === 0) throw new SystemError(source, "it has no process to run");
  return [...machines].map(([name, processes]) => ({ name, processes }));
}
