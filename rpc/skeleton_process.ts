/**
 * The server side of RPC: a skeleton process that takes calls, runs each in its own process (a
 * computation that can be killed between steps of work), replies with the result or a typed
 * error, and applies the orphan policy: kills asked by an exterminating client, kills or probes
 * on a new epoch, quanta carried by the calls. Which call runs and which computation is killed
 * is the {@link CallDispatcher} protocol's, run by core's `drive()`.
 * @module
 */
import { machineOf } from "../core/name.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { drive } from "../core/protocol/drive.ts";
import { copyValue } from "./_copy.ts";
import { Computation, type ComputationSettings } from "./_computation.ts";
import { CallDispatcher, type DispatchOrder } from "./call_dispatcher.ts";
import type { CallScope } from "./call_scope.ts";
import { CallKilledError } from "./errors.ts";
import {
  ERROR_KIND,
  RESULT_KIND,
  type RpcError,
  type RpcResult,
  SERVER_KINDS,
} from "./messages.ts";
import type { OrphanPolicy } from "./orphan_policy.ts";
import type { ProcedureName } from "./stub.ts";
import type { CallOutcome, WorkSink } from "./work_ledger.ts";

/** The server's procedures for interface `T`: each may return its result or a promise of it. */
export type Implementation<T> = {
  readonly [K in ProcedureName<T>]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Awaited<R> | Promise<Awaited<R>>
    : never;
};

/** Options of {@link serveRpc}. */
export interface SkeletonOptions {
  /** Ms one unit of {@link CallScope.work} takes. @default 1 */
  readonly step?: number;
  /**
   * What a client machine's new epoch does: `reincarnation` kills that machine's computations of
   * older epochs (and refuses its calls of older epochs), `gentle` kills those of them whose owner
   * cannot be located; other clients' computations are left alone; other policies ignore epochs.
   * Kill requests (extermination) and quanta (expiration) are honoured under every policy.
   * @default "none"
   */
  readonly policy?: OrphanPolicy;
  /** Ms to wait for the caller's agent to grant another quantum (expiration). @default 50 */
  readonly renewTimeout?: number;
  /** Ms to wait for the caller's agent to confirm it still waits (gentle). @default 50 */
  readonly probeTimeout?: number;
  /** Where the computations report their work (the lab measures wasted work). @default none */
  readonly ledger?: WorkSink;
}

/**
 * A skeleton serving the procedures `implement` returns (called once per call with that call's
 * {@link CallScope}). Unknown procedures and thrown errors come back to the caller as a
 * `RemoteError` with the remote name and message.
 *
 * @throws {RangeError} for a step or timeout that is not a positive number.
 * @example A procedure that works in steps, and a remote error
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { createStub, RemoteError, serveRpc } from "./mod.ts";
 * interface Jobs { crunch(units: number): number }
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("s1.lab").spawn("jobs", serveRpc<Jobs>((scope) => ({
 *   async crunch(units) {
 *     if (units < 0) throw new RangeError(`units ${units} must be 0 or more`);
 *     await scope.work(units);
 *     return scope.units;
 *   },
 * }), { step: 2 }));
 * let done = 0, error = "";
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   const jobs = createStub<Jobs>(ctx, "jobs@s1.lab");
 *   done = await jobs.crunch(10);
 *   await jobs.crunch(-1).catch((e: RemoteError) => error = e.remoteName);
 * });
 * await sim.run();
 * assert.equal(done, 10);
 * assert.equal(error, "RangeError");
 * ```
 */
