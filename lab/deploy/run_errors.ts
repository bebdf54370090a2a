/**
 * The ways a lab run can end before its workload finished, as named errors: the simulation went
 * quiet or hit its time limit ({@link RunStalledError}), the user pressed Ctrl-C
 * ({@link InterruptedError}), or a process on a machine that is its own OS process failed
 * ({@link MachineProcessError}), or a machine's OS process died and was not restarted
 * ({@link MachineLostError}). The lab prints their messages without a stack trace.
 * @module
 */

/**
 * The simulation stopped before the workload finished: nothing was left to do (a process waits
 * for a message that will never come) or virtual time reached its limit. Its message names the
 * seed; the lab prints the whole replay command on the next line.
 *
 * @example Its fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { RunStalledError } from "./run_errors.ts";
 * const error = new RunStalledError({ time: 8055, seed: 1, reason: "quiet" });
 * assert.equal(error.reason, "quiet");
 * assert.match(error.message, /\(seed 1\): every process waits/);
 * ```
 */
export class RunStalledError extends Error {
  /** Virtual time at which it stopped, in ms. */
  readonly time: number;
  /** The seed the run replays from. */
  readonly seed: number;
  /** `quiet`: nothing left to do; `limit`: the virtual time limit was reached. */
  readonly reason: "quiet" | "limit";
  /** Creates the error. */
  constructor(fields: { time: number; seed: number; reason: "quiet" | "limit" }) {
    super(
      `Cannot finish the run: ${
        fields.reason === "quiet"
          ? "the simulation went quiet"
          : "the simulation reached its time limit"
      } at ${fields.time.toFixed(3)} ms before the workload finished (seed ${fields.seed}): ${
        fields.reason === "quiet"
          ? "every process waits for something that will not come"
          : "it kept going without finishing"
      }; the replay's trace shows its last events`,
    );
    this.name = "RunStalledError";
    this.time = fields.time;
    this.seed = fields.seed;
    this.reason = fields.reason;
  }
}

/**
 * The user interrupted a real-socket run (Ctrl-C); every machine has been told to stop.
 *
 * @example Its message
 * ```ts
 * import assert from "node:assert/strict";
 * import { InterruptedError } from "./run_errors.ts";
 * assert.match(new InterruptedError(1234).message, /interrupted after 1234 ms/);
 * ```
 */
export class InterruptedError extends Error {
  /** Ms since the start of the run. */
  readonly time: number;
  /** What the run had done when interrupted, in a sentence. @default none */
  readonly partial: string | undefined;
  /** Creates the error. */
  constructor(time: number, partial?: string) {
    super(`Cannot finish the run: interrupted after ${time.toFixed(0)} ms (Ctrl-C)`);
    this.name = "InterruptedError";
    this.time = time;
    this.partial = partial;
  }
}

/**
 * A process on a machine that runs as its own OS process threw (or a program could not start).
 *
 * @example Its fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { MachineProcessError } from "./run_errors.ts";
 * const error = new MachineProcessError({ machine: "m1.lab", process: "kv@m1.lab", detail: "Error: boom", time: 12 });
 * assert.match(error.message, /process "kv@m1.lab" failed at 12\.000 ms: Error: boom/);
 * ```
 */
export class MachineProcessError extends Error {
  /** The machine it ran on. */
  readonly machine: string;
  /** The failed process's address, when known. */
  readonly process: string | undefined;
  /** Ms since the start of the run. */
  readonly time: number;
  /** The error as the machine reported it. */
  readonly detail: string;
  /** The stack the machine reported, when any. */
  readonly remoteStack: string | undefined;
  /** Creates the error. */
  constructor(
    fields: { machine: string; process?: string; detail: string; time: number; stack?: string },
  ) {
    super(
      `Cannot finish the run: ${
        fields.process === undefined ? `machine "${fields.machine}"` : `process "${fields.process}"`
      } failed at ${fields.time.toFixed(3)} ms: ${fields.detail}`,
    );
    this.name = "MachineProcessError";
    this.machine = fields.machine;
    this.process = fields.process;
    this.time = fields.time;
    this.detail = fields.detail;
    this.remoteStack = fields.stack;
  }
}

/** A machine whose OS process died during a run (`kill -9`, out of memory), not by the lab. */
export interface MachineLoss {
  /** The machine's name. */
  readonly machine: string;
  /** Ms since the start of the run when the lab noticed. */
  readonly time: number;
  /** The signal that ended it, when a signal did (`SIGKILL`). */
  readonly signal?: string;
  /** Its exit code (128 + the signal's number for a signal). */
  readonly code: number;
  /** How it died in words, when no OS process did (a simulated `--crash` that never restarts). */
  readonly cause?: string;
}

