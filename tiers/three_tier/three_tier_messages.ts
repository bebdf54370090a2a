/**
 * The messages of the three-tier architecture, a closed union per link, keyed on `kind`:
 * load generator -> presentation (HTTP carried as a message in the simulator), presentation ->
 * logic (business calls) and logic -> data (sessions and one transaction per operation). Every
 * call carries the trace id and the budget left in ms.
 * @module
 */

/** Why a tier refused or failed a request; the presentation maps it to an HTTP status. */
export type ErrorCode =
  | "invalid"
  | "too-large"
  | "not-found"
  | "conflict"
  | "unavailable"
  | "deadline"
  | "internal";

/** HTTP status of each {@link ErrorCode}. */
export const STATUS_OF: Readonly<Record<ErrorCode, number>> = {
  invalid: 400,
  "too-large": 413,
  "not-found": 404,
  conflict: 409,
  unavailable: 503,
  deadline: 504,
  internal: 500,
};

/** A book of the catalogue. */
export interface Book {
  readonly id: number;
  readonly isbn: string;
  readonly title: string;
  readonly author: string;
  readonly copies: number;
  readonly available: number;
}

/** A loan of one copy of a book to a member. */
export interface Loan {
  readonly id: number;
  readonly bookId: number;
  readonly title: string;
  readonly member: string;
  readonly returned: boolean;
}

/** One wrong field of an input. */
export interface FieldProblem {
  /** The field's name (`copies`), or `body` for the whole input. */
  readonly field: string;
  /** What is wrong with it, and what is accepted. */
  readonly problem: string;
}

/** An error as it travels between tiers. */
export interface TierError {
  readonly code: ErrorCode;
  readonly message: string;
  /** The wrong fields, for `invalid`. */
  readonly fields?: readonly FieldProblem[];
}

/** An HTTP request carried as a message (the simulator has no sockets). */
export interface HttpRequestMessage {
  readonly kind: "http";
  readonly method: string;
  /** Path and query: `/api/books?q=dune`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** The answer to an {@link HttpRequestMessage}. */
export interface HttpResponseMessage {
  readonly kind: "http-response";
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** The presentation asks the logic tier for a business operation. */
export interface LogicCall {
  readonly kind: "call";
  readonly traceId: string;
  readonly op: string;
  /** Budget left when the call left the presentation, in ms. */
  readonly budgetMs: number;
  readonly input: unknown;
}

/** Where the time of a call went, in ms, as measured by the tiers. */
export interface Timing {
  /** Time inside the logic tier, pool wait excluded. */
  readonly logicMs: number;
  /** Time waiting for a pooled data connection. */
  readonly poolMs: number;
  /** Time inside the data tier. */
  readonly dataMs: number;
  /** Time on the wire between logic and data (round trips minus data time). */
  readonly netMs: number;
}

/** The logic tier's answer to a {@link LogicCall}. */
export type LogicReply =
  | {
    readonly kind: "logic-ok";
    readonly traceId: string;
    readonly value: unknown;
    readonly timing: Timing;
  }
  | {
    readonly kind: "logic-error";
    readonly traceId: string;
    readonly error: TierError;
    readonly timing: Timing;
  };

/** Data access operations: one transaction each. */
export type DataOp =
  | "overview"
  | "listBooks"
  | "getBook"
  | "addBook"
  | "borrow"
  | "giveBack"
  | "listLoans";

/** The logic tier's requests to the data tier. */
export type DataRequest =
  | { readonly kind: "open" }
  | { readonly kind: "close"; readonly session: string }
  | {
    readonly kind: "exec";
    readonly traceId: string;
    readonly session: string;
    readonly op: DataOp;
    /** Budget left when the request left the logic tier, in ms. */
    readonly budgetMs: number;
    readonly params: Readonly<Record<string, unknown>>;
  };

/** The data tier's answers. `stale-session` means: open a new session and try again. */
export type DataReply =
  | { readonly kind: "opened"; readonly session: string }
  | {
    readonly kind: "data-ok";
    readonly traceId: string;
    readonly value: unknown;
    readonly dataMs: number;
  }
  | {
    readonly kind: "data-error";
    readonly traceId: string;
    readonly error: TierError;
    readonly dataMs: number;
    readonly stale?: true;
  };

/** What the presentation sends its collector once it serves HTTP (real mode). */
export interface ListeningMessage {
  readonly kind: "listening";
  readonly url: string;
}

/**
 * Whether `value` is a plain object (not null, not an array).
 *
 * @example Plain objects only
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRecord } from "./three_tier_messages.ts";
 * assert.equal(isRecord({ a: 1 }), true);
 * assert.equal(isRecord([1]), false);
 * assert.equal(isRecord(null), false);
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
