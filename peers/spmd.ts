/**
 * SPMD (single program, multiple data): the same program runs as every rank of a group, each
 * with its own {@link Communicator}, like `mpiexec -n 4`. A user program is a module whose
 * default export is `async function (comm) { ... }`. {@link spmdRank} is the process of one
 * rank (the lab starts it on each machine, loading the module by URL); {@link simulateSpmd}
 * runs n ranks in the deterministic simulator.
 * @module
 */
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { Simulator, type SimulatorOptions } from "../core/simulator/simulator.ts";
import { Communicator } from "./mpi_communicator.ts";

/** The entry point of an SPMD program: runs once per rank. */
export type SpmdMain = (comm: Communicator) => unknown;

/** What a rank reports when its program ends. */
export interface SpmdReport {
  /** The message kind. */
  readonly kind: "report";
  /** The rank. */
  readonly rank: number;
  /** Whether the program returned without throwing. */
  readonly ok: boolean;
  /** The error's message when it threw. */
  readonly error?: string;
  /** What the program returned, when it is JSON. */
  readonly result?: unknown;
}

/** Options of {@link spmdRank}. */
export interface SpmdRankOptions {
  /** Address of every rank, by rank. */
  readonly ranks: readonly string[];
  /** URL (`file:///...`) of the program module; used when `main` is not given. @default none */
  readonly module?: string;
  /** The program itself (in-process runs). @default the default export of `module` */
  readonly main?: SpmdMain;
  /** Ms a receive or collective waits before failing. @default 10_000 */
  readonly timeout?: number;
  /** Address that gets the {@link SpmdReport}. @default none */
  readonly collector?: string;
  /** In-process observer of the {@link SpmdReport}. @default none */
  readonly onReport?: (report: SpmdReport) => void;
}

/**
 * Address of rank `i` as the lab starts it: process `spmd` on machine `rank<i>.lab`.
 *
 * @example Rank 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankAddress } from "./spmd.ts";
 * assert.equal(rankAddress(1), "spmd@rank1.lab");
 * ```
 */
export function rankAddress(i: number): string {
  return `spmd@rank${i}.lab`;
}

/**
 * Loads the default export of the module at `url` (a `file:` URL or any URL Deno imports).
 *
 * @throws {TypeError} when the module has no default export function.
 * @example A module without a default function is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSpmdMain } from "./spmd.ts";
 * const url = `data:text/javascript,export const x = 1;`;
 * await assert.rejects(loadSpmdMain(url), /no default export function/);
 * const main = await loadSpmdMain(`data:text/javascript,export default (comm) => comm.rank;`);
 * assert.equal(main({ rank: 3 } as never), 3);
 * ```
 */
export async function loadSpmdMain(url: string): Promise<SpmdMain> {
  const module = await import(url);
  if (typeof module.default !== "function") {
    throw new TypeError(
      `Cannot run SPMD program "${url}": it has no default export function; write ` +
        "`export default async function (comm) { ... }`",
    );
  }
  return module.default as SpmdMain;
}

/**
 * The process of one rank: loads the program, joins the group and runs the program.
 *
 * @throws {TypeError} when neither `main` nor `module` is given.
 * @example Rank 0 sends "Waku Waku" to rank 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { rankAddress, spmdRank, type SpmdReport } from "./spmd.ts";
 * const sim = new Simulator({ seed: 1 });
 * const ranks = [rankAddress(0), rankAddress(1)];
 * const reports: SpmdReport[] = [];
 * const fn = spmdRank({
 *   ranks,
 *   main: async (comm) => comm.rank === 0 ? await comm.send(1, "Waku Waku") : await comm.recv(0),
 *   onReport: (r) => reports[r.rank] = r,
 * });
 * sim.machine("rank0.lab").spawn("spmd", fn);
 * sim.machine("rank1.lab").spawn("spmd", fn);
 * await sim.run();
 * assert.equal(reports[1].result, "Waku Waku");
 * ```
 */
export function spmdRank(options: SpmdRankOptions): ProcessFn {
  if (options.main === undefined && typeof options.module !== "string") {
    throw new TypeError("Cannot start SPMD rank: give `main` (a function) or `module` (a URL)");
  }
  return async (ctx: ProcessContext) => {
    const rank = options.ranks.indexOf(ctx.self);
    let report: SpmdReport;
    try {
      const main = options.main ?? await loadSpmdMain(options.module!);
      const comm = await Communicator.init(ctx, options.ranks, { timeout: options.timeout });
      const result = await main(comm);
      report = { kind: "report", rank, ok: true, result: jsonOrUndefined(result) };
    } catch (error) {
      report = {
        kind: "report",
        rank,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    options.onReport?.(report);
    if (options.collector !== undefined) await ctx.send(options.collector, report);
  };
}

/** Options of {@link simulateSpmd}. */
export interface SimulateSpmdOptions {
  /** Number of ranks. @default 2 */
  readonly size?: number;
  /** Seed. @default 1 */
  readonly seed?: number;
  /** Ms a receive or collective waits. @default 10_000 */
  readonly timeout?: number;
  /** Simulator settings other than the seed. @default {} */
  readonly simulator?: Omit<SimulatorOptions, "seed">;
  /** Schedules faults (e.g. `sim.crash("rank2.lab", { at: 5 })`) before the run. @default none */
  readonly setup?: (sim: Simulator) => void;
}

/**
 * Runs `main` as `size` ranks in the simulator; returns every rank's report, by rank (a rank
 * whose machine crashed has none).
 *
 * @example Allgather over three ranks
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulateSpmd } from "./spmd.ts";
 * const { reports } = await simulateSpmd((comm) => comm.allgather(comm.rank * 10), { size: 3 });
 * assert.deepEqual(reports.map((r) => r?.result), [[0, 10, 20], [0, 10, 20], [0, 10, 20]]);
 * ```
 */
export async function simulateSpmd(
  main: SpmdMain,
  options: SimulateSpmdOptions = {},
): Promise<{ reports: (SpmdReport | undefined)[]; sim: Simulator }> {
  const size = options.size ?? 2;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Cannot simulate SPMD: size ${size} must be a whole number >= 1`);
  }
  const sim = new Simulator({ ...options.simulator, seed: options.seed ?? 1 });
  const ranks = Array.from({ length: size }, (_, i) => rankAddress(i));
  const reports: (SpmdReport | undefined)[] = new Array(size).fill(undefined);
  const fn = spmdRank({
    ranks,
    main,
    timeout: options.timeout,
    onReport: (r) => reports[r.rank] = r,
  });
  for (let i = 0; i < size; i++) sim.machine(`rank${i}.lab`).spawn("spmd", fn);
  options.setup?.(sim);
  await sim.run();
  return { reports, sim };
}

function jsonOrUndefined(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return undefined;
  }
}
