/**
 * What a `lab node` says when its machine cannot start: a failure caused by its input (the
 * address it listens on, its disk file, the lab it joins) becomes a {@link MachineStartError}
 * naming that input and what to do, which the lab (or `lab node` run by hand) prints without a
 * stack trace or a "looks like a bug" note. Anything else stays as it is: a bug is reported as one.
 * @module
 */
import { MachineStartError } from "../deploy/run_errors.ts";
import { UsageError } from "../_common.ts";

/**
 * The error a start-up failure of machine `machine` is reported as: usage errors and
 * {@link MachineStartError}s as they are, an error whose message starts with `Cannot ` (it names
 * what failed and what to do) as a {@link MachineStartError} caused by it, anything else as it is.
 *
 * @example A disk that cannot be opened is the user's to fix, a TypeError is a bug
 * ```ts
 * import assert from "node:assert/strict";
 * import { startFailure } from "./_start_failure.ts";
 * const disk = new Error('Cannot open the machine\'s disk: "/x" cannot be opened (unable to open database file)');
 * const failure = startFailure("m1.lab", disk);
 * assert.equal(failure instanceof Error && failure.name, "MachineStartError");
 * assert.match(String(failure), /Cannot start machine "m1.lab": cannot open the machine's disk: "\/x"/);
 * const bug = new TypeError("x is not a function");
 * assert.equal(startFailure("m1.lab", bug), bug);
 * ```
 */
export function startFailure(machine: string | undefined, error: unknown): unknown {
  if (
    machine === undefined || error instanceof UsageError || error instanceof MachineStartError ||
    !(error instanceof Error) || !error.message.startsWith("Cannot ")
  ) return error;
  return new MachineStartError(machine, error.message, { cause: error });
}

/**
 * The error for machine `machine` failing to join its lab: a `Cannot ...` message (it says
 * already where it tried and what to do) as a {@link MachineStartError} with that message
 * unchanged; anything else as it is.
 *
 * @example The lab does not listen
 * ```ts
 * import assert from "node:assert/strict";
 * import { joinFailure } from "./_start_failure.ts";
 * const said = "Cannot reach the lab at 127.0.0.1:9 (Connection refused): start the lab";
 * const failure = joinFailure("m1.lab", new Error(said));
 * assert.equal(failure instanceof Error && `${failure.name}: ${failure.message}`, `MachineStartError: ${said}`);
 * ```
 */
export function joinFailure(machine: string, error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith("Cannot ")) return error;
  return new MachineStartError(machine, error.message, { cause: error, asSaid: true });
}

/**
 * The error for machine `machine` failing to listen at `address` (`host:port`): the port in
 * use, the address not this host's, or a port the user may not open; `undefined` for any other
 * error.
 *
 * @example A privileged port
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenFailure } from "./_start_failure.ts";
 * const error = listenFailure("m1.lab", "127.0.0.1:80", new Deno.errors.PermissionDenied("Permission denied (os error 13)"));
 * assert.match(String(error), /Cannot start m1.lab listening at 127.0.0.1:80: Permission denied .*give a port from 1024 up/);
 * assert.equal(listenFailure("m1.lab", "127.0.0.1:80", new TypeError("bug")), undefined);
 * ```
 */
export function listenFailure(machine: string, address: string, error: unknown): Error | undefined {
  const what = error instanceof Deno.errors.PermissionDenied
    ? "this user may not listen on that port; give a port from 1024 up (--listen or the hosts file)"
    : error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.AddrNotAvailable
    ? "another process holds that port, or the address is not this host's"
    : undefined;
  if (what === undefined) return undefined;
  return new Error(
    `Cannot start ${machine} listening at ${address}: ${(error as Error).message} (${what})`,
    { cause: error },
  );
}
