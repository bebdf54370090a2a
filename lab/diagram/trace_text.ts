/**
 * The per-event text of a trace's files, made in one pass over its events: each event's
 * canonical JSON line (`trace.jsonl`), its entry in the ShiViz log (the same line, without the
 * vector clock, then its host and clock) and its columns in the HTML viewer's data (numbers,
 * each distinct string once). Each string of the trace is quoted once, each vector clock written
 * once (a delivery carries its sending's stamp), and the files are written as UTF-8 bytes
 * straight away (no string per line), so a results folder serialises every event once instead
 * of once per file.
 * @module
 */
import type { DiagramEvent } from "./model.ts";
import { ByteWriter, utf8 } from "./_byte_writer.ts";
import { ShivizClocks } from "./_shiviz_clocks.ts";

/** Vector clocks go into the HTML's data only while they take less than this many characters. */
const VC_BUDGET = 1_500_000;

/** The HTML viewer's data of a trace, as JSON text ready to embed. */
export interface TraceColumns {
  /** Every distinct string, JSON: `["send","a@m1.lab",...]`. */
  readonly strings: string;
  /**
   * The events by column, JSON: `[[t in µs...],[ev...],[at...],[id...],[from...],[to...],[kind...],
   * [label...],[lamport...],[note...]]`, strings by index, -1 where absent.
   */
  readonly columns: string;
  /**
   * The vector clocks, JSON: `[[event, clock], [event, earlier event with the same clock], ...]`;
   * `[]` when they would take more than {@link VC_BUDGET} characters.
   */
  readonly vcs: string;
}

/** Where {@link writeTraceText} puts each file's text. */
export interface TraceTextSinks {
  /** Canonical JSON Lines, each line with its newline. @default none */
  readonly jsonl?: ByteWriter;
  /** The ShiViz log. @default none */
  readonly shiviz?: ByteWriter;
  /** Gather the HTML viewer's columns and return them. @default false */
  readonly columns?: boolean;
}

const K = {
  t: '{"t":',
  ev: ',"ev":',
  at: ',"at":',
  id: ',"id":',
  from: ',"from":',
  to: ',"to":',
  kind: ',"kind":',
  label: ',"label":',
  lamport: ',"lamport":',
  bytes: ',"bytes":',
  note: ',"note":',
  vc: ',"vc":',
};
const CLOSE = 0x7d, NEWLINE = 0x0a;

/**
 * Writes the text of `events` into the sinks asked for, in one pass; returns the HTML viewer's
 * columns when asked for them.
 *
 * @example A sending and its delivery, as JSON Lines, ShiViz and columns
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteWriter, utf8 } from "./_byte_writer.ts";
 * import { writeTraceText } from "./trace_text.ts";
 * const m = { id: "1", from: "a@m1.lab", to: "b@m2.lab", kind: "ping" };
 * const vc = { "a@m1.lab": 1 };
 * const jsonl = new ByteWriter(), shiviz = new ByteWriter();
 * const data = writeTraceText([
 *   { t: 0, ev: "send", at: "a@m1.lab", ...m, vc },
 *   { t: 2, ev: "deliver", at: "b@m2.lab", ...m, vc },
 * ], { jsonl, shiviz, columns: true });
 * const text = (w: ByteWriter) => new TextDecoder().decode(w.view()).split("\n");
 * assert.equal(text(jsonl)[1], '{"t":2,"ev":"deliver","at":"b@m2.lab","id":"1","from":"a@m1.lab",' +
 *   '"to":"b@m2.lab","kind":"ping","vc":{"a@m1.lab":1}}');
 * assert.deepEqual(text(shiviz).slice(2, 4), ['{"t":2,"ev":"deliver","at":"b@m2.lab","id":"1",' +
 *   '"from":"a@m1.lab","to":"b@m2.lab","kind":"ping"}', 'b@m2.lab {"a@m1.lab":1,"b@m2.lab":1}']);
 * assert.deepEqual(JSON.parse(data!.strings), ["send", "a@m1.lab", "1", "b@m2.lab", "ping", "deliver"]);
 * assert.deepEqual(JSON.parse(data!.columns)[1], [0, 5]);
 * assert.equal(data!.vcs, '[[0,{"a@m1.lab":1}],[1,0]]');
 * ```
 */
export function writeTraceText(
  events: readonly DiagramEvent[],
  sinks: TraceTextSinks,
): TraceColumns | undefined {
  const w = new TraceTextWriter(sinks);
  for (let n = 0; n < events.length; n++) w.add(events[n], n);
  return w.columns();
}

/** The state of one pass: the strings met, the clocks written, the columns, the ShiViz clocks. */
class TraceTextWriter {
  /** Where the lines go: the JSONL, or a scratch line for the ShiViz log alone. */
  readonly #line: ByteWriter | undefined;
  readonly #jsonl: boolean;
  readonly #shiviz: ShivizClocks | undefined;
  readonly #cols: number[][] | undefined;
  readonly #strings: string[] = [];
  /** Each string as JSON. */
  readonly #quoted: string[] = [];
  /** Whether a string holds " {" (which the ShiViz log must escape). */
  readonly #brace: boolean[] = [];
  readonly #index = new Map<unknown, number>();
  /**
   * A field and its value as UTF-8 (`,"at":"kv@m1.lab"`), made when first written, for the
   * fields that hold names (met again and again): ev, at, from, to, kind, label, each an entry
   * per string.
   */
  readonly #fields: (Uint8Array | undefined)[][] = [[], [], [], [], [], []];
  /** Each vector clock written: its JSON, and the first event that carried it. */
  readonly #vcText: string[] = [];
  readonly #vcFirst: number[] = [];
  readonly #vcSeen = new Map<object, number>();
  readonly #vcParts: string[] = [];
  #vcSize = 0;