/**
 * How a lost machine died, in words: `killed by SIGKILL (exit code 137)`.
 *
 * @example A signal, and a plain exit
 * ```ts
 * import assert from "node:assert/strict";
 * import { howDied } from "./run_errors.ts";
 * assert.equal(howDied({ machine: "m2.lab", time: 5, signal: "SIGKILL", code: 137 }), "killed by SIGKILL, exit code 137");
 * assert.equal(howDied({ machine: "m2.lab", time: 5, code: 3 }), "exited with code 3");
 * ```
 */
export function howDied(loss: MachineLoss): string {
  if (loss.cause !== undefined) return loss.cause;
  return loss.signal === undefined
    ? `exited with code ${loss.code}`
    : `killed by ${loss.signal}, exit code ${loss.code}`;
}

/**
 * A real-socket run ended before its workload finished because machines died (their OS
 * processes exited, not stopped by the lab) and were not restarted: the others went quiet, or
 * the grace after the death ran out.
 *
 * @example Its fields and message
 * ```ts
 * import assert from "node:assert/strict";
 * import { MachineLostError } from "./run_errors.ts";
 * const error = new MachineLostError([{ machine: "m2.lab", time: 221, signal: "SIGKILL", code: 137 }], 1500);
 * assert.equal(error.lost[0].machine, "m2.lab");
 * assert.match(error.message, /machine "m2.lab" died at 221 ms \(killed by SIGKILL/);
 * ```
 */
export class MachineLostError extends Error {
  /** The machines that died, in the order they did. */
  readonly lost: readonly MachineLoss[];
  /** Ms since the start of the run when it ended. */
  readonly time: number;
  /** Creates the error. */
  constructor(lost: readonly MachineLoss[], time: number) {
    super(
      `Cannot finish the run: ${
        lost.map((l) => `machine "${l.machine}" died at ${l.time.toFixed(0)} ms (${howDied(l)})`)
          .join(", ")
      } and was not restarted; the run ended at ${time.toFixed(0)} ms`,
    );
    this.name = "MachineLostError";
    this.lost = lost;
    this.time = time;
  }
}

/**
 * A machine's OS process could not start (its port in use, its address not this host's, its
 * disk file not openable, no program to start it with...): not a bug of the lab, but something
 * the user fixes, which the message says. The lab reports it without a stack trace.
 *
 * @example A port in use, and a disk that cannot be opened
 * ```ts
 * import assert from "node:assert/strict";
 * import { MachineStartError } from "./run_errors.ts";
 * const error = new MachineStartError("m1.lab", "Cannot start m1.lab listening at 127.0.0.1:4001: Address already in use");
 * assert.equal(error.message, 'Cannot start machine "m1.lab": listening at 127.0.0.1:4001: Address already in use');
 * assert.equal(error.machine, "m1.lab");
 * // What the node said about itself is not said twice.
 * assert.equal(new MachineStartError("m1.lab", error.message).message, error.message);
 * assert.equal(
 *   new MachineStartError("m1.lab", 'Cannot open the disk: "/x" cannot be opened').message,
 *   'Cannot start machine "m1.lab": cannot open the disk: "/x" cannot be opened',
 * );
 * const lab = "Cannot reach the lab at 127.0.0.1:9: start the lab";
 * assert.equal(new MachineStartError("m1.lab", lab, { asSaid: true }).message, lab);
 * ```
 */
export class MachineStartError extends Error {
  /** The machine that could not start. */
  readonly machine: string;
  /**
   * Creates the error from what the machine's node said (`Cannot start m1.lab ...`, or any
   * `Cannot ...` message of what failed); `cause` is the error behind it, if any; `asSaid` keeps
   * the message as it is (it says already which machine and what to do).
   */
  constructor(
    machine: string,
    said: string,
    options: { readonly cause?: unknown; readonly asSaid?: boolean } = {},
  ) {
    const own = [`Cannot start machine ${JSON.stringify(machine)}: `, `Cannot start ${machine} `]
      .find((prefix) => said.startsWith(prefix));
    const cause = own !== undefined
      ? said.slice(own.length)
      : said.startsWith("Cannot ")
      ? `c${said.slice(1)}`
      : said;
    super(
      options.asSaid ? said : `Cannot start machine "${machine}": ${cause}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "MachineStartError";
    this.machine = machine;
  }
}

/** Names of the error classes the lab reports by message alone (no stack trace). */
export const KNOWN_FAILURES: ReadonlySet<string> = new Set([
  "RunStalledError",
  "InterruptedError",
  "MachineProcessError",
  "MachineLostError",
  "MachineStartError",
  "ProcessFailedError",
  "TimeoutError",
  "UnknownProcessError",
]);
