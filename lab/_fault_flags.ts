/**
 * The fault flags of the lab, parsed and checked before a run: `--crash` and `--partition`
 * windows (an end never before its start), `--delay` (MIN never above MAX) and the machines they
 * name (each must be one of the command's machines, never the lab's own `ctl.lab`).
 * @module
 */
import { type HostsFile, HostsFileError, isLocalHost } from "./deploy/hosts_file.ts";
import { placeMachines } from "./deploy/_placement.ts";
import { type Latency, parseLatency } from "../core/latency.ts";
import { didYouMean, UsageError } from "./_flags.ts";

export type { Latency };

/** A partition from `--partition`. */
export interface PartitionSpec {
  /** Machines on one side. */
  readonly a: string[];
  /** Machines on the other side. */
  readonly b: string[];
  /** Cut only the frames from `a` to `b`. */
  readonly oneWay: boolean;
  /** When the cut starts, in ms since the start of the run. */
  readonly at: number;
  /** When it heals, if ever. */
  readonly until?: number;
}

/** A crash from `--crash`. */
export interface CrashSpec {
  /** The machine that crashes. */
  readonly machine: string;
  /** When, in ms since the start of the run. */
  readonly at: number;
  /** When it restarts, if ever. */
  readonly restartAt?: number;
}

/**
 * The machines `crashes` restart: each needs a replacement OS process (a spare) to come back on
 * time. Every command that deploys machines asks for its spares with it.
 *
 * @example One restart, one crash for good
 * ```ts
 * import assert from "node:assert/strict";
 * import { restartedMachines } from "./_fault_flags.ts";
 * const crashes = [{ machine: "m1.lab", at: 5, restartAt: 9 }, { machine: "m2.lab", at: 7 }];
 * assert.deepEqual(restartedMachines(crashes), ["m1.lab"]);
 * assert.deepEqual(restartedMachines(undefined), []);
 * ```
 */
export function restartedMachines(
  crashes: readonly Pick<CrashSpec, "machine" | "restartAt">[] | undefined,
): string[] {
  return (crashes ?? []).filter((c) => c.restartAt !== undefined).map((c) => c.machine);
}

/**
 * The crashes of `crashes` that never restart their machine: the machines gone for good, whose
 * reports a command stops waiting for.
 *
 * @example A crash for good
 * ```ts
 * import assert from "node:assert/strict";
 * import { crashesForGood } from "./_fault_flags.ts";
 * const crashes = [{ machine: "m1.lab", at: 5, restartAt: 9 }, { machine: "m2.lab", at: 7 }];
 * assert.deepEqual(crashesForGood(crashes), [{ machine: "m2.lab", at: 7 }]);
 * ```
 */
export function crashesForGood(crashes: readonly CrashSpec[]): CrashSpec[] {
  return crashes.filter((c) => c.restartAt === undefined);
}

/** A clock skew from `--skew`. */
export interface SkewSpec {
  /** The machine whose clock is off. */
  readonly machine: string;
  /** Ms its clock is ahead (negative: behind). */
  readonly offset: number;
  /** How much faster its clock runs (0.01: 1% fast; negative: slow). */
  readonly drift: number;
}

/** The lab's own machine (collectors, reports), which faults never touch. */
const CONTROL = "ctl.lab";

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value.map(String) : [String(value)];
}

function window(
  spec: string,
  when: string,
  flag: "crash" | "partition",
  usage: string,
): { at: number; until?: number } {
  const m = /^(\d+(?:\.\d+)?)(?:\.\.(\d+(?:\.\d+)?))?$/.exec(when);
  if (!m) {
    throw new UsageError(
      `Cannot use --${flag} "${spec}": time "${when}" is not AT or AT..UNTIL in ms`,
      usage,
    );
  }
  const at = Number(m[1]), until = m[2] === undefined ? undefined : Number(m[2]);
  if (until !== undefined && until < at) {
    const [start, end] = flag === "crash" ? ["crash", "restart"] : ["cut", "heal"];
    throw new UsageError(
      `Cannot use --${flag} "${spec}": the ${end} at ${until} ms comes before the ${start} at ` +
        `${at} ms; write ${start.toUpperCase()}..${end.toUpperCase()} with the later time second`,
      usage,
    );
  }
  return { at, until };
}

/** Parses every `--partition` given. */
export function parsePartitions(value: unknown, usage: string): PartitionSpec[] {
  return list(value).map((spec) => {
    const [sides, when = "0"] = spec.split("@");
    const oneWay = sides.includes("->");
    const [a, b] = sides.split(oneWay ? "->" : "|");
    if (!a || !b) {
      throw new UsageError(
        `Cannot use --partition "${spec}": write "m1.lab|m2.lab@FROM..TO" or "m1.lab->m2.lab@FROM..TO"`,
        usage,
      );
    }
    const w = window(spec, when, "partition", usage);
    return { a: a.split(","), b: b.split(","), oneWay, at: w.at, until: w.until };
  });
}