  constructor(sinks: TraceTextSinks) {
    this.#jsonl = sinks.jsonl !== undefined;
    this.#line = sinks.jsonl ?? (sinks.shiviz ? new ByteWriter(1024) : undefined);
    this.#shiviz = sinks.shiviz ? new ShivizClocks(sinks.shiviz) : undefined;
    this.#cols = sinks.columns ? Array.from({ length: 10 }, () => []) : undefined;
  }

  /** The index of string `v` (quoted once, when first met); -1 for none. */
  #s(v: string | undefined): number {
    if (v === undefined) return -1;
    let i = this.#index.get(v);
    if (i === undefined) {
      i = this.#strings.length;
      this.#index.set(v, i);
      this.#strings.push(v);
      this.#quoted.push(JSON.stringify(v));
      this.#brace.push(typeof v === "string" && v.includes(" {"));
      for (const field of this.#fields) field.push(undefined);
    }
    return i;
  }

  /** Writes event `e`, the `n`th. */
  add(e: DiagramEvent, n: number): void {
    const t = Math.round(e.t * 1000) / 1000;
    const ev = this.#s(e.ev), at = this.#s(e.at), id = this.#s(e.id), from = this.#s(e.from);
    const to = this.#s(e.to), kind = this.#s(e.kind), label = this.#s(e.label);
    const note = this.#s(e.note);
    const vc = e.vc === undefined ? -1 : this.#clock(e.vc, n);
    const w = this.#line;
    if (w !== undefined) {
      const start = w.at;
      // Field by field in the canonical order (what `canonicalLine` writes).
      const q = this.#quoted, [fEv, fAt, fFrom, fTo, fKind, fLabel] = this.#fields;
      w.text(K.t), w.number(t);
      w.bytes(fEv[ev] ??= utf8(K.ev + q[ev])), w.bytes(fAt[at] ??= utf8(K.at + q[at]));
      if (id >= 0) w.text(K.id), w.text(q[id]);
      if (from >= 0) w.bytes(fFrom[from] ??= utf8(K.from + q[from]));
      if (to >= 0) w.bytes(fTo[to] ??= utf8(K.to + q[to]));
      if (kind >= 0) w.bytes(fKind[kind] ??= utf8(K.kind + q[kind]));
      if (label >= 0) w.bytes(fLabel[label] ??= utf8(K.label + q[label]));
      if (e.lamport !== undefined) w.text(K.lamport), w.number(e.lamport);
      if (e.bytes !== undefined) w.text(K.bytes), w.number(e.bytes);
      if (note >= 0) w.text(K.note), w.text(q[note]);
      if (this.#shiviz !== undefined) {
        const b = this.#brace;
        const brace = b[at] || (label >= 0 && b[label]) || (note >= 0 && b[note]) ||
          (id >= 0 && b[id]) || (kind >= 0 && b[kind]) || (from >= 0 && b[from]) ||
          (to >= 0 && b[to]);
        this.#shiviz.add(e, w.buf, start, w.at, brace);
      }
      if (!this.#jsonl) w.at = start;
      else if (vc < 0) w.byte(CLOSE), w.byte(NEWLINE);
      else w.text(K.vc), w.text(this.#vcText[vc]), w.byte(CLOSE), w.byte(NEWLINE);
    }
    const c = this.#cols;
    if (c === undefined) return;
    // Times in µs: integers, which JSON writes faster than fractions.
    c[0].push(Math.round(t * 1000)), c[1].push(ev), c[2].push(at), c[3].push(id);
    c[4].push(from), c[5].push(to), c[6].push(kind), c[7].push(label);
    c[8].push(e.lamport ?? -1), c[9].push(note);
  }

  /** The number of clock `vc` (written as JSON when first met, by event `n`). */
  #clock(vc: NonNullable<DiagramEvent["vc"]>, n: number): number {
    let i = this.#vcSeen.get(vc);
    const cols = this.#cols !== undefined;
    if (i !== undefined) {
      if (cols) this.#vcParts.push(`[${n},${this.#vcFirst[i]}]`);
      return i;
    }
    const stamp = vc as { json?: () => string };
    const text = typeof stamp.json === "function" ? stamp.json() : JSON.stringify(vc);
    i = this.#vcText.length;
    this.#vcSeen.set(vc, i);
    this.#vcText.push(text);
    this.#vcFirst.push(n);
    if (cols && this.#vcSize < VC_BUDGET) {
      this.#vcParts.push(`[${n},${text}]`);
      this.#vcSize += text.length;
    }
    return i;
  }

  /** The HTML viewer's columns, if gathered. */
  columns(): TraceColumns | undefined {
    if (this.#cols === undefined) return undefined;
    return {
      strings: JSON.stringify(this.#strings),
      // Arrays of integers: JSON.stringify writes them natively.
      columns: JSON.stringify(this.#cols),
      vcs: this.#vcSize < VC_BUDGET ? `[${this.#vcParts.join(",")}]` : "[]",
    };
  }
}
