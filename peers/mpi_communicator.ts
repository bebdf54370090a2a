/**
 * MPI-style communication over the core: a {@link Communicator} knows its rank and the size of
 * the group (the list of rank addresses), sends and receives point to point, and runs the
 * collectives barrier, bcast, scatter, gather, allgather, reduce and allreduce. Every rank runs
 * the same program (SPMD) and calls the same collectives in the same order. A receive or a
 * collective that cannot complete fails with a {@link CommunicatorError} naming the missing rank
 * instead of hanging.
 * @module
 */
import type { Envelope } from "../core/envelope.ts";
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { CommunicatorError } from "./mpi_errors.ts";
import { MPI_HELLO, type MpiHello, type MpiPointToPoint, type MpiWelcome } from "./mpi_messages.ts";
import { type ReduceOp, reduceValues } from "./mpi_reduce.ts";
import { MpiChannel } from "./_mpi_channel.ts";

export type { ReduceOp };

/** Options of {@link Communicator}. */
export interface CommunicatorOptions {
  /** Ms a receive or one phase of a collective waits before failing. @default 10_000 */
  readonly timeout?: number;
}

/** Options naming a collective's root rank. */
export interface RootOptions {
  /** The root rank. @default 0 */
  readonly root?: number;
}

/** Options of point-to-point calls. */
export interface TagOptions {
  /** A non-negative integer that keeps independent conversations apart. @default 0 */
  readonly tag?: number;
  /** Ms to wait (receives only). @default the communicator's timeout */
  readonly timeout?: number;
}

/** A message received point to point. */
export interface Received<T> {
  /** The sender's rank. */
  readonly source: number;
  /** The tag it was sent with. */
  readonly tag: number;
  /** The data. */
  readonly data: T;
}

/**
 * One rank's view of an SPMD group.
 *
 * @example Four ranks sum their ranks (in the simulator)
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { Communicator } from "./mpi_communicator.ts";
 * const sim = new Simulator({ seed: 1 });
 * const ranks = [0, 1, 2, 3].map((i) => `spmd@rank${i}.lab`);
 * const sums: number[] = [];
 * for (let i = 0; i < 4; i++) {
 *   sim.machine(`rank${i}.lab`).spawn("spmd", async (ctx) => {
 *     const comm = new Communicator(ctx, ranks);
 *     sums[comm.rank] = await comm.allreduce(comm.rank, "sum");
 *   });
 * }
 * await sim.run();
 * assert.deepEqual(sums, [6, 6, 6, 6]);
 * ```
 */
export class Communicator {
  /** This process's rank, from 0. */
  readonly rank: number;
  /** Number of ranks. */
  readonly size: number;
  /** Address of every rank, by rank. */
  readonly ranks: readonly string[];
  /** The process context underneath. */
  readonly ctx: ProcessContext;
  readonly #ch: MpiChannel;
  #seq = 0;

  /**
   * Creates the communicator of `ctx` among `ranks` (this process must be one of them).
   * Use {@link Communicator.init} when the ranks may not all be running yet.
   */
  constructor(ctx: ProcessContext, ranks: readonly string[], options: CommunicatorOptions = {}) {
    this.ctx = ctx;
    this.ranks = [...ranks];
    this.size = ranks.length;
    const index = new Map<string, number>();
    ranks.forEach((address, i) => index.set(address, i));
    const rank = index.get(ctx.self);
    if (rank === undefined) {
      throw new TypeError(
        `Cannot create communicator: process "${ctx.self}" is not among the ranks ${
          JSON.stringify(ranks)
        }; pass the full canonical addresses`,
      );
    }
    this.rank = rank;
    const timeout = options.timeout ?? 10_000;
    if (!(timeout > 0)) {
      throw new RangeError(`Cannot create communicator: timeout ${timeout} must be above 0`);
    }
    this.#ch = new MpiChannel(ctx, this.ranks, { index, rank, timeout });
  }

