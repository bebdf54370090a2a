/**
 * The RPC skeleton's protocol logic, pure: which calls run, which are refused, and which
 * computations an orphan remedy kills or probes. A core {@link Protocol}: a call, kill or epoch
 * message in; replies (refusals) and {@link DispatchOrder}s delivered to the skeleton out. The
 * skeleton process ({@link serveRpc}) runs each ordered call as its own computation and tells
 * the dispatcher when it {@link CallDispatcher.ended}.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { machineOf } from "../core/name.ts";
import type { Effect, Input, Protocol } from "../core/protocol/protocol.ts";
import {
  CALL_KIND,
  EPOCH_KIND,
  ERROR_KIND,
  KILL_KIND,
  type RpcCall,
  type RpcError,
  type RpcMessage,
} from "./messages.ts";
import type { OrphanPolicy } from "./orphan_policy.ts";

/** What the dispatcher asks the skeleton to do with computations. */
export type DispatchOrder =
  /** Run `call` as a new computation. */
  | { readonly kind: "run"; readonly call: Envelope<RpcCall> }
  /** Kill computation `id` before its next step of work, for `reason`. */
  | { readonly kind: "kill"; readonly id: string; readonly reason: string }
  /** Ask the owner of computation `id` whether it still waits (gentle reincarnation). */
  | { readonly kind: "probe"; readonly id: string };

/** What the dispatcher answers with. */
export type DispatchEffect = Effect<RpcMessage, DispatchOrder, never>;

/**
 * The dispatcher of one skeleton under orphan policy `policy`. A call whose id runs already is
 * a duplicate and is ignored; a call killed before it arrived (extermination) is refused. Epochs
 * are incarnations of a client machine (Nelson's reincarnation): under `reincarnation` a call of an epoch older
 * than its client machine's newest is refused, and a newer epoch of a client machine, announced
 * or learnt from a call, kills that machine's computations of older epochs (`gentle` probes them
 * instead); other clients' computations are left alone.
 *
 * @example Extermination before the call arrives refuses it
 * ```ts
 * import assert from "node:assert/strict";
 * import { CallDispatcher } from "./call_dispatcher.ts";
 * import type { RpcMessage } from "./messages.ts";
 * const dispatcher = new CallDispatcher("extermination");
 * const message = (body: RpcMessage) => ({ kind: "message" as const, now: 0, envelope:
 *   { id: "e", from: "client@c1.lab", to: "rpc@s1.lab", kind: body.kind, body, lamport: 0, corr: "c" } });
 * assert.deepEqual(dispatcher.step(message({ kind: "rpc-kill", ids: ["c1#1"] })), []);
 * const effects = dispatcher.step(message({ kind: "rpc-call", id: "c1#1", method: "crunch", args: [5], sent: 0 }));
 * assert.equal(effects[0].kind === "reply" && effects[0].body.kind, "rpc-error");
 * ```
 */
export class CallDispatcher implements Protocol<RpcMessage, DispatchOrder, never> {
  readonly #policy: OrphanPolicy;
  /** Running computations: call id → its client machine and epoch (0 without one), in start order. */
  readonly #running = new Map<string, { readonly client: string; readonly epoch: number }>();
  readonly #tombstones = new Set<string>();
  /** Client machine → the newest epoch this skeleton knows of it. */
  readonly #epochs = new Map<string, number>();

  /** Creates the dispatcher of a skeleton under `policy`. */
  constructor(policy: OrphanPolicy) {
    this.#policy = policy;
  }

  /** The newest epoch this skeleton knows of client machine `machine` (0 before any). */
  epochOf(machine: string): number {
    return this.#epochs.get(machine) ?? 0;
  }

  /** Computation `id` ended (done, failed or killed): a later call with its id runs again. */
  ended(id: string): void {
    this.#running.delete(id);
  }

  /** Takes a call, kill or epoch message; the dispatcher sets no deadline. */
  step(input: Input<RpcMessage>): DispatchEffect[] {
    if (input.kind === "tick") return [];
    const env = input.envelope;
    const body = env.body;
    switch (body.kind) {
      case CALL_KIND:
        return this.#call(env as Envelope<RpcCall>);
      case KILL_KIND: {
        const effects: DispatchEffect[] = [];
        for (const id of body.ids) {
          if (!this.#running.has(id)) this.#tombstones.add(id);
          else {effects.push({
              kind: "deliver",
              value: { kind: "kill", id, reason: "exterminated" },
            });}
        }
        return effects;
      }
      case EPOCH_KIND:
        return this.#newEpoch(machineOf(env.from), body.epoch);
      default:
        return [];
    }
  }

  #call(env: Envelope<RpcCall>): DispatchEffect[] {
    const body = env.body;
    if (this.#running.has(body.id)) return [];
    if (this.#tombstones.has(body.id)) {
      return [this.#refuse(
        env,
        "CallKilledError",
        `Cannot run call "${body.id}": it was exterminated before it arrived`,
      )];
    }
    const effects: DispatchEffect[] = [];
    const client = machineOf(env.from);
    if (body.epoch !== undefined) {
      const known = this.epochOf(client);
      if (this.#policy === "reincarnation" && body.epoch < known) {
        return [this.#refuse(
          env,
          "StaleEpochError",
          `Cannot run call "${body.id}": its epoch ${body.epoch} is older than epoch ${known} of ${client}; call again in the new epoch`,
        )];
      }
      // A newer epoch learnt from a call counts as announced (its announcement may be lost).
      if (body.epoch > known) effects.push(...this.#newEpoch(client, body.epoch));
    }
    this.#running.set(body.id, { client, epoch: body.epoch ?? 0 });
    effects.push({ kind: "deliver", value: { kind: "run", call: env } });
    return effects;
  }

  /**
   * Client machine `client` began epoch `next`: kill (reincarnation) or probe (gentle) its
   * computations of older epochs.
   */
  #newEpoch(client: string, next: number): DispatchEffect[] {
    this.#epochs.set(client, Math.max(this.epochOf(client), next));
    if (this.#policy !== "reincarnation" && this.#policy !== "gentle") return [];
    const effects: DispatchEffect[] = [];
    for (const [id, running] of this.#running) {
      if (running.client !== client || running.epoch >= next) continue;
      effects.push({
        kind: "deliver",
        value: this.#policy === "reincarnation"
          ? { kind: "kill", id, reason: "new epoch" }
          : { kind: "probe", id },
      });
    }
    return effects;
  }

  #refuse(env: Envelope<RpcCall>, name: string, message: string): DispatchEffect {
    const epoch = this.epochOf(machineOf(env.from));
    const body: RpcError = { kind: ERROR_KIND, id: env.body.id, name, message, epoch };
    return { kind: "reply", request: env, body };
  }
}
