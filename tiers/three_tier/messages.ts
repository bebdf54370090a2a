/**
 * The messages of the three-tier architecture, a closed union per link, keyed on `kind`:
 * load generator -> presentation (HTTP carried as a message in the simulator), presentation ->
 * logic (business calls), logic -> its connection pool (leases) and logic -> data (sessions and
 * one transaction per operation). Every call carries the trace id and the budget left in ms.
 * @module
 */
import type { PoolStats } from "./pool_state.ts";

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
  /** The book's number in the catalogue. */
  readonly id: number;
  /** Its ISBN. */
  readonly isbn: string;
  /** Its title. */
  readonly title: string;
  /** Its author. */
  readonly author: string;
  /** Copies the library owns. */
  readonly copies: number;
  /** Copies not on loan now. */
  readonly available: number;
}

/** A loan of one copy of a book to a member. */
export interface Loan {
  /** The loan's number. */
  readonly id: number;
  /** The book lent. */
  readonly bookId: number;
  /** That book's title. */
  readonly title: string;
  /** Who borrowed it. */
  readonly member: string;
  /** Whether the copy came back. */
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
  /** What kind of failure, which also fixes the HTTP status. */
  readonly code: ErrorCode;
  /** What failed and what to do, for a person. */
  readonly message: string;
  /** The wrong fields, for `invalid`. */
  readonly fields?: readonly FieldProblem[];
}

/** An HTTP request carried as a message (the simulator has no sockets). */
export interface HttpRequestMessage {
  /** Always `http`. */
  readonly kind: "http";
  /** The HTTP method: `GET`, `POST` …. */
  readonly method: string;
  /** Path and query: `/api/books?q=dune`. */
  readonly path: string;
  /** Request header fields, lower-case names. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The request body as text. */
  readonly body?: string;
}

/** The answer to an {@link HttpRequestMessage}. */
export interface HttpResponseMessage {
  /** Always `http-response`. */
  readonly kind: "http-response";
  /** The HTTP status code. */
  readonly status: number;
  /** Response header fields, lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  /** The response body as text. */
  readonly body: string;
}

/** The presentation asks the logic tier for a business operation. */
export interface LogicCall {
  /** Always `call`. */
  readonly kind: "call";
  /** The request's trace id, carried through every tier. */
  readonly traceId: string;
  /** The business operation: `overview`, `borrow` …. */
  readonly op: string;
  /** Budget left when the call left the presentation, in ms. */
  readonly budgetMs: number;
  /** The operation's input, validated by the logic tier. */
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
  /** Always `listening`. */
  readonly kind: "listening";
  /** Where the presentation serves HTTP. */
  readonly url: string;
}

/**
 * Whether `value` is a plain object (not null, not an array).
 *
 * @example Plain objects only
 * ```ts
 * import assert from "node:assert/strict";
 * import { isRecord } from "./messages.ts";
 * assert.equal(isRecord({ a: 1 }), true);
 * assert.equal(isRecord([1]), false);
 * assert.equal(isRecord(null), false);
 * ```
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Requests a pool process accepts. */
export type PoolRequest =
  | { readonly kind: "acquire"; readonly waitMs: number }
  | { readonly kind: "release"; readonly session: string | null; readonly broken?: boolean }
  | { readonly kind: "pool-stats" };

/** Answers of a pool process. A `null` session is an empty slot: open a session, then use it. */
export type PoolReply =
  | { readonly kind: "lease"; readonly session: string | null }
  | { readonly kind: "pool-timeout"; readonly waitedMs: number; readonly size: number }
  | { readonly kind: "pool-full"; readonly size: number; readonly queued: number }
  | PoolStats;