/** Parses every `--crash` given. */
export function parseCrashes(value: unknown, usage: string): CrashSpec[] {
  return list(value).map((spec) => {
    const [machine, when] = spec.split("@");
    if (!machine || !when) {
      throw new UsageError(
        `Cannot use --crash "${spec}": write "m1.lab@AT" or "m1.lab@AT..RESTART"`,
        usage,
      );
    }
    const w = window(spec, when, "crash", usage);
    return { machine, at: w.at, restartAt: w.until };
  });
}

/**
 * Parses every `--skew MACHINE:OFFSET[:DRIFT]` given.
 *
 * @example A clock 20 ms behind and 1% fast
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSkews } from "./_fault_flags.ts";
 * assert.deepEqual(parseSkews("m1.lab:-20:0.01", "usage"), [{ machine: "m1.lab", offset: -20, drift: 0.01 }]);
 * assert.throws(() => parseSkews("m1.lab", "usage"), /write "m1.lab:OFFSET"/);
 * ```
 */
export function parseSkews(value: unknown, usage: string): SkewSpec[] {
  return list(value).map((spec) => {
    const m = /^([^:]+):(-?\d+(?:\.\d+)?)(?::(-?\d*\.?\d+))?$/.exec(spec);
    if (!m || (m[3] !== undefined && Math.abs(Number(m[3])) >= 1)) {
      throw new UsageError(
        `Cannot use --skew "${spec}": write "m1.lab:OFFSET" or "m1.lab:OFFSET:DRIFT" (OFFSET in ` +
          "ms, negative for behind; DRIFT a fraction between -1 and 1, 0.01 for 1% fast)",
        usage,
      );
    }
    return { machine: m[1], offset: Number(m[2]), drift: m[3] === undefined ? 0 : Number(m[3]) };
  });
}

/** Parses `--delay`, refusing a range whose MIN is above its MAX by name. */
export function parseDelay(value: unknown, usage: string): Latency | undefined {
  if (typeof value !== "string") return undefined;
  const range = /^(\d+(?:\.\d+)?)\.\.(\d+(?:\.\d+)?)$/.exec(value);
  if (range && Number(range[1]) > Number(range[2])) {
    throw new UsageError(
      `Cannot use --delay "${value}": MIN ${range[1]} is above MAX ${range[2]}; write MIN..MAX`,
      usage,
    );
  }
  try {
    return parseLatency(value);
  } catch (error) {
    throw new UsageError(`Cannot use --delay: ${(error as Error).message}`, usage);
  }
}

/**
 * Checks that every machine `--crash` and `--partition` name is one of `machines` (the
 * command's), and never the lab's own `ctl.lab`; throws a {@link UsageError} naming the first
 * that is not, with a did-you-mean and the machines there are. With `--hosts FILE`, every line
 * must place one of them where the lab can run it (the error names the line).
 *
 * @example An unknown machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkFaultTargets } from "./_fault_flags.ts";
 * const faults = { crashes: [{ machine: "m9.lab", at: 10 }], partitions: [] };
 * assert.throws(
 *   () => checkFaultTargets(faults, ["m1.lab", "m2.lab"], "usage"),
 *   /Cannot use --crash: machine "m9.lab" is not in this run/,
 * );
 * ```
 */
export function checkFaultTargets(
  faults: {
    readonly crashes: readonly CrashSpec[];
    readonly partitions: readonly PartitionSpec[];
    readonly skews?: readonly SkewSpec[];
    /** `--hosts FILE`: every line must name a machine of the run. */
    readonly hosts?: HostsFile;
    readonly ssh?: boolean;
  },
  machines: readonly string[],
  usage: string,
): void {
  const check = (flag: string, name: string) => {
    if (name === CONTROL) {
      throw new UsageError(
        `Cannot use --${flag} on "${CONTROL}": it is the lab's own machine (collectors and ` +
          "reports), which faults never touch; name one of the architecture's machines",
        usage,
      );
    }
    if (machines.includes(name)) return;
    const guess = didYouMean(name, machines);
    throw new UsageError(
      `Cannot use --${flag}: machine "${name}" is not in this run${
        guess ? `; did you mean "${guess}"?` : ""
      }\nmachines: ${machines.join(", ")}`,
      usage,
    );
  };
  for (const c of faults.crashes) check("crash", c.machine);
  for (const p of faults.partitions) for (const name of [...p.a, ...p.b]) check("partition", name);
  for (const k of faults.skews ?? []) check("skew", k.machine);
  if (faults.hosts === undefined) return;
  try {
    placeMachines(machines, faults.hosts, {
      ssh: faults.ssh,
      spares: restartedMachines(faults.crashes),
      isLocal: isLocalHost,
    });
  } catch (error) {
    if (error instanceof HostsFileError) throw new UsageError(error.message, usage);
    throw error;
  }
}
