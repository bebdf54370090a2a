/**
 * A ShiViz-compatible log of a trace: for each event, a line describing it (its canonical JSON
 * line without the vector clock, as `trace.jsonl` has it), then a line with its host (process
 * address) and its vector clock as JSON, which ShiViz's default parser
 * `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})` reads. ShiViz wants every event of a host to tick
 * that host's own entry by exactly one and to merge the clock of the message it receives, so the
 * clocks are computed here over exactly the events written (the trace's own `vc` counts fewer
 * events and would not satisfy it).
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";
import type { TextSink } from "./text_sink.ts";
import { writeTraceText } from "./trace_text.ts";
import { ByteWriter } from "./_byte_writer.ts";

/**
 * ShiViz's default log-parsing regular expression (with the `m` flag).
 *
 * @example Parsing one event
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHIVIZ_REGEX } from "./shiviz.ts";
 * const m = new RegExp(SHIVIZ_REGEX, "m").exec('send ping\na@m1.lab {"a@m1.lab":1}\n');
 * assert.equal(m?.groups?.host, "a@m1.lab");
 * ```
 */
export const SHIVIZ_REGEX: string = String.raw`(?<event>.*)\n(?<host>\S*) (?<clock>{.*})`;

/**
 * Writes trace events as a ShiViz log (default parser, one execution).
 *
 * @example A request and its delivery
 * ```ts
 * import assert from "node:assert/strict";
 * import { toShiviz } from "./shiviz.ts";
 * const m = { id: "1", from: "a@m1.lab", to: "b@m2.lab", kind: "ping" };
 * const log = toShiviz([
 *   { t: 0, ev: "send", at: "a@m1.lab", ...m },
 *   { t: 2, ev: "deliver", at: "b@m2.lab", ...m },
 * ]);
 * assert.equal(log,
 *   '{"t":0,"ev":"send","at":"a@m1.lab","id":"1","from":"a@m1.lab","to":"b@m2.lab","kind":"ping"}\n' +
 *   'a@m1.lab {"a@m1.lab":1}\n' +
 *   '{"t":2,"ev":"deliver","at":"b@m2.lab","id":"1","from":"a@m1.lab","to":"b@m2.lab","kind":"ping"}\n' +
 *   'b@m2.lab {"a@m1.lab":1,"b@m2.lab":1}\n');
 * ```
 */
export function toShiviz(events: readonly Omit<TraceEvent, "vc">[]): string {
  const out: string[] = [];
  writeShiviz(events, out);
  return out.join("");
}

/**
 * Writes the log of {@link toShiviz} into `out`, as one part (made as bytes by
 * `writeTraceText`).
 *
 * @example Into a byte sink, as the results folder writes it
 * ```ts
 * import assert from "node:assert/strict";
 * import { toShiviz, writeShiviz } from "./shiviz.ts";
 * import { ByteSink } from "./text_sink.ts";
 * const events = [{ t: 0, ev: "spawn" as const, at: "a@m1.lab" }];
 * const sink = new ByteSink();
 * writeShiviz(events, sink);
 * assert.equal(new TextDecoder().decode(sink.bytes()), toShiviz(events));
 * ```
 */
export function writeShiviz(events: readonly Omit<TraceEvent, "vc">[], out: TextSink): void {
  const shiviz = new ByteWriter();
  writeTraceText(events, { shiviz });
  out.push(new TextDecoder().decode(shiviz.view()));
}
