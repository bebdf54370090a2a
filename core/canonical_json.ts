/**
 * Canonical JSON: the text a value has on the wire, with the keys of every object sorted, so
 * that two machines serialise equal values to equal bytes (what a MAC is computed over).
 * @module
 */

function sortKeys(_key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return value;
  const source = value as Record<string, unknown>;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(source).sort()) sorted[key] = source[key];
  return sorted;
}

/**
 * `value` as JSON with sorted keys; what `JSON.stringify` drops (undefined fields) is dropped.
 *
 * @example Key order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./canonical_json.ts";
 * assert.equal(canonicalJson({ b: 1, a: { d: undefined, c: [2] } }), '{"a":{"c":[2]},"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? "null";
}
