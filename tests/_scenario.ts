/**
 * Data-driven protocol tests in the manner of etcd-io/raft's `testdata/`: a scenario file lists
 * inputs to a {@link Protocol} and, indented under each, the effects it answered with. The test
 * replays the inputs and compares the whole file; `UPDATE_TESTDATA=1 deno task test` rewrites
 * the effect lines from what the protocol does now (review the diff before committing).
 *
 * The format, one line each (`#` lines and blank lines are kept as they are):
 *
 * ```text
 * # The sentence of the lecture this scenario shows.
 * new {"self":"coord@c.lab"}                     ← builds the protocol from these arguments
 * start at=0                                     ← calls protocol.start(0)
 * message at=10 from=client@c.lab corr=r1 {"kind":"begin"}
 * tick at=310
 *   send to=bank@p1.lab {"kind":"prepare"}       ← effects, indented two spaces
 *   reply to=client@c.lab corr=r1 {"kind":"ok"}
 *   deliver {...}  persist {...}  deadline at=310 (or: none, now)  log text  stop reason
 * ```
 * An envelope inside a delivered value is shown as `{"from", "corr", "body"}`.
 * A message is addressed to the protocol's `self` argument, or `self@scenario.lab`.
 * @module
 */
import assert from "node:assert/strict";
import type { Effect, Protocol } from "../core/protocol/mod.ts";
import type { Envelope } from "../core/envelope.ts";
import { kindOf } from "../core/envelope.ts";

/** Builds the protocol a scenario drives from the arguments on its `new` line. */
export type ProtocolFactory = (args: Record<string, unknown>) => Protocol;

/**
 * Replays the scenario in `file` against protocols built by `make` and asserts that every
 * effect line matches (or rewrites them when `UPDATE_TESTDATA` is set).
 */
export async function runScenario(file: URL, make: ProtocolFactory): Promise<void> {
  const text = await Deno.readTextFile(file);
  const replayed = replay(text, make);
  if (Deno.env.get("UPDATE_TESTDATA")) {
    await Deno.writeTextFile(file, replayed);
    return;
  }
  assert.equal(replayed, text, `scenario ${file.pathname} differs; UPDATE_TESTDATA=1 rewrites it`);
}

/** Runs every input line of `text` and returns the text with the effect lines regenerated. */
export function replay(text: string, make: ProtocolFactory): string {
  const out: string[] = [];
  let protocol: Protocol | undefined;
  let self = "self@scenario.lab";
  let seq = 0;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    if (line.startsWith("  ")) continue; // effects: regenerated below their input
    out.push(line);
    if (line === "" || line.startsWith("#")) continue;
    const { verb, fields, json } = parse(line);
    if (verb === "new") {
      const args = (json ?? {}) as Record<string, unknown>;
      if (typeof args.self === "string") self = args.self;
      protocol = make(args);
      seq = 0;
      continue;
    }
    if (!protocol) throw new SyntaxError(`Cannot replay "${line}": no "new" line before it`);
    const now = Number(fields.at ?? 0);
    let effects: Effect[];
    if (verb === "start") effects = protocol.start?.(now) ?? [];
    else if (verb === "tick") effects = protocol.step({ kind: "tick", now });
    else if (verb === "message") {
      const from = fields.from ?? "peer@scenario.lab";
      const envelope: Envelope = {
        id: `${from}#${++seq}`,
        from,
        to: self,
        kind: kindOf(json),
        body: json,
        lamport: seq,
        ...(fields.corr ? { corr: fields.corr } : {}),
        ...(fields.replyTo ? { replyTo: fields.replyTo } : {}),
      };
      effects = protocol.step({ kind: "message", envelope, now });
    } else throw new SyntaxError(`Cannot replay "${line}": unknown input "${verb}"`);
    for (const effect of effects) out.push(`  ${render(effect)}`);
  }
  return out.join("\n") + "\n";
}

/** Splits `verb key=value ... {json}`. */
function parse(line: string): { verb: string; fields: Record<string, string>; json: unknown } {
  const brace = line.search(/[{["]/);
  const head = brace < 0 ? line : line.slice(0, brace);
  const json = brace < 0 ? undefined : JSON.parse(line.slice(brace));
  const [verb, ...pairs] = head.trim().split(/\s+/);
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq < 0) throw new SyntaxError(`Cannot replay "${line}": "${pair}" is not key=value`);
    fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { verb, fields, json };
}

/** A JSON replacer that shows an envelope inside a delivered value as its sender, corr and body. */
function shortEnvelopes(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  if (!("lamport" in v && "from" in v && "to" in v && "body" in v)) return value;
  return { from: v.from, ...(v.corr !== undefined ? { corr: v.corr } : {}), body: v.body };
}

/** One effect as a line. */
function render(effect: Effect): string {
  switch (effect.kind) {
    case "send":
      return `send to=${effect.to} ${JSON.stringify(effect.body)}`;
    case "reply":
      return `reply to=${effect.request.from} corr=${effect.request.corr} ${
        JSON.stringify(effect.body)
      }`;
    case "deliver":
      return `deliver ${JSON.stringify(effect.value, shortEnvelopes)}`;
    case "persist":
      return `persist ${JSON.stringify(effect.record)}`;
    case "deadline":
      if (effect.at === Infinity) return "deadline none";
      return effect.at === -Infinity ? "deadline now" : `deadline at=${effect.at}`;
    case "log":
      return `log ${effect.text}`;
    case "stop":
      return `stop ${effect.reason}`;
  }
}
