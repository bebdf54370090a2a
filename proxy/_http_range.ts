/**
 * Byte ranges served from a complete stored response (RFC 9110 §14): one `bytes=` range gives a
 * 206 with `Content-Range`, an unsatisfiable one a 416; several ranges, other units, a bad
 * syntax or an `If-Range` that does not match give the whole response (a server may ignore Range).
 * @module
 */

/** What a `Range` header asks of a body of `length` bytes. */
export type RangeAnswer =
  | { readonly kind: "whole" }
  | { readonly kind: "part"; readonly start: number; readonly end: number }
  | { readonly kind: "unsatisfiable" };

const WHOLE: RangeAnswer = { kind: "whole" };

/** Reads `range` (one `bytes=first-last`, `first-` or `-suffix`) against `length`. */
export function byteRange(range: string, length: number): RangeAnswer {
  const m = /^bytes=(\d*)-(\d*)$/i.exec(range.trim());
  if (m === null || (m[1] === "" && m[2] === "")) return WHOLE;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || length === 0) return { kind: "unsatisfiable" };
    return { kind: "part", start: Math.max(0, length - suffix), end: length - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? length - 1 : Number(m[2]);
  if (last < start) return WHOLE;
  if (start >= length) return { kind: "unsatisfiable" };
  return { kind: "part", start, end: Math.min(last, length - 1) };
}

/**
 * Whether an `If-Range` lets the range apply: a strong entity tag equal to the stored one, or
 * exactly the stored `Last-Modified` (RFC 9110 §13.1.5).
 */
export function ifRangeHolds(
  ifRange: string | null,
  etag: string | null,
  lastModified: string | null,
): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"')) return etag !== null && !etag.startsWith("W/") && etag === value;
  if (value.startsWith("W/")) return false;
  return lastModified !== null && value === lastModified;
}
