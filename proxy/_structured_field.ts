/**
 * A strict parser of Structured Field Dictionaries (RFC 8941 §4.2.2), the syntax of targeted
 * cache-control fields such as `CDN-Cache-Control` (RFC 9213). Parameters are checked and
 * dropped; a value that breaks the grammar makes the whole field invalid.
 * @module
 */

/** One member's value: the bare item's type and value (inner lists are typed `list`). */
export type SfValue =
  | { readonly type: "integer" | "decimal"; readonly value: number }
  | { readonly type: "string" | "token" | "bytes"; readonly value: string }
  | { readonly type: "boolean"; readonly value: boolean }
  | { readonly type: "list"; readonly value: readonly SfValue[] };

const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;
const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const BASE64 = /[A-Za-z0-9+/=]/;

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  fail(): never {
    throw new SyntaxError(`Cannot parse structured field "${this.s}" at ${this.i}`);
  }

  key(): string {
    if (!KEY_START.test(this.s[this.i] ?? "")) this.fail();
    const start = this.i;
    while (this.i < this.s.length && KEY_CHAR.test(this.s[this.i])) this.i++;
    return this.s.slice(start, this.i);
  }

  params(): void {
    while (this.s[this.i] === ";") {
      this.i++;
      while (this.s[this.i] === " ") this.i++;
      this.key();
      if (this.s[this.i] === "=") {
        this.i++;
        this.bare();
      }
    }
  }

  bare(): SfValue {
    const c = this.s[this.i] ?? "";
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    if (c === '"') return this.string();
    if (c === ":") {
      const end = this.s.indexOf(":", this.i + 1);
      if (end < 0) this.fail();
      const value = this.s.slice(this.i + 1, end);
      if (![...value].every((ch) => BASE64.test(ch))) this.fail();
      this.i = end + 1;
      return { type: "bytes", value };
    }
    if (c === "?") {
      const bit = this.s[this.i + 1];
      if (bit !== "0" && bit !== "1") this.fail();
      this.i += 2;
      return { type: "boolean", value: bit === "1" };
    }
    if (TOKEN_START.test(c)) {
      const start = this.i;
      while (this.i < this.s.length && TOKEN_CHAR.test(this.s[this.i])) this.i++;
      return { type: "token", value: this.s.slice(start, this.i) };
    }
    return this.fail();
  }

  number(): SfValue {
    const m = /^-?(\d{1,15})(\.\d{1,3})?/.exec(this.s.slice(this.i));
    if (m === null || (m[2] !== undefined && m[1].length > 12)) this.fail();
    const next = this.s[this.i + m[0].length] ?? "";
    if ((next >= "0" && next <= "9") || next === ".") this.fail();
    this.i += m[0].length;
    return { type: m[2] === undefined ? "integer" : "decimal", value: Number(m[0]) };
  }

  string(): SfValue {
    let value = "";
    for (this.i++; this.i < this.s.length; this.i++) {
      const c = this.s[this.i];
      if (c === "\\") {
        const next = this.s[++this.i];
        if (next !== '"' && next !== "\\") this.fail();
        value += next;
      } else if (c === '"') {
        this.i++;
        return { type: "string", value };
      } else if (c < " " || c > "~") {
        this.fail();
      } else {
        value += c;
      }
    }
    return this.fail();
  }

  member(): SfValue {
    if (this.s[this.i] !== "(") {
      const item = this.bare();
      this.params();
      return item;
    }
    const items: SfValue[] = [];
    this.i++;
    for (;;) {
      while (this.s[this.i] === " ") this.i++;
      if (this.s[this.i] === ")") break;
      items.push(this.bare());
      this.params();
      const c = this.s[this.i];
      if (c !== " " && c !== ")") this.fail();
    }
    this.i++;
    this.params();
    return { type: "list", value: items };
  }
}

/**
 * Parses a Dictionary; `undefined` when the text is not one. A key without a value is `true`;
 * the last of repeated keys wins, as RFC 8941 says.
 *
 * @example A dictionary and two invalid fields
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSfDictionary } from "./_structured_field.ts";
 * const d = parseSfDictionary("max-age=60, no-store, x=\"a\"");
 * assert.deepEqual(d?.get("max-age"), { type: "integer", value: 60 });
 * assert.deepEqual(d?.get("no-store"), { type: "boolean", value: true });
 * assert.equal(parseSfDictionary("max-age= 60"), undefined);
 * assert.equal(parseSfDictionary("max-age=60, &&&"), undefined);
 * ```
 */
export function parseSfDictionary(text: string): Map<string, SfValue> | undefined {
  const p = new Parser(text.replace(/^ +| +$/g, ""));
  const members = new Map<string, SfValue>();
  try {
    while (p.i < p.s.length) {
      const key = p.key();
      let value: SfValue;
      if (p.s[p.i] === "=") {
        p.i++;
        value = p.member();
      } else {
        value = { type: "boolean", value: true };
        p.params();
      }
      members.delete(key);
      members.set(key, value);
      while (p.s[p.i] === " " || p.s[p.i] === "\t") p.i++;
      if (p.i >= p.s.length) break;
      if (p.s[p.i] !== ",") p.fail();
      p.i++;
      while (p.s[p.i] === " " || p.s[p.i] === "\t") p.i++;
      if (p.i >= p.s.length) p.fail();
    }
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // an invalid field is ignored (RFC 9213)
    throw error;
  }
  return members;
}
