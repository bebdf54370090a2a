/**
 * Errors that callers of the core catch, with structured fields.
 * @module
 */

/**
 * A wait (receive, request, synchronous send) ran past its timeout.
 *
 * @example Catching a timeout
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeoutError } from "./errors.ts";
 * const error = new TimeoutError("receive", 100);
 * assert.equal(error.timeout, 100);
 * assert.match(error.message, /Cannot receive: no answer within 100 ms/);
 * ```
 */
export class TimeoutError extends Error {
  /** The action that timed out. */
  readonly action: string;
  /** The timeout in milliseconds. */
  readonly timeout: number;
  /** Creates the error for `action` after `timeout` ms. */
  constructor(action: string, timeout: number, detail = "") {
    super(
      `Cannot ${action}: no answer within ${timeout} ms${detail ? ` (${detail})` : ""}; ` +
        "raise the timeout or check that the peer is up",
    );
    this.name = "TimeoutError";
    this.action = action;
    this.timeout = timeout;
  }
}

/**
 * A message was addressed to a process that does not exist.
 *
 * @example Unknown process
 * ```ts
 * import assert from "node:assert/strict";
 * import { UnknownProcessError } from "./errors.ts";
 * const error = new UnknownProcessError("kv@m9.lab");
 * assert.match(error.message, /process "kv@m9.lab" is unknown/);
 * ```
 */
export class UnknownProcessError extends Error {
  /** The address that could not be resolved. */
  readonly address: string;
  /** Creates the error for `address`. */
  constructor(address: string, detail = "spawn it first or check the name") {
    super(`Cannot deliver message: process "${address}" is unknown; ${detail}`);
    this.name = "UnknownProcessError";
    this.address = address;
  }
}

/**
 * The process's machine crashed or the process was stopped while it waited.
 *
 * @example Stopped process
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessStoppedError } from "./errors.ts";
 * assert.match(new ProcessStoppedError("kv@m1.lab").message, /kv@m1.lab/);
 * ```
 */
export class ProcessStoppedError extends Error {
  /** The stopped process. */
  readonly address: string;
  /** Creates the error for `address`. */
  constructor(address: string) {
    super(`Cannot continue: process "${address}" was stopped (its machine crashed or shut down)`);
    this.name = "ProcessStoppedError";
    this.address = address;
  }
}

/** Where and when a process failed, for {@link ProcessFailedError}. */
export interface ProcessFailureOptions {
  /** Runtime time of the failure in ms (virtual time in the simulator). */
  readonly time: number;
  /** The simulator's seed; absent on a real host, whose runs do not replay. @default none */
  readonly seed?: number;
  /** How to replay the run, e.g. a `deno task lab ... --seed N` command. @default none */
  readonly replay?: string;
}

/**
 * Code of a process threw (or its promise rejected): the run fails with this error, whose
 * `cause` is what the process threw. A process stopped by its machine's crash or shutdown is
 * not a failure.
 *
 * The message names the process, the time, the seed and how to replay, then the cause:
 * `Cannot run process "bad@m1.lab": it failed at 12.000 ms of virtual time under seed 7 with
 * Error: boom; replay with new Simulator({ seed: 7 })`.
 *
 * @example A failing assertion inside a process fails the run
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessFailedError, Simulator } from "./mod.ts";
 * const sim = new Simulator({ seed: 7 });
 * sim.machine("m1.lab").spawn("bad", async (ctx) => {
 *   await ctx.sleep(12);
 *   assert.equal(1 + 1, 3);
 * });
 * await assert.rejects(sim.run(), ProcessFailedError);
 * ```
 *
 * @example What the error says
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProcessFailedError } from "./errors.ts";
 * const error = new ProcessFailedError("bad@m1.lab", new Error("boom"), {
 *   time: 12,
 *   seed: 7,
 *   replay: "new Simulator({ seed: 7 })",
 * });
 * assert.equal(error.address, "bad@m1.lab");
 * assert.equal(error.seed, 7);
 * assert.equal((error.cause as Error).message, "boom");
 * assert.equal(
 *   error.message,
 *   'Cannot run process "bad@m1.lab": it failed at 12.000 ms of virtual time under seed 7 ' +
 *     "with Error: boom; replay with new Simulator({ seed: 7 })",
 * );
 * ```
 */
export class ProcessFailedError extends Error {
  /** The failed process, `name@machine.domain`. */
  readonly address: string;
  /** Runtime time of the failure in ms (virtual time in the simulator). */
  readonly time: number;
  /** The simulator's seed, when the run replays from one. */
  readonly seed: number | undefined;
  /** How to replay the run, when known. */
  readonly replay: string | undefined;
  /**
   * Failures of other processes that came after this one before the run stopped (at the same
   * virtual instant in the simulator; until `close()` on a real host), in order.
   */
  readonly others: ProcessFailedError[] = [];

  /** Creates the error for process `address`, which threw `cause`. */
  constructor(address: string, cause: unknown, options: ProcessFailureOptions) {
    const when = `${options.time.toFixed(3)} ms` +
      (options.seed === undefined ? "" : ` of virtual time under seed ${options.seed}`);
    super(
      `Cannot run process "${address}": it failed at ${when} with ${summarize(cause)}` +
        (options.replay === undefined ? "" : `; replay with ${options.replay}`),
      { cause },
    );
    this.name = "ProcessFailedError";
    this.address = address;
    this.time = options.time;
    this.seed = options.seed;
    this.replay = options.replay;
  }
}

/** The first line of what a process threw: `Error: boom`, `"text"`, `42`. */
function summarize(cause: unknown): string {
  if (cause instanceof Error) return `${cause.name}: ${cause.message.split("\n")[0]}`;
  if (typeof cause === "string") return JSON.stringify(cause);
  return String(cause);
}

/**
 * A simulated process acted after `sim.run()` had returned: it had awaited something that is not
 * the runtime's (a host timer such as `setTimeout`, `fetch`, file or network I/O), which the
 * simulator cannot see, so virtual time went on without it. Use `ctx.sleep` instead of
 * `setTimeout`, and keep host I/O out of simulated processes.
 *
 * @example The message says what to do instead
 * ```ts
 * import assert from "node:assert/strict";
 * import { ForeignAwaitError } from "./errors.ts";
 * const error = new ForeignAwaitError("late@m1.lab");
 * assert.equal(error.address, "late@m1.lab");
 * assert.match(error.message, /use ctx\.sleep instead of setTimeout/);
 * ```
 */
export class ForeignAwaitError extends Error {
  /** The process that acted outside the simulation. */
  readonly address: string;
  /** Creates the error for process `address`. */
  constructor(address: string) {
    super(
      `Cannot continue process "${address}" outside the simulation: it resumed after ` +
        "sim.run() returned, so it awaited something that is not the runtime's (a host timer, " +
        "fetch, file or network I/O); use ctx.sleep instead of setTimeout, and keep host I/O " +
        "out of simulated processes",
    );
    this.name = "ForeignAwaitError";
    this.address = address;
  }
}
