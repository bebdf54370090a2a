/**
 * The running SHA-256 of a trace's canonical lines (without vector clocks), written as UTF-8
 * bytes straight into a buffer that goes to the hash when full. Building each line as a string
 * first made a rope of a dozen pieces per event, which the hash then had to flatten and encode
 * (and the collector to sweep): most of a streamed trace's cost at 10,000 peers.
 * @module
 */
import { createHash } from "node:crypto";
import type { TraceEvent } from "./trace.ts";

/** Bytes gathered before they go to the hash. */
const CHUNK = 1 << 16;

const encoder = new TextEncoder();
const keyBytes = (name: string): Uint8Array => encoder.encode(`"${name}":`);
const T = keyBytes("t"), EV = keyBytes("ev"), AT = keyBytes("at"), ID = keyBytes("id");
const FROM = keyBytes("from"), TO = keyBytes("to"), KIND = keyBytes("kind");
const LABEL = keyBytes("label"), LAMPORT = keyBytes("lamport"), BYTES = keyBytes("bytes");
const NOTE = keyBytes("note");
const OPEN = 0x7b, CLOSE = 0x7d, COMMA = 0x2c, QUOTE = 0x22, NEWLINE = 0x0a;

/**
 * SHA-256 over canonical lines: the bytes of `canonicalLine()` without the vector clock, and a
 * newline, for each event added.
 *
 * @example The digest of one line
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { LineDigest } from "./_line_digest.ts";
 * const digest = new LineDigest();
 * digest.add({ t: 1.5, ev: "log", at: "kv@m1.lab", note: 'say "hi"' });
 * const line = '{"t":1.5,"ev":"log","at":"kv@m1.lab","note":"say \\"hi\\""}\n';
 * assert.equal(digest.hex(), createHash("sha256").update(line).digest("hex"));
 * ```
 */
export class LineDigest {
  readonly #hash = createHash("sha256");
  #buf = new Uint8Array(2 * CHUNK);
  #n = 0;
  #sep = OPEN;
  #lastTime = NaN;
  #lastTimeText = "";

  /** Adds the canonical line of `event` (fields t, ev, at, id, from, to, kind, label, lamport, bytes, note). */
  add(event: TraceEvent): void {
    this.#sep = OPEN;
    // A property read per field (this runs per event).
    this.#fields(
      event.t,
      event.ev,
      event.at,
      event.id,
      event.from,
      event.to,
      event.kind,
      event.label,
      event.lamport,
    );
    if (event.bytes !== undefined) this.#key(BYTES), this.#value(event.bytes);
    if (event.note !== undefined) this.#key(NOTE), this.#string(event.note);
    this.#end();
  }

  /**
   * Adds the canonical line of a message event given by its fields (as {@link LineDigest.add}
   * of the event object, `to` and `label` left out when undefined), without the object.
   */
  message(
    t: number,
    ev: string,
    at: string,
    id: string,
    from: string,
    to: string | undefined,
    kind: string,
    label: string | undefined,
    lamport: number | undefined,
  ): void {
    this.#sep = OPEN;
    this.#fields(t, ev, at, id, from, to, kind, label, lamport);
    this.#end();
  }

  /** The fields up to `lamport`, in the canonical order, those undefined left out. */
  #fields(
    t: number | undefined,
    ev: string | undefined,
    at: string | undefined,
    id: string | undefined,
    from: string | undefined,
    to: string | undefined,
    kind: string | undefined,
    label: string | undefined,
    lamport: number | undefined,
  ): void {
    if (t !== undefined) this.#key(T), this.#ascii(this.#time(t));
    if (ev !== undefined) this.#key(EV), this.#string(ev);
    if (at !== undefined) this.#key(AT), this.#string(at);
    if (id !== undefined) this.#key(ID), this.#string(id);
    if (from !== undefined) this.#key(FROM), this.#string(from);
    if (to !== undefined) this.#key(TO), this.#string(to);
    if (kind !== undefined) this.#key(KIND), this.#string(kind);
    if (label !== undefined) this.#key(LABEL), this.#string(label);
    if (lamport !== undefined) this.#key(LAMPORT), this.#value(lamport);
  }

  /** Closes the line (`{}` for an event without fields). */
  #end(): void {
    this.#room(3);
    if (this.#sep === OPEN) this.#buf[this.#n++] = OPEN;
    this.#buf[this.#n++] = CLOSE;
    this.#buf[this.#n++] = NEWLINE;
    if (this.#n >= CHUNK) this.#flush();
  }

  /** The digest so far, in hex (more lines may follow). */
  hex(): string {
    return this.#hash.copy().update(this.#buf.subarray(0, this.#n)).digest("hex");
  }

  #flush(): void {
    this.#hash.update(this.#buf.subarray(0, this.#n));
    this.#n = 0;
  }

  /** Makes room for `bytes` more bytes. */
  #room(bytes: number): void {
    if (this.#n + bytes <= this.#buf.length) return;
    this.#flush();
    if (bytes > this.#buf.length) this.#buf = new Uint8Array(bytes + CHUNK);
  }

  /** The separator, then `"name":`. */
  #key(name: Uint8Array): void {
    this.#room(name.length + 1);
    const buf = this.#buf;
    let n = this.#n;
    buf[n++] = this.#sep;
    this.#sep = COMMA;
    for (let i = 0; i < name.length; i++) buf[n++] = name[i];
    this.#n = n;
  }

  /** What `JSON.stringify` makes of a time rounded to microseconds (a run at one instant: once). */
  #time(t: number): string {
    if (t !== this.#lastTime) {
      this.#lastTimeText = jsonNumber(Math.round(t * 1000) / 1000);
      this.#lastTime = t;
    }
    return this.#lastTimeText;
  }

  /** A number as `JSON.stringify` writes it; anything else through it. */
  #value(value: unknown): void {
    if (typeof value === "number") this.#ascii(jsonNumber(value));
    else this.#utf8(JSON.stringify(value));
  }

  /** A string as `JSON.stringify` writes it: printable ASCII without `"` or `\` as it is. */
  #string(value: unknown): void {
    if (typeof value !== "string") return this.#value(value);
    this.#room(value.length + 2);
    const buf = this.#buf, start = this.#n;
    let n = start;
    buf[n++] = QUOTE;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.#n = start;
        return this.#utf8(JSON.stringify(value));
      }
      buf[n++] = c;
    }
    buf[n++] = QUOTE;
    this.#n = n;
  }

  /** Text known to be ASCII. */
  #ascii(text: string): void {
    this.#room(text.length);
    const buf = this.#buf;
    let n = this.#n;
    for (let i = 0; i < text.length; i++) buf[n++] = text.charCodeAt(i);
    this.#n = n;
  }

  /** Any text, as UTF-8. */
  #utf8(text: string): void {
    this.#room(3 * text.length);
    this.#n += encoder.encodeInto(text, this.#buf.subarray(this.#n)).written;
  }
}

/** What `JSON.stringify` makes of a number. */
function jsonNumber(value: number): string {
  return Number.isFinite(value) ? `${value}` : "null";
}
