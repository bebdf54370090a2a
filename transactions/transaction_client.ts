/**
 * The client's transaction primitives over a {@link ProcessContext}: BEGIN_TRANSACTION
 * (`begin`), READ, WRITE, END_TRANSACTION (`end`, which commits through the coordinator's
 * two-phase commit) and ABORT_TRANSACTION (`abort`). One transaction at a time per client.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import { canonical } from "../core/name.ts";
import type { ProcessContext } from "../core/process.ts";
import { numberOption, stringOption } from "./_options.ts";
import {
  type AbortReason,
  TransactionAbortedError,
  TransactionInDoubtError,
} from "./transaction_errors.ts";
import type {
  BeginReply,
  Outcome,
  OutcomeReply,
  RefusedReply,
  TxMessage,
  ValueReply,
} from "./messages.ts";

/** Options of {@link TransactionClient}. */
export interface TransactionClientOptions {
  /** The coordinator's address. */
  readonly coordinator: string;
  /** Ms to wait for BEGIN, a READ, a WRITE or an ABORT. @default 1000 */
  readonly timeout?: number;
  /** Ms to wait for the outcome of END, per attempt. @default 2000 */
  readonly endTimeout?: number;
  /** Attempts at END (a restarted coordinator answers from its log). @default 3 */
  readonly endAttempts?: number;
}

/**
 * A client's transactions. Reads and writes go straight to the participants, tagged with the
 * transaction id; writes stay in the participant's private workspace until END commits them.
 * A refused operation (a lock conflict) aborts the whole transaction and throws
 * {@link TransactionAbortedError}: retry it.
 *
 * @example Abort applies nothing
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { transactionCoordinator } from "./coordinator_process.ts";
 * import { transactionParticipant } from "./participant_process.ts";
 * import { TransactionClient } from "./transaction_client.ts";
 * const sim = new Simulator({ seed: 3 });
 * sim.machine("coord.lab").spawn("tm", transactionCoordinator());
 * sim.machine("p1.lab").spawn("bank", transactionParticipant({ initial: { a: 10 } }));
 * let after: number | undefined;
 * sim.machine("c1.lab").spawn("c", async (ctx) => {
 *   const tx = new TransactionClient(ctx, { coordinator: "tm@coord.lab" });
 *   await tx.begin();
 *   await tx.write("bank@p1.lab", "a", 0);
 *   assert.equal(await tx.read("bank@p1.lab", "a"), 0);
 *   await tx.abort();
 *   await tx.begin();
 *   after = await tx.read<number>("bank@p1.lab", "a");
 *   await tx.end();
 * });
 * await sim.run();
 * assert.equal(after, 10);
 * ```
 */
export class TransactionClient {
  readonly #ctx: ProcessContext;
  readonly #coordinator: string;
  readonly #timeout: number;
  readonly #endTimeout: number;
  readonly #endAttempts: number;
  #txid: string | undefined;
  readonly #ops = new Map<string, number>();

  /** Creates a client running in `ctx`. */
  constructor(ctx: ProcessContext, options: TransactionClientOptions) {
    const owner = "a transaction client";
    this.#ctx = ctx;
    this.#coordinator = canonical(stringOption(owner, "coordinator", options?.coordinator));
    this.#timeout = numberOption(owner, "timeout", options.timeout, 1000, 1);
    this.#endTimeout = numberOption(owner, "endTimeout", options.endTimeout, 2000, 1);
    this.#endAttempts = numberOption(owner, "endAttempts", options.endAttempts, 3, 1);
  }

  /** The open transaction's id, or `undefined`. */
  get txid(): string | undefined {
    return this.#txid;
  }

  /**
   * BEGIN_TRANSACTION: asks the coordinator for a new transaction id.
   * @throws {TypeError} when a transaction is open; {@link TransactionAbortedError}
   * (`unreachable`) when the coordinator does not answer.
   */
  async begin(): Promise<string> {
    if (this.#txid !== undefined) {
      throw new TypeError(
        `Cannot begin a transaction: "${this.#txid}" is still open; end() or abort() it first`,
      );
    }
    try {
      const reply = await this.#ctx.request<BeginReply>(this.#coordinator, { kind: "tx-begin" }, {
        timeout: this.#timeout,
      });
      this.#txid = reply.body.txid;
      this.#ops.clear();
      return this.#txid;
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      throw new TransactionAbortedError("(none)", "unreachable", String(error.message));
    }
  }

  /** READ: the value of `key` at `participant` as this transaction sees it (`undefined` if none). */
  async read<V = unknown>(participant: string, key: string): Promise<V | undefined> {
    const reply = await this.#operate(
      participant,
      (txid, n) => ({ kind: "tx-read", txid, key, n }),
    );
    const value = (reply.body as ValueReply).value;
    return value === null ? undefined : value as V;
  }

  /** WRITE: sets `key` at `participant` in this transaction's private workspace. */
  async write(participant: string, key: string, value: unknown): Promise<void> {
    await this.#operate(participant, (txid, n) => ({ kind: "tx-write", txid, key, value, n }));
  }

  /**
   * END_TRANSACTION: asks the coordinator to commit. Resolves `"committed"` (applied at every
   * participant) or `"aborted"` (applied at none).
   * @throws {TransactionInDoubtError} when the coordinator never answered.
   */
  async end(): Promise<Outcome> {
    const txid = this.#open("end");
    const body: TxMessage = {
      kind: "tx-end",
      txid,
      participants: Object.fromEntries(this.#ops),
    };
    try {
      for (let attempt = 1; attempt <= this.#endAttempts; attempt++) {
        try {
          const reply = await this.#ctx.request<OutcomeReply>(this.#coordinator, body, {
            timeout: this.#endTimeout,
          });
          return reply.body.outcome;
        } catch (error) {
          if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
        }
      }
      throw new TransactionInDoubtError(txid, this.#endAttempts);
    } finally {
      this.#close();
    }
  }

  /** ABORT_TRANSACTION: discards the workspaces and locks at every participant touched. */
  async abort(): Promise<void> {
    const txid = this.#txid;
    if (txid === undefined) return;
    const participants = [...this.#ops.keys()];
    this.#close();
    for (const participant of participants) {
      try {
        await this.#ctx.request(participant, { kind: "tx-abort", txid }, {
          timeout: this.#timeout,
        });
      } catch (error) {
        // An unreachable participant aborts the transaction itself when it stays idle.
        if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      }
    }
  }

  async #operate(
    participant: string,
    build: (txid: string, n: number) => TxMessage,
  ): Promise<Envelope> {
    const txid = this.#open("read or write");
    const address = canonical(participant);
    const n = (this.#ops.get(address) ?? 0) + 1;
    this.#ops.set(address, n);
    let reason: AbortReason;
    let detail: string;
    try {
      const reply = await this.#ctx.request(address, build(txid, n), { timeout: this.#timeout });
      if (reply.kind !== "tx-refused") return reply;
      const refused = reply.body as RefusedReply;
      reason = refused.reason;
      detail = refused.detail;
    } catch (error) {
      if (!(error instanceof TimeoutError || error instanceof UnknownProcessError)) throw error;
      reason = error instanceof TimeoutError ? "timeout" : "unreachable";
      detail = error.message;
    }
    await this.abort();
    throw new TransactionAbortedError(txid, reason, detail);
  }

  #open(action: string): string {
    if (this.#txid === undefined) {
      throw new TypeError(`Cannot ${action}: no transaction is open; call begin() first`);
    }
    return this.#txid;
  }

  #close(): void {
    this.#txid = undefined;
    this.#ops.clear();
  }
}
