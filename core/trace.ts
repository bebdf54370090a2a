/**
 * Traces: every send, delivery, drop, duplicate, retransmission, timer and crash as an event.
 * @module
 */
import { createHash } from "node:crypto";
import type { Envelope } from "./envelope.ts";
import type { VectorClock } from "./vector_clock.ts";
import { VectorStamp } from "./vector_stamp.ts";

/** What happened. */
export type TraceEventType =
  | "spawn"
  | "exit"
  | "send"
  | "deliver"
  | "receive"
  | "drop"
  | "duplicate"
  | "retransmit"
  | "ack"
  | "timer"
  | "crash"
  | "restart"
  | "partition"
  | "heal"
  | "log";

/** One trace event. Fields are written in this order, so equal runs give equal bytes. */
export interface TraceEvent {
  /** Time in ms: virtual in the simulator, since start on a real host. */
  readonly t: number;
  /** What happened. */
  readonly ev: TraceEventType;
  /** Machine or process the event belongs to. */
  readonly at: string;
  /** Envelope id, when about a message. */
  readonly id?: string;
  /** Sender address. */
  readonly from?: string;
  /** Receiver address. */
  readonly to?: string;
  /** Message kind. */
  readonly kind?: string;
  /** A short label of the body for narration (`GET x`). */
  readonly label?: string;
  /** Lamport clock of the message or process. */
  readonly lamport?: number;
  /**
   * Vector clock, on `send`, `deliver` and `receive` events of a traced run: the sender's
   * clock after the send on `send` and `deliver` (the message's stamp), the receiver's clock
   * after taking the message on `receive`. A {@link VectorStamp} in a live trace, a plain
   * record in JSONL (written last on the line). Compare two events with `causalOrder`.
   */
  readonly vc?: VectorStamp | VectorClock;
  /** Bytes on the wire, when known. */
  readonly bytes?: number;
  /** Free text: why a message was dropped, a log line. */
  readonly note?: string;
}

/**
 * The trace event of something that happened to a message.
 *
 * @example A dropped message
 * ```ts
 * import assert from "node:assert/strict";
 * import { envelopeEvent } from "./trace.ts";
 * const env = { id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "get", body: {}, lamport: 1 };
 * assert.deepEqual(envelopeEvent(3, "drop", "m1.lab", env, "lost"), {
 *   t: 3, ev: "drop", at: "m1.lab", id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "get", note: "lost",
 * });
 * ```
 */
export function envelopeEvent(
  t: number,
  ev: TraceEventType,
  at: string,
  env: Envelope,
  note?: string,
): TraceEvent {
  return { t, ev, at, id: env.id, from: env.from, to: env.to, kind: env.kind, note };
}

/** Something that records trace events. */
export interface TraceSink {
  /** Records one event. */
  record(event: TraceEvent): void;
}

const KEYS = [
  "t",
  "ev",
  "at",
  "id",
  "from",
  "to",
  "kind",
  "label",
  "lamport",
  "bytes",
  "note",
] as const;

/**
 * Serialises an event with a fixed key order and times rounded to microseconds; a vector clock
 * comes last, its entries in the order the trace first met their processes.
 *
 * @example Canonical line
 * ```ts
 * import assert from "node:assert/strict";
 * import { canonicalLine } from "./trace.ts";
 * assert.equal(canonicalLine({ ev: "crash", t: 1.5, at: "m1.lab" }), '{"t":1.5,"ev":"crash","at":"m1.lab"}');
 * assert.equal(
 *   canonicalLine({ vc: { "b@m1.lab": 2, "a@m1.lab": 1 }, t: 2, ev: "send", at: "b@m1.lab", lamport: 3 }),
 *   '{"t":2,"ev":"send","at":"b@m1.lab","lamport":3,"vc":{"b@m1.lab":2,"a@m1.lab":1}}',
 * );
 * ```
 */
export function canonicalLine(event: TraceEvent): string {
  const ordered: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = event[key];
    if (value === undefined) continue;
    ordered[key] = key === "t" ? Math.round((value as number) * 1000) / 1000 : value;
  }
  const line = JSON.stringify(ordered);
  const vc = event.vc;
  if (vc === undefined) return line;
  return `${line.slice(0, -1)},"vc":${vc instanceof VectorStamp ? vc.json() : JSON.stringify(vc)}}`;
}

/**
 * An in-memory trace that can listen live and be written as JSONL or digested.
 *
 * @example Digest of a trace
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "./trace.ts";
 * const a = new Trace(), b = new Trace();
 * a.record({ t: 0, ev: "spawn", at: "kv@m1.lab" });
 * b.record({ t: 0, ev: "spawn", at: "kv@m1.lab" });
 * assert.equal(a.digest(), b.digest());
 * assert.equal(a.toJsonl(), '{"t":0,"ev":"spawn","at":"kv@m1.lab"}\n');
 * ```
 */
export class Trace implements TraceSink {
  /** Every recorded event, in order. */
  readonly events: TraceEvent[] = [];
  #listeners: ((event: TraceEvent) => void)[] = [];

  /** Records one event and tells the listeners. */
  record(event: TraceEvent): void {
    this.events.push(event);
    for (const listener of this.#listeners) listener(event);
  }

  /** Calls `listener` for every event recorded from now on; returns an unsubscribe function. */
  listen(listener: (event: TraceEvent) => void): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Number of events of type `ev`. */
  count(ev: TraceEventType): number {
    let n = 0;
    for (const event of this.events) if (event.ev === ev) n++;
    return n;
  }

  /** The trace as JSON Lines in canonical form. */
  toJsonl(): string {
    let out = "";
    for (const event of this.events) out += canonicalLine(event) + "\n";
    return out;
  }

  /** SHA-256 (hex) of the canonical JSONL: equal runs give equal digests. */
  digest(): string {
    const hash = createHash("sha256");
    for (const event of this.events) hash.update(canonicalLine(event) + "\n");
    return hash.digest("hex");
  }
}
