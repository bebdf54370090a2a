/**
 * The server side of RPC: a skeleton process that takes calls, runs each in its own process (a
 * computation that can be killed between steps of work), replies with the result or a typed
 * error, and applies the orphan policy: kills asked by an exterminating client, kills or probes
 * on a new epoch, quanta carried by the calls.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { copyValue } from "./_copy.ts";
import { Computation } from "./_computation.ts";
import type { CallScope } from "./call_scope.ts";
import { CallKilledError } from "./errors.ts";
import {
  CALL_KIND,
  EPOCH_KIND,
  ERROR_KIND,
  KILL_KIND,
  RESULT_KIND,
  type RpcCall,
  type RpcError,
  type RpcMessage,
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
   * What a new epoch does: `reincarnation` kills every older computation (and refuses calls of
   * older epochs), `gentle` kills those whose owner cannot be located; other policies ignore it.
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
    const running = new Map<string, Computation>();
    const tombstones = new Set<string>();
    let epoch = 0;
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
          ...(outcome === "killed" && call.epoch !== undefined ? { epoch } : {}),
        };
      }
      running.delete(id);
      if (outcome === "killed") {
        cctx.log(
          `rpc: killed ${call.method} ${id} (${computation.killed}) after ${computation.units} units`,
        );
      }
      settings.ledger?.ended(id, cctx.now(), outcome, computation.killed);
      await cctx.reply(computation.envelope, reply);
    };

    const refuse = (env: Envelope<RpcCall>, name: string, message: string): Promise<void> =>
      ctx.reply(env, { kind: ERROR_KIND, id: env.body.id, name, message, epoch } as RpcError);

    /** Epoch `next` began: kill (reincarnation) or probe (gentle) the older computations. */
    const newEpoch = (next: number): void => {
      epoch = Math.max(epoch, next);
      if (policy !== "reincarnation" && policy !== "gentle") return;
      for (const computation of running.values()) {
        if ((computation.call.epoch ?? 0) >= next) continue;
        if (policy === "reincarnation") computation.kill("new epoch");
        else computation.probe = true;
      }
    };

    for (;;) {
      const env = await ctx.receive<RpcMessage>({ kind: SERVER_KINDS });
      const body = env.body;
      if (body.kind === CALL_KIND) {
        const call = env as Envelope<RpcCall>;
        if (running.has(body.id)) continue;
        if (tombstones.has(body.id)) {
          await refuse(
            call,
            "CallKilledError",
            `Cannot run call "${body.id}": it was exterminated before it arrived`,
          );
          continue;
        }
        if (body.epoch !== undefined) {
          if (policy === "reincarnation" && body.epoch < epoch) {
            await refuse(
              call,
              "StaleEpochError",
              `Cannot run call "${body.id}": its epoch ${body.epoch} is older than epoch ${epoch}; call again in the new epoch`,
            );
            continue;
          }
          // A newer epoch learnt from a call counts as announced (its announcement may be lost).
          if (body.epoch > epoch) newEpoch(body.epoch);
        }
        const computation = new Computation(call, settings);
        running.set(body.id, computation);
        ctx.spawn(`call-${++spawned}`, (cctx) => run(cctx, computation));
      } else if (body.kind === KILL_KIND) {
        for (const id of body.ids) {
          const computation = running.get(id);
          if (computation === undefined) tombstones.add(id);
          else computation.kill("exterminated");
        }
      } else if (body.kind === EPOCH_KIND) {
        newEpoch(body.epoch);
      }
    }
  };
}
