/**
 * A fast 53-bit string hash (cyrb53) for exploration's state deduplication: collisions are
 * rare enough for the small configurations it explores.
 * @module
 */

/**
 * Hashes `text` to a short base-36 string.
 *
 * @example Same text, same hash
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashText } from "./_hash.ts";
 * assert.equal(hashText("m1.lab|ping"), hashText("m1.lab|ping"));
 * assert.notEqual(hashText("m1.lab|ping"), hashText("m1.lab|pong"));
 * ```
 */
export function hashText(text: string): string {
  let h1 = 0xdeadbeef, h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
