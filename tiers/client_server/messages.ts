/**
 * The key-value service's messages: a closed union keyed on `kind`.
 * @module
 */

/** A request to the key-value server. `rid` identifies it across retransmissions. */
export type KvRequest =
  | { readonly kind: "get"; readonly key: string; readonly rid: string }
  | { readonly kind: "put"; readonly key: string; readonly value: string; readonly rid: string }
  | { readonly kind: "del"; readonly key: string; readonly rid: string }
  | { readonly kind: "stats" };

/** A reply from the key-value server. */
export type KvReply =
  | { readonly kind: "value"; readonly key: string; readonly value: string | null }
  | { readonly kind: "ok"; readonly key: string }
  | {
    readonly kind: "stats";
    readonly executed: number;
    readonly deduplicated: number;
    readonly keys: number;
  }
  | { readonly kind: "error"; readonly code: "bad-request"; readonly message: string };

/**
 * Checks that `body` is a well-formed request; returns an error message or `undefined`.
 *
 * @example A bad request
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateKvRequest } from "./messages.ts";
 * assert.equal(validateKvRequest({ kind: "get", key: "x", rid: "c1-1" }), undefined);
 * assert.match(validateKvRequest({ kind: "fly" })!, /unknown kind "fly"/);
 * ```
 */
export function validateKvRequest(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return "the body is not an object";
  const b = body as Record<string, unknown>;
  switch (b.kind) {
    case "stats":
      return undefined;
    case "get":
    case "del":
    case "put":
      if (typeof b.key !== "string" || b.key === "") return `"key" must be a non-empty string`;
      if (typeof b.rid !== "string") return `"rid" must be a string (a request id)`;
      if (b.kind === "put" && typeof b.value !== "string") return `"value" must be a string`;
      return undefined;
    default:
      return `unknown kind ${JSON.stringify(b.kind)}; use get, put, del or stats`;
  }
}
