/**
 * A ShiViz-compatible log of a trace: for each event, a line describing it, then a line with
 * its host (process address) and its vector clock as JSON, which ShiViz's default parser
 * `(?<event>.*)\n(?<host>\S*) (?<clock>{.*})` reads. ShiViz wants every event of a host to tick
 * that host's own entry by exactly one and to merge the clock of the message it receives, so the
 * clocks are computed here over exactly the events written (the trace's own `vc` counts fewer
 * events and would not satisfy it).
 * @module
 */
import type { TraceEvent } from "../../core/trace.ts";
import type { TextSink } from "./text_sink.ts";

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

const machineOf = (address: string): string => address.slice(address.indexOf("@") + 1);

/** The host (process) an event belongs to; machine-level events go to the sender or receiver. */
function hostOf(e: Omit<TraceEvent, "vc">): string | undefined {
  if (e.at.includes("@")) return e.at;
  if (e.from && machineOf(e.from) === e.at) return e.from;
  if (e.to && machineOf(e.to) === e.at) return e.to;
  return e.from ?? e.to;
}

function describe(e: Omit<TraceEvent, "vc">): string {
  // Concatenated (no array per event): the log has a line per event.
  let line: string = e.ev;
  if (e.kind) line += " " + e.kind;
  if (e.label && e.label !== e.kind) line += " " + JSON.stringify(e.label);
  if (e.from || e.to) line += ` ${e.from ?? "?"} -> ${e.to ?? "?"}`;
  if (e.note) line += ` (${e.note})`;
  if (e.id) line += ` id=${e.id}`;
  line += ` t=${Math.round(e.t * 1000) / 1000}`;
  return line.includes("\n") || line.includes("\r") ? line.replace(/[\r\n]+/g, " ") : line;
}

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
 * assert.equal(log, 'send ping a@m1.lab -> b@m2.lab id=1 t=0\na@m1.lab {"a@m1.lab":1}\n' +
 *   'deliver ping a@m1.lab -> b@m2.lab id=1 t=2\nb@m2.lab {"b@m2.lab":1,"a@m1.lab":1}\n');
 * ```
 */
export function toShiviz(events: readonly Omit<TraceEvent, "vc">[]): string {
  const out: string[] = [];
  writeShiviz(events, out);
  return out.join("");
}

/**
 * Writes the log of {@link toShiviz} into `out`, an event (two lines) per part.
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
  const clocks = new Map<string, Record<string, number>>();
  const sent = new Map<string, Record<string, number>>();
  const hosts: string[] = [];
  const tick = (host: string, text: string, merge?: Record<string, number>) => {
    let clock = clocks.get(host);
    if (!clock) {
      clocks.set(host, clock = {});
      hosts.push(host);
    }
    clock[host] = (clock[host] ?? 0) + 1;
    if (merge) {
      for (const h in merge) if (merge[h] > (clock[h] ?? 0)) clock[h] = merge[h];
    }
    out.push(`${text}\n${host} ${JSON.stringify(clock)}\n`);
    return clock;
  };
  for (const e of events) {
    if (e.ev === "partition" || e.ev === "heal") continue;
    if (e.ev === "crash" || e.ev === "restart") {
      for (const host of hosts) if (machineOf(host) === e.at) tick(host, describe(e));
      continue;
    }
    const host = hostOf(e);
    if (!host) continue;
    let merge: Record<string, number> | undefined;
    if (e.ev === "deliver" && e.id) {
      merge = sent.get(e.id) ?? (e.from ? clocks.get(e.from) : undefined);
    }
    const clock = tick(host, describe(e), merge);
    if ((e.ev === "send" || e.ev === "retransmit") && e.id && !sent.has(e.id)) {
      sent.set(e.id, { ...clock });
    }
  }
}
