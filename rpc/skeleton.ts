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
import { Computation } from "./_computation.ts";
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
  const step = options.step ?? 1;
  const renewTimeout = options.renewTimeout ?? 50;
  const probeTimeout = options.probeTimeout ?? 50;
  for (
    const [name, value] of [["step", step], ["renewTimeout", renewTimeout], [
      "probeTimeout",
      probeTimeout,
    ]] as const
  ) {
    if (!(value > 0) || value === Infinity) {
      throw new RangeError(`Cannot serve RPC: ${name} ${value} must be a positive number of ms`);
    }
  }
  const policy = options.policy ?? "none";
  const settings = { step, renewTimeout, probeTimeout, ledger: options.ledger };

  return async (ctx: ProcessContext): Promise<void> => {
    const dispatcher = new CallDispatcher(policy);
    const computations = new Map<string, Computation>();
    let spawned = 0;

    const run = async (cctx: ProcessContext, computation: Computation): Promise<void> => {
      computation.start(cctx);
      const { call, id } = computation;
      let reply: RpcResult | RpcError;
      let outcome: CallOutcome = "done";
      try {
        const procedures = implement(computation) as Record<string, unknown>;
        const procedure = Object.hasOwn(procedures, call.method)
          ? procedures[call.method]
          : undefined;
        if (typeof procedure !== "function") {
          throw new TypeError(
            `Cannot call ${call.method}: the server has no such procedure; it serves ${
              Object.keys(procedures).join(", ")
            }`,
          );
        }
        const args = call.args as unknown[];
        const value = await procedure.apply(procedures, args);
        reply = {
          kind: RESULT_KIND,
          id,
          value: copyValue(value, `the result of ${call.method}`),
          ...(call.inout
            ? { out: call.inout.map((i) => copyValue(args[i], `argument ${i}`)) }
            : {}),
        };
      } catch (error) {
        outcome = error instanceof CallKilledError ? "killed" : "failed";
        const e = error instanceof Error ? error : new Error(String(error));
        reply = {
          kind: ERROR_KIND,
          id,
          name: e.name,
          message: e.message,
          ...(outcome === "killed" && call.epoch !== undefined
            ? { epoch: dispatcher.epochOf(machineOf(computation.owner)) }
            : {}),
        };
      }
      computations.delete(id);
      dispatcher.ended(id);
      if (outcome === "killed") {
        cctx.log(
          `rpc: killed ${call.method} ${id} (${computation.killed}) after ${computation.units} units`,
        );
      }
      settings.ledger?.ended(id, cctx.now(), outcome, computation.killed);
      await cctx.reply(computation.envelope, reply);
    };

    /** Carries out what the dispatcher orders: run a call, kill or probe a computation. */
    const deliver = (order: DispatchOrder): void => {
      if (order.kind === "run") {
        const computation = new Computation(order.call, settings);
        computations.set(order.call.body.id, computation);
        ctx.spawn(`call-${++spawned}`, (cctx) => run(cctx, computation));
      } else if (order.kind === "kill") computations.get(order.id)!.kill(order.reason);
      else computations.get(order.id)!.probe = true;
    };

    await drive(ctx, dispatcher, { filter: { kind: SERVER_KINDS }, deliver });
  };
}
