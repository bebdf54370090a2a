/**
 * Canonical JSON: object keys sorted, so equal values give equal text (and equal hashes).
 * @module
 */

/**
 * Serialises `value` with object keys in sorted order at every depth.
 *
 * @example Key order does not matter
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalJson } from "./_canonical_json.ts";
 * assert.equal(canonicalJson({ b: 1, a: [true, { d: null, c: "x" }] }), '{"a":[true,{"c":"x","d":null}],"b":1}');
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(",")}}`;
}