  /**
   * Creates the communicator after a handshake (like `MPI_Init`): every rank reports to rank 0,
   * retrying while rank 0 is not running yet, and rank 0 answers once all have reported, so that
   * afterwards every rank can send to every other.
   *
   * @throws {CommunicatorError} naming the ranks that did not report within the timeout.
   */
  static async init(
    ctx: ProcessContext,
    ranks: readonly string[],
    options: CommunicatorOptions = {},
  ): Promise<Communicator> {
    const comm = new Communicator(ctx, ranks, options);
    const ch = comm.#ch;
    const deadline = ctx.now() + ch.timeout;
    if (comm.rank === 0) {
      const hellos: Envelope[] = [];
      const seen = new Set<number>([0]);
      while (seen.size < comm.size) {
        const remaining = deadline - ctx.now();
        const env = remaining > 0 ? await ch.take({ kind: MPI_HELLO }, remaining) : undefined;
        if (env === undefined) {
          const missing = ch.all().filter((r) => !seen.has(r));
          const error = ch.missingError("init", missing, ch.timeout);
          for (const h of hellos) await ctx.reply(h, welcome(error.message));
          throw error;
        }
        const from = ch.index.get(env.from);
        if (from !== undefined && !seen.has(from)) {
          seen.add(from);
          hellos.push(env);
        }
      }
      for (const h of hellos) await ctx.reply(h, welcome());
      return comm;
    }
    for (;;) {
      const remaining = deadline - ctx.now();
      if (remaining <= 0) throw ch.missingError("init", [0], ch.timeout);
      try {
        const answer = await ctx.request<MpiWelcome>(
          ranks[0],
          { kind: MPI_HELLO } satisfies MpiHello,
          {
            timeout: remaining + ch.timeout,
          },
        );
        if (answer.body.abort) throw new CommunicatorError("init", [], answer.body.abort);
        return comm;
      } catch (error) {
        if (error instanceof TimeoutError) throw ch.missingError("init", [0], ch.timeout);
        if (!(error instanceof UnknownProcessError)) throw error;
        await ctx.sleep(Math.min(20, remaining));
      }
    }
  }

  /** Sends `data` to rank `dest` (asynchronously, like a buffered `MPI_Send`). */
  async send(dest: number, data: unknown, options: TagOptions = {}): Promise<void> {
    this.#checkRank(dest, "send to");
    const body: MpiPointToPoint = { kind: `mpi:${tag(options)}`, data };
    await this.ctx.send(this.ranks[dest], body);
  }

  /**
   * Receives the data of the next message from rank `source` (any rank when omitted) with the
   * given tag.
   *
   * @throws {CommunicatorError} when nothing arrives within the timeout.
   */
  async recv<T = unknown>(source?: number, options: TagOptions = {}): Promise<T> {
    return (await this.recvMessage<T>(source, options)).data;
  }

