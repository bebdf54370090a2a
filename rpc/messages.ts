/**
 * The messages of the RPC protocol: a closed union keyed on `kind`. A call travels as a core
 * request and its outcome as the reply; kills and epoch announcements are plain messages; renewal
 * and location probes are requests from a server computation to the caller's RPC agent.
 * @module
 */
import type { Address } from "../core/name.ts";

/** Kind of a call message. */
export const CALL_KIND = "rpc-call";
/** Kind of a successful reply. */
export const RESULT_KIND = "rpc-result";
/** Kind of an error reply. */
export const ERROR_KIND = "rpc-error";
/** Kind of an extermination request (the restarted client kills its logged calls). */
export const KILL_KIND = "rpc-kill";
/** Kind of an epoch announcement (reincarnation and gentle reincarnation). */
export const EPOCH_KIND = "rpc-epoch";
/** Kind of a request for another quantum (expiration). */
export const RENEW_KIND = "rpc-renew";
/** Kind of a probe asking whether the owner of a call still waits for it (gentle reincarnation). */
export const LOCATE_KIND = "rpc-locate";
/** Kind of the agent's answer to a renewal or a probe. */
export const ANSWER_KIND = "rpc-answer";

/** A call: method, arguments (copied), and what the orphan policy adds. */
export interface RpcCall {
  /** The message kind. */
  readonly kind: typeof CALL_KIND;
  /** Call id, unique across the caller's incarnations. */
  readonly id: string;
  /** Name of the remote procedure. */
  readonly method: string;
  /** The arguments, as a JSON copy of the caller's values. */
  readonly args: readonly unknown[];
  /** The caller's clock when it sent the call (the lab measures orphans with it). */
  readonly sent: number;
  /** Indexes of the arguments passed by copy/restore. */
  readonly inout?: readonly number[];
  /** The caller's epoch (reincarnation and gentle reincarnation). */
  readonly epoch?: number;
  /** Quantum in ms the computation may run before it must ask for another (expiration). */
  readonly quantum?: number;
  /** The caller's RPC agent, which answers renewals and probes. */
  readonly agent?: Address;
}

/** A successful outcome: the return value and the final state of the copy/restore arguments. */
export interface RpcResult {
  /** The message kind. */
  readonly kind: typeof RESULT_KIND;
  /** The call it answers. */
  readonly id: string;
  /** The procedure's return value. */
  readonly value: unknown;
  /** Final state of each copy/restore argument, in the order of `RpcCall.inout`. */
  readonly out?: readonly unknown[];
}

/** A failed outcome: the remote error's name and message. */
export interface RpcError {
  /** The message kind. */
  readonly kind: typeof ERROR_KIND;
  /** The call it answers. */
  readonly id: string;
  /** The remote error's class name (`TypeError`, `CallKilledError`, `StaleEpochError`, ...). */
  readonly name: string;
  /** The remote error's message. */
  readonly message: string;
  /** The server's epoch, when it refused or killed the call because of an epoch. */
  readonly epoch?: number;
}

/** Kills the computations of these calls (extermination). */
export interface RpcKill {
  /** The message kind. */
  readonly kind: typeof KILL_KIND;
  /** Ids of the calls to kill. */
  readonly ids: readonly string[];
}

/** Declares the start of epoch `epoch` (reincarnation). */
export interface RpcEpoch {
  /** The message kind. */
  readonly kind: typeof EPOCH_KIND;
  /** The new epoch. */
  readonly epoch: number;
}

/** Asks the caller's agent for another quantum for call `id`. */
export interface RpcRenew {
  /** The message kind. */
  readonly kind: typeof RENEW_KIND;
  /** The call. */
  readonly id: string;
}

/** Asks the caller's agent whether someone still waits for call `id`. */
export interface RpcLocate {
  /** The message kind. */
  readonly kind: typeof LOCATE_KIND;
  /** The call. */
  readonly id: string;
}

/** The agent's answer: `waiting` is true while the caller waits for call `id`. */
export interface RpcAnswer {
  /** The message kind. */
  readonly kind: typeof ANSWER_KIND;
  /** The call asked about. */
  readonly id: string;
  /** Whether the caller still waits for it. */
  readonly waiting: boolean;
}

/** Every RPC message. */
export type RpcMessage =
  | RpcCall
  | RpcResult
  | RpcError
  | RpcKill
  | RpcEpoch
  | RpcRenew
  | RpcLocate
  | RpcAnswer;

/** Kinds of the messages a server's skeleton takes. */
export const SERVER_KINDS: readonly string[] = [CALL_KIND, KILL_KIND, EPOCH_KIND];
