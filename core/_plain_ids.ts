/**
 * Envelope ids that JSON writes as they are, known by identity. An id is a new string per message
 * (`<sender>#<epoch>.<n>`), made by joining its prefix and number; reading its characters (to
 * find any JSON must escape) first copies the joined string into one piece, which cost the
 * simulator's JSON wire about 80 ns per frame. The runtime checks a process's prefix once and
 * notes each id it makes from a plain prefix here; a reader that meets the same string again
 * (the same object: no characters are read) knows it needs no escape without reading it.
 * @module
 */

/**
 * The id noted last (a send is encoded right after its id is made). One only: comparing an id
 * with an equally long other one (two processes' ids) reads both, which is what it saves.
 */
let noted = "";

/**
 * Whether JSON writes `text` as it is between quotes: printable ASCII other than `"` and `\`.
 *
 * @example Plain and not
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPlainText } from "./_plain_ids.ts";
 * assert.equal(isPlainText("kv@m1.lab#1."), true);
 * assert.equal(isPlainText('say "hi"'), false);
 * assert.equal(isPlainText("caf\u00e9"), false);
 * ```
 */
export function isPlainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * Notes `id`, made of a prefix {@link isPlainText} found plain and a non-negative integer, as
 * plain (see {@link isNotedPlain}). Only the last id noted is remembered.
 *
 * @example A noted id is known plain
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNotedPlain, notePlain } from "./_plain_ids.ts";
 * const id = "kv@m1.lab#1." + 7;
 * notePlain(id);
 * assert.equal(isNotedPlain(id), true);
 * assert.equal(isNotedPlain("other"), false);
 * ```
 */
export function notePlain(id: string): void {
  noted = id;
}

/**
 * Whether `text` is the id noted last: then JSON writes it as it is. A miss says
 * nothing (the caller reads the text).
 *
 * @example Equal text is plain too
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNotedPlain, notePlain } from "./_plain_ids.ts";
 * notePlain("a@m1.lab#1." + 1);
 * assert.equal(isNotedPlain("a@m1.lab#1.1"), true);
 * ```
 */
export function isNotedPlain(text: string): boolean {
  return text === noted;
}
