/**
 * The business tier's validation and rules: each operation's input is checked field by field
 * (every wrong field is reported, not just the first), normalised (ISBN digits, member names in
 * lower case) and turned into the data operation to run, with the rules' parameters (the loan
 * limit) added.
 * @module
 */
import type { DataOp, FieldProblem } from "./messages.ts";
import { isRecord } from "./messages.ts";

/**
 * An input failed validation; `fields` lists every wrong field (HTTP 400).
 *
 * @example Listing the wrong fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { ValidationError } from "./logic_validation.ts";
 * const error = new ValidationError("addBook", [{ field: "copies", problem: "must be a whole number from 1 to 100" }]);
 * assert.match(error.message, /copies/);
 * ```
 */
export class ValidationError extends Error {
  /** The wrong fields. */
  readonly fields: readonly FieldProblem[];
  /** Creates the error for operation `op`. */
  constructor(op: string, fields: readonly FieldProblem[]) {
    super(
      `Cannot ${op}: ${fields.length} invalid field${fields.length === 1 ? "" : "s"} (` +
        fields.map((f) => `${f.field} ${f.problem}`).join("; ") + ")",
    );
    this.name = "ValidationError";
    this.fields = fields;
  }
}

/** The business rules' settings. */
export interface Rules {
  /** Most loans a member may hold at once. @default 3 */
  readonly maxLoans?: number;
}

/** A validated call: the data operation to run and its parameters. */
export interface ValidCall {
  /** The data operation to run. */
  readonly op: DataOp;
  /** Its parameters, checked. */
  readonly params: Readonly<Record<string, unknown>>;
}

/** The operations the logic tier offers, with the fields each accepts. */
export const LOGIC_OPS: Readonly<Record<string, readonly string[]>> = {
  overview: [],
  listBooks: ["q"],
  getBook: ["id"],
  addBook: ["isbn", "title", "author", "copies"],
  borrow: ["bookId", "member"],
  giveBack: ["loanId"],
  listLoans: ["member"],
};

type Check = (value: unknown) => { value: unknown } | { problem: string };

const id: Check = (value) => {
  const n = typeof value === "string" && /^\d{1,9}$/.test(value) ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) && n >= 1 && n <= 999_999_999
    ? { value: n }
    : { problem: "must be a whole number from 1 (a book or loan id)" };
};

function text(max: number): Check {
  return (value) => {
    if (typeof value !== "string") return { problem: `must be a string of 1 to ${max} characters` };
    const trimmed = value.trim();
    return trimmed.length >= 1 && trimmed.length <= max
      ? { value: trimmed }
      : { problem: `must be 1 to ${max} characters (got ${trimmed.length})` };
  };
}

const isbn: Check = (value) => {
  const digits = typeof value === "string" ? value.replace(/[-\s]/g, "").toUpperCase() : "";
  return /^(\d{13}|\d{9}[\dX])$/.test(digits)
    ? { value: digits }
    : { problem: 'must be an ISBN of 10 or 13 digits (hyphens allowed), like "978-0-14-143951-8"' };
};

const copies: Check = (value) =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 100
    ? { value }
    : { problem: "must be a whole number from 1 to 100" };

const member: Check = (value) => {
  const name = typeof value === "string" ? value.trim().toLowerCase() : "";
  return /^[a-z0-9][a-z0-9 ._-]{0,39}$/.test(name) ? { value: name } : {
    problem:
      "must be 1 to 40 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit",
  };
};

const query: Check = (value) =>
  typeof value === "string" && value.length <= 100
    ? { value: value.trim() }
    : { problem: "must be a string of at most 100 characters" };

const CHECKS: Readonly<Record<string, Check>> = {
  id,
  bookId: id,
  loanId: id,
  isbn,
  title: text(200),
  author: text(100),
  copies,
  member,
  q: query,
};

const OPTIONAL: ReadonlySet<string> = new Set(["q", "listLoans.member"]);

/**
 * Validates the input of logic operation `op` and returns the data operation to run.
 *
 * @throws {ValidationError} listing every wrong or unknown field.
 * @example A loan gets the loan limit; bad fields are all listed
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateCall } from "./logic_validation.ts";
 * assert.deepEqual(validateCall("borrow", { bookId: "2", member: " Ada " }), {
 *   op: "borrow",
 *   params: { bookId: 2, member: "ada", maxLoans: 3 },
 * });
 * assert.throws(
 *   () => validateCall("addBook", { isbn: "12", title: "", copies: 0, colour: "red" }),
 *   (e: { fields: { field: string }[] }) =>
 *     e.fields.map((f) => f.field).join() === "isbn,title,author,copies,colour",
 * );
 * ```
 */
export function validateCall(op: string, input: unknown, rules: Rules = {}): ValidCall {
  const accepted = Object.hasOwn(LOGIC_OPS, op) ? LOGIC_OPS[op] : undefined;
  if (accepted === undefined) {
    throw new ValidationError("call the logic tier", [{
      field: "op",
      problem: `"${op}" is not an operation; use one of ${Object.keys(LOGIC_OPS).join(", ")}`,
    }]);
  }
  const given = input === undefined || input === null ? {} : input;
  if (!isRecord(given)) {
    throw new ValidationError(op, [{ field: "body", problem: "must be a JSON object" }]);
  }
  const problems: FieldProblem[] = [];
  const params: Record<string, unknown> = {};
  for (const field of accepted) {
    const value = given[field];
    if (value === undefined || (value === "" && field === "q")) {
      if (!OPTIONAL.has(field) && !OPTIONAL.has(`${op}.${field}`)) {
        problems.push({ field, problem: "is required" });
      }
      continue;
    }
    const checked = CHECKS[field](value);
    if ("problem" in checked) problems.push({ field, problem: checked.problem });
    else params[field] = checked.value;
  }
  for (const field of Object.keys(given)) {
    if (!accepted.includes(field)) {
      problems.push({
        field,
        problem: `is not accepted by ${op}` +
          (accepted.length > 0 ? `; accepted: ${accepted.join(", ")}` : ""),
      });
    }
  }
  if (problems.length > 0) throw new ValidationError(op, problems);
  if (op === "borrow") params.maxLoans = rules.maxLoans ?? 3;
  return { op: op as DataOp, params };
}