export function serveRpc<T>(
  implement: (scope: CallScope) => Implementation<T>,
  options: SkeletonOptions = {},
): ProcessFn {
  const settings = skeletonSettings(options);
  const policy = options.policy ?? "none";
  return async (ctx: ProcessContext): Promise<void> => {
    const dispatcher = new CallDispatcher(policy);
    const computations = new Map<string, Computation>();
    const server: CallServer = { implement, dispatcher, computations, ledger: options.ledger };
    let spawned = 0;
    /** Carries out what the dispatcher orders: run a call, kill or probe a computation. */
    const deliver = (order: DispatchOrder): void => {
      if (order.kind === "run") {
        const computation = new Computation(order.call, settings);
        computations.set(order.call.body.id, computation);
        ctx.spawn(`call-${++spawned}`, (cctx) => runCall(cctx, computation, server));
      } else if (order.kind === "kill") computations.get(order.id)!.kill(order.reason);
      else computations.get(order.id)!.probe = true;
    };
    await drive(ctx, dispatcher, { filter: { kind: SERVER_KINDS }, deliver });
  };
}

/** The computations' settings from `options`, each timing checked. */
function skeletonSettings(options: SkeletonOptions): ComputationSettings {
  const step = options.step ?? 1;
  const renewTimeout = options.renewTimeout ?? 50;
  const probeTimeout = options.probeTimeout ?? 50;
  const timings = [["step", step], ["renewTimeout", renewTimeout], ["probeTimeout", probeTimeout]];
  for (const [name, value] of timings as [string, number][]) {
    if (!(value > 0) || value === Infinity) {
      throw new RangeError(`Cannot serve RPC: ${name} ${value} must be a positive number of ms`);
    }
  }
  return { step, renewTimeout, probeTimeout, ledger: options.ledger };
}

/** What a skeleton's computations share: the procedures, the dispatcher, the calls running. */
interface CallServer {
  readonly implement: (scope: CallScope) => unknown;
  readonly dispatcher: CallDispatcher;
  readonly computations: Map<string, Computation>;
  readonly ledger?: WorkSink;
}

/** Runs one call in its own process and replies with its result or its error. */
async function runCall(
  cctx: ProcessContext,
  computation: Computation,
  server: CallServer,
): Promise<void> {
  computation.start(cctx);
  const { call, id } = computation;
  let reply: RpcResult | RpcError;
  let outcome: CallOutcome = "done";
  try {
    reply = await invoke(server.implement(computation) as Record<string, unknown>, computation);
  } catch (error) {
    outcome = error instanceof CallKilledError ? "killed" : "failed";
    const epoch = outcome === "killed" && call.epoch !== undefined
      ? server.dispatcher.epochOf(machineOf(computation.owner))
      : undefined;
    reply = errorReply(id, error, epoch);
  }
  server.computations.delete(id);
  server.dispatcher.ended(id);
  if (outcome === "killed") {
    cctx.log(
      `rpc: killed ${call.method} ${id} (${computation.killed}) after ${computation.units} units`,
    );
  }
  server.ledger?.ended(id, cctx.now(), outcome, computation.killed);
  await cctx.reply(computation.envelope, reply);
}

/** Calls the procedure `computation` names among `procedures`, and copies its result back. */
async function invoke(
  procedures: Record<string, unknown>,
  computation: Computation,
): Promise<RpcResult> {
  const { call, id } = computation;
  const procedure = Object.hasOwn(procedures, call.method) ? procedures[call.method] : undefined;
  if (typeof procedure !== "function") {
    throw new TypeError(
      `Cannot call ${call.method}: the server has no such procedure; it serves ${
        Object.keys(procedures).join(", ")
      }`,
    );
  }
  const args = call.args as unknown[];
  const value = await procedure.apply(procedures, args);
  return {
    kind: RESULT_KIND,
    id,
    value: copyValue(value, `the result of ${call.method}`),
    ...(call.inout ? { out: call.inout.map((i) => copyValue(args[i], `argument ${i}`)) } : {}),
  };
}

/** The error reply for call `id`: the error's name and message (and the epoch that killed it). */
function errorReply(id: string, error: unknown, epoch: number | undefined): RpcError {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    kind: ERROR_KIND,
    id,
    name: e.name,
    message: e.message,
    ...(epoch !== undefined ? { epoch } : {}),
  };
}
