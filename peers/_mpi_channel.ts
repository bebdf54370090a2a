/**
 * The wire side of a communicator: tagged messages of numbered collectives between ranks, the
 * root's collection of one message per rank, aborts that make the other ranks fail at once, and
 * the errors that name the missing ranks.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { CommunicatorError } from "./mpi_errors.ts";
import type { MpiCollective } from "./mpi_messages.ts";

/** One rank's messaging among the ranks of a communicator. */
export class MpiChannel {
  /** The process context underneath. */
  readonly ctx: ProcessContext;
  /** Address of every rank, by rank. */
  readonly ranks: readonly string[];
  /** Rank of every address. */
  readonly index: ReadonlyMap<string, number>;
  /** This process's rank. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Ms a receive or one phase of a collective waits. */
  readonly timeout: number;

  /** Creates the channel of `rank` among `ranks`. */
  constructor(
    ctx: ProcessContext,
    ranks: readonly string[],
    at: { index: ReadonlyMap<string, number>; rank: number; timeout: number },
  ) {
    this.ctx = ctx;
    this.ranks = ranks;
    this.index = at.index;
    this.rank = at.rank;
    this.size = ranks.length;
    this.timeout = at.timeout;
  }

  /** At the root: one message of collective `seq` from every other rank, in rank order. */
  async collect<T>(seq: number, op: string, own: T): Promise<T[]> {
    const values: T[] = new Array(this.size);
    values[this.rank] = own;
    const pending = new Set(this.others());
    const deadline = this.ctx.now() + this.timeout;
    while (pending.size > 0) {
      const env = await this.take({ kind: `mpi-c${seq}` }, deadline - this.ctx.now());
      if (env === undefined) {
        const missing = [...pending];
        const error = this.missingError(op, missing, this.timeout);
        await this.abort(seq, op, missing, error.message.replace(/^Cannot complete \w+: /, ""));
        throw error;
      }
      const from = this.index.get(env.from)!;
      const body = env.body as MpiCollective;
      if (!body.abort && body.op !== op) {
        // The ranks disagree: tell the others, so that they fail now rather than time out.
        const error = mismatch(from, body.op, this.rank, op);
        await this.abort(seq, op, [], error.message.replace(/^Cannot complete \w+: /, ""));
        throw error;
      }
      this.#check(body, op, from);
      values[from] = (env.body as MpiCollective).data as T;
      pending.delete(from);
    }
    return values;
  }

  /** Away from the root: the root's message of collective `seq` (twice the timeout: the root fails first). */
  async awaitRoot<T>(seq: number, op: string, root: number): Promise<T> {
    const env = await this.take(
      { kind: `mpi-c${seq}`, from: this.ranks[root] },
      2 * this.timeout,
    );
    if (env === undefined) throw this.missingError(op, [root], 2 * this.timeout);
    const body = env.body as MpiCollective;
    this.#check(body, op, root);
    return body.data as T;
  }

  #check(body: MpiCollective, op: string, from: number): void {
    if (body.abort) throw new CommunicatorError(op, body.abort.missing, body.abort.detail);
    if (body.op !== op) throw mismatch(from, body.op, this.rank, op);
  }

  /** Sends `data` of collective `seq` to rank `to`. */
  async post(seq: number, op: string, to: number, data: unknown): Promise<void> {
    const body: MpiCollective = { kind: `mpi-c${seq}`, op, data };
    await this.ctx.send(this.ranks[to], body);
  }

  /** Tells every rank but the `missing` ones that collective `seq` failed. */
  async abort(seq: number, op: string, missing: number[], detail: string): Promise<void> {
    for (const r of this.others()) {
      if (missing.includes(r)) continue;
      const body: MpiCollective = { kind: `mpi-c${seq}`, op, abort: { missing, detail } };
      await this.ctx.send(this.ranks[r], body);
    }
  }

  /** Takes a matching message, or `undefined` after `timeout` ms. */
  async take(
    filter: { kind: string; from?: string },
    timeout: number,
  ): Promise<Envelope | undefined> {
    if (!(timeout > 0)) return undefined;
    try {
      return await this.ctx.receive(
        filter.from === undefined ? { kind: filter.kind, timeout } : { ...filter, timeout },
      );
    } catch (error) {
      if (error instanceof TimeoutError) return undefined;
      throw error;
    }
  }

  /** The error of `op` when the `missing` ranks sent nothing within `timeout` ms. */
  missingError(op: string, missing: readonly number[], timeout: number): CommunicatorError {
    const who = missing.map((r) => `${r} (${this.ranks[r]})`).join(", ");
    return new CommunicatorError(
      op,
      missing,
      `rank${missing.length === 1 ? "" : "s"} ${who} sent nothing within ${timeout} ms; ` +
        `it may have crashed or not called ${op}`,
    );
  }

  /** Every rank. */
  all(): number[] {
    return Array.from({ length: this.size }, (_, i) => i);
  }

  /** Every rank but this one. */
  others(): number[] {
    return this.all().filter((r) => r !== this.rank);
  }
}

function mismatch(from: number, theirs: string, rank: number, ours: string): CommunicatorError {
  return new CommunicatorError(
    ours,
    [],
    `rank ${from} called ${theirs} where rank ${rank} called ${ours}; every rank must call the ` +
      "same collectives in the same order",
  );
}
