/**
 * One server computation: the state the skeleton keeps per call (owner, epoch, quantum, a pending
 * kill or probe) and the {@link CallScope} its procedure works through.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { Address } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import type { CallScope } from "./call_scope.ts";
import { CallKilledError } from "./errors.ts";
import {
  LOCATE_KIND,
  RENEW_KIND,
  type RpcAnswer,
  type RpcCall,
  type RpcLocate,
  type RpcRenew,
} from "./messages.ts";
import type { WorkSink } from "./work_ledger.ts";

/** Settings the skeleton passes to each computation. */
export interface ComputationSettings {
  readonly step: number;
  readonly renewTimeout: number;
  readonly probeTimeout: number;
  readonly ledger?: WorkSink;
}

/** A computation in progress on the server. */
export class Computation implements CallScope {
  readonly id: string;
  readonly method: string;
  readonly owner: Address;
  readonly call: RpcCall;
  readonly envelope: Envelope<RpcCall>;
  /** Set once killed: the reason. */
  killed: string | undefined;
  /** Set when the owner must be located before the next step. */
  probe = false;
  #units = 0;
  #deadline = Infinity;
  #ctx: ProcessContext | undefined;
  readonly #settings: ComputationSettings;

  constructor(envelope: Envelope<RpcCall>, settings: ComputationSettings) {
    this.envelope = envelope;
    this.call = envelope.body;
    this.id = envelope.body.id;
    this.method = envelope.body.method;
    this.owner = envelope.from;
    this.#settings = settings;
  }

  /** The process running it; set when it starts. */
  get ctx(): ProcessContext {
    if (this.#ctx === undefined) {
      throw new TypeError(`Cannot use the scope of call "${this.id}" before it starts`);
    }
    return this.#ctx;
  }

  get units(): number {
    return this.#units;
  }

  /** Binds the computation to the process running it and starts its quantum. */
  start(ctx: ProcessContext): void {
    this.#ctx = ctx;
    if (this.call.quantum !== undefined) this.#deadline = ctx.now() + this.call.quantum;
    this.#settings.ledger?.began({
      id: this.id,
      owner: this.owner,
      server: this.envelope.to,
      method: this.method,
      sent: this.call.sent,
      at: ctx.now(),
    });
  }

  /** Marks it killed; it stops before its next step. */
  kill(reason: string): void {
    this.killed ??= reason;
  }

  async work(units = 1): Promise<void> {
    const ctx = this.ctx;
    for (let i = 0; i < units; i++) {
      await this.#checkpoint(ctx);
      await ctx.sleep(this.#settings.step);
      this.#units++;
      this.#settings.ledger?.unit(this.id, ctx.now());
    }
  }

  async #checkpoint(ctx: ProcessContext): Promise<void> {
    if (this.killed === undefined && this.probe) {
      this.probe = false;
      if (!await this.#ask(ctx, LOCATE_KIND, this.#settings.probeTimeout)) {
        this.kill("owner not located");
      }
    }
    const quantum = this.call.quantum;
    if (this.killed === undefined && quantum !== undefined && ctx.now() >= this.#deadline) {
      if (await this.#ask(ctx, RENEW_KIND, this.#settings.renewTimeout)) {
        this.#deadline = ctx.now() + quantum;
      } else {
        this.kill("quantum expired");
      }
    }
    if (this.killed !== undefined) throw new CallKilledError(this.id, this.killed);
  }

  /** Asks the caller's agent about this call; no answer counts as "nobody waits". */
  async #ask(ctx: ProcessContext, kind: typeof LOCATE_KIND | typeof RENEW_KIND, timeout: number) {
    const question: RpcLocate | RpcRenew = { kind, id: this.id };
    try {
      const answer = await ctx.request<RpcAnswer>(this.call.agent ?? this.owner, question, {
        timeout,
      });
      return answer.body.waiting === true;
    } catch (error) {
      if (error instanceof TimeoutError || error instanceof UnknownProcessError) return false;
      throw error;
    }
  }
}
