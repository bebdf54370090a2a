/**
 * Cache keys of requests: the request's kind and its body as canonical JSON (object keys sorted),
 * so `{kind:"get", key:1, x:2}` and `{x:2, key:1, kind:"get"}` share one cache entry.
 * @module
 */
import { kindOf } from "../core/envelope.ts";

function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") {
    const text = JSON.stringify(value);
    return text === undefined ? "null" : text;
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).sort();
  const parts: string[] = [];
  for (const key of keys) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined || typeof field === "function") continue;
    parts.push(`${JSON.stringify(key)}:${canonical(field)}`);
  }
  return `{${parts.join(",")}}`;
}

/**
 * The cache key of a request body: `<kind> <canonical JSON>`.
 *
 * @example Field order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { requestKey } from "./request_key.ts";
 * assert.equal(requestKey({ kind: "get", key: 1 }), requestKey({ key: 1, kind: "get" }));
 * assert.equal(requestKey({ kind: "get", key: 1 }), 'get {"key":1,"kind":"get"}');
 * assert.notEqual(requestKey({ kind: "get", key: 1 }), requestKey({ kind: "get", key: "1" }));
 * ```
 */
export function requestKey(body: unknown): string {
  return `${kindOf(body)} ${canonical(body)}`;
}
