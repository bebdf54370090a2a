/**
 * The trace's canonical JSON Lines, written fast: each field read by name (not through a loop
 * over the keys, whose property loads V8 cannot specialise), in the canonical order, each value
 * through `JSON.stringify` as `canonicalLine` writes it; the vector clock as its stamp writes
 * itself. The text is the same as `canonicalLine`'s, byte for byte.
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";
import type { TextSink } from "./text_sink.ts";
import { writeTraceText } from "./trace_text.ts";
import { ByteWriter } from "./_byte_writer.ts";

const q = JSON.stringify;

/**
 * The canonical line of `e` (what `canonicalLine` gives), without the newline.
 *
 * @example The same line as the trace writes
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalLine } from "../../core/trace.ts";
 * import { jsonLine } from "./_jsonl.ts";
 * const e = { t: 1.23456, ev: "send" as const, at: "a@m1.lab", id: "1", kind: "get", note: 'a "b"', vc: { "a@m1.lab": 1 } };
 * assert.equal(jsonLine(e), canonicalLine(e));
 * ```
 */
export function jsonLine(e: TraceEvent): string {
  let line = `{"t":${q(Math.round(e.t * 1000) / 1000)},"ev":${q(e.ev)},"at":${q(e.at)}`;
  if (e.id !== undefined) line += `,"id":${q(e.id)}`;
  if (e.from !== undefined) line += `,"from":${q(e.from)}`;
  if (e.to !== undefined) line += `,"to":${q(e.to)}`;
  if (e.kind !== undefined) line += `,"kind":${q(e.kind)}`;
  if (e.label !== undefined) line += `,"label":${q(e.label)}`;
  if (e.lamport !== undefined) line += `,"lamport":${q(e.lamport)}`;
  if (e.bytes !== undefined) line += `,"bytes":${q(e.bytes)}`;
  if (e.note !== undefined) line += `,"note":${q(e.note)}`;
  const vc = e.vc as { json?: () => string } | undefined;
  if (vc === undefined) return line + "}";
  return `${line},"vc":${typeof vc.json === "function" ? vc.json() : q(vc)}}`;
}

/**
 * Writes `events` as canonical JSON Lines into `out`, as one part without its last newline (give
 * the sink `"\n"` as its separator), made as bytes by `writeTraceText`.
 *
 * @example Into a byte sink, as the results folder writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeJsonl } from "./_jsonl.ts";
 * import { ByteSink } from "./text_sink.ts";
 * const sink = new ByteSink("\n");
 * writeJsonl([{ t: 0, ev: "spawn", at: "a@m1.lab" }], sink);
 * assert.equal(new TextDecoder().decode(sink.bytes()), '{"t":0,"ev":"spawn","at":"a@m1.lab"}\n');
 * ```
 */
export function writeJsonl(events: readonly TraceEvent[], out: TextSink): void {
  const jsonl = new ByteWriter();
  writeTraceText(events, { jsonl });
  const text = new TextDecoder().decode(jsonl.view());
  if (text !== "") out.push(text.slice(0, -1));
}
