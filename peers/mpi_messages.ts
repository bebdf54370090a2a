/**
 * The messages between the ranks of an MPI-style communicator, a closed union keyed on `kind`.
 *
 * The handshake (like `MPI_Init`): every rank sends `mpi-hello` to rank 0, which answers each
 * with `mpi-welcome` once all have reported (with `abort` when some did not). Point-to-point
 * data goes in `mpi:<tag>`; the messages of the n-th collective are `mpi-c<n>`, carrying the
 * collective's name so that ranks calling different collectives fail at once, or an `abort`
 * that makes the other ranks fail instead of waiting out their timeout.
 * @module
 */

/** The kind of a rank's hello to rank 0. */
export const MPI_HELLO = "mpi-hello";

/** A rank reports to rank 0 (sent as a request; rank 0 replies with {@link MpiWelcome}). */
export interface MpiHello {
  /** The message kind. */
  readonly kind: typeof MPI_HELLO;
}

/** Rank 0's answer to a hello: every rank has reported, or `abort` says which did not. */
export interface MpiWelcome {
  /** The message kind. */
  readonly kind: "mpi-welcome";
  /** Why the handshake failed (some ranks sent no hello in time); absent when it succeeded. */
  readonly abort?: string;
}

/** Point-to-point data (`Communicator.send`), the tag in the kind so that receives filter on it. */
export interface MpiPointToPoint {
  /** The message kind: `mpi:` and the tag. */
  readonly kind: `mpi:${number}`;
  /** The data sent. */
  readonly data: unknown;
}

/** Why a collective failed, sent to the ranks that still wait for it. */
export interface MpiAbort {
  /** The ranks that sent nothing in time (empty when the ranks called different collectives). */
  readonly missing: readonly number[];
  /** What went wrong, for the error every rank throws. */
  readonly detail: string;
}

/** One message of the n-th collective (broadcast, reduce, gather, barrier, …) of a communicator. */
export interface MpiCollective {
  /** The message kind: `mpi-c` and the collective's sequence number. */
  readonly kind: `mpi-c${number}`;
  /** The collective the sender called (`bcast`, `reduce`, …). */
  readonly op: string;
  /** The sender's contribution or the root's result. */
  readonly data?: unknown;
  /** Set instead of data when the collective failed. */
  readonly abort?: MpiAbort;
}

/**
 * Every message between the ranks of a communicator.
 *
 * @example Telling a failed handshake from a data message
 * ```ts
 * import assert from "node:assert/strict";
 * import type { MpiMessage } from "./mpi_messages.ts";
 * const seen: MpiMessage[] = [
 *   { kind: "mpi:0", data: "Waku Waku" },
 *   { kind: "mpi-welcome", abort: "rank 2 sent nothing within 1000 ms" },
 * ];
 * const failed = seen.filter((m) => m.kind === "mpi-welcome" && m.abort !== undefined);
 * assert.equal(failed.length, 1);
 * ```
 */
export type MpiMessage = MpiHello | MpiWelcome | MpiPointToPoint | MpiCollective;