  /** Like {@link Communicator.recv}, with the source and tag of the message. */
  async recvMessage<T = unknown>(source?: number, options: TagOptions = {}): Promise<Received<T>> {
    if (source !== undefined) this.#checkRank(source, "receive from");
    const t = tag(options);
    const timeout = options.timeout ?? this.#ch.timeout;
    const env = await this.#ch.take(
      { kind: `mpi:${t}`, from: source === undefined ? undefined : this.ranks[source] },
      timeout,
    );
    if (env === undefined) {
      const missing = source === undefined
        ? this.#ch.all().filter((r) => r !== this.rank)
        : [source];
      throw this.#ch.missingError("recv", missing, timeout);
    }
    return {
      source: this.#ch.index.get(env.from) ?? -1,
      tag: t,
      data: (env.body as MpiPointToPoint).data as T,
    };
  }

  /** Waits until every rank has called `barrier`. */
  async barrier(): Promise<void> {
    await this.#collective("barrier", 0, () => null, () => null);
  }

  /** Rank `root`'s `data`, delivered to every rank. */
  async bcast<T>(data: T, options: RootOptions = {}): Promise<T> {
    const root = this.#root(options);
    const seq = this.#seq++;
    if (this.rank === root) {
      for (const r of this.#ch.others()) await this.#ch.post(seq, "bcast", r, data);
      return data;
    }
    return await this.#ch.awaitRoot<T>(seq, "bcast", root);
  }

  /** Rank `root` holds one chunk per rank; each rank gets its own. */
  async scatter<T>(chunks: readonly T[] | undefined, options: RootOptions = {}): Promise<T> {
    const root = this.#root(options);
    const seq = this.#seq++;
    if (this.rank !== root) return await this.#ch.awaitRoot<T>(seq, "scatter", root);
    if (!Array.isArray(chunks) || chunks.length !== this.size) {
      const detail = `the root passed ${
        Array.isArray(chunks) ? `${chunks.length} chunks` : JSON.stringify(chunks)
      } for ${this.size} ranks; pass an array with one chunk per rank`;
      await this.#ch.abort(seq, "scatter", [], detail);
      throw new RangeError(`Cannot complete scatter: ${detail}`);
    }
    for (const r of this.#ch.others()) await this.#ch.post(seq, "scatter", r, chunks[r]);
    return chunks[root];
  }

  /** Every rank's `data`, in rank order, at rank `root` (`undefined` elsewhere). */
  async gather<T>(data: T, options: RootOptions = {}): Promise<T[] | undefined> {
    const root = this.#root(options);
    const seq = this.#seq++;
    if (this.rank !== root) {
      await this.#ch.post(seq, "gather", root, data);
      return undefined;
    }
    return await this.#ch.collect<T>(seq, "gather", data);
  }

  /** Every rank's `data`, in rank order, at every rank. */
  async allgather<T>(data: T): Promise<T[]> {
    return await this.#collective("allgather", 0, () => data, (all) => all);
  }

  /** The reduction of every rank's `data` with `op`, at rank `root` (`undefined` elsewhere). */
  async reduce<T>(data: T, op: ReduceOp<T>, options: RootOptions = {}): Promise<T | undefined> {
    const root = this.#root(options);
    const seq = this.#seq++;
    if (this.rank !== root) {
      await this.#ch.post(seq, "reduce", root, data);
      return undefined;
    }
    return reduceValues(await this.#ch.collect<T>(seq, "reduce", data), op);
  }

  /** The reduction of every rank's `data` with `op`, at every rank. */
  async allreduce<T>(data: T, op: ReduceOp<T>): Promise<T> {
    return await this.#collective("allreduce", 0, () => data, (all) => reduceValues(all, op));
  }

  /** Gather to `root`, compute there, broadcast the result: one collective call. */
  async #collective<T, R>(
    op: string,
    root: number,
    contribute: () => T,
    combine: (all: T[]) => R,
  ): Promise<R> {
    const seq = this.#seq++;
    if (this.rank !== root) {
      await this.#ch.post(seq, op, root, contribute());
      return await this.#ch.awaitRoot<R>(seq, op, root);
    }
    const result = combine(await this.#ch.collect<T>(seq, op, contribute()));
    for (const r of this.#ch.others()) await this.#ch.post(seq, op, r, result);
    return result;
  }

  #root(options: RootOptions): number {
    const root = options.root ?? 0;
    this.#checkRank(root, "use root");
    return root;
  }

  #checkRank(rank: number, action: string): void {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.size) {
      throw new RangeError(
        `Cannot ${action} rank ${JSON.stringify(rank)}: ranks go from 0 to ${this.size - 1}`,
      );
    }
  }
}

/** Rank 0's answer to a hello; `abort` when the handshake failed. */
function welcome(abort?: string): MpiWelcome {
  return abort === undefined ? { kind: "mpi-welcome" } : { kind: "mpi-welcome", abort };
}

function tag(options: TagOptions): number {
  const t = options.tag ?? 0;
  if (!Number.isInteger(t) || t < 0) {
    throw new RangeError(`Cannot use tag ${JSON.stringify(t)}: tags are integers >= 0`);
  }
  return t;
}
