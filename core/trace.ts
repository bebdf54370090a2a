/**
 * Traces: every send, delivery, drop, duplicate, retransmission, timer and crash as an event.
 * @module
 */
import { LineDigest } from "./_line_digest.ts";
import type { Envelope } from "./envelope.ts";
import type { VectorClock } from "./vector_clock.ts";
import { ClockSpace, VectorStamp } from "./vector_stamp.ts";
import { DELIVER, RECEIVE, SEND, TraceStore } from "./_trace_store.ts";

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
  /**
   * Whether the events it records carry vector clocks (`vc`); a traced process keeps a clock
   * only then. @default true
   */
  readonly clocks?: boolean;
}

/** Options of {@link Trace}. */
export interface TraceOptions {
  /**
   * Keep every event in {@link Trace.events}, with its vector clock (what JSONL files and
   * diagrams need). `false` streams: each event goes to the listeners, the digest and the
   * counts, and is not kept, and processes keep no vector clocks (a clock costs one entry per
   * process on every event). @default true
   */
  readonly keep?: boolean;
}

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
  const line = withoutClock(event);
  const vc = event.vc;
  if (vc === undefined) return line;
  return `${line.slice(0, -1)},"vc":${vc instanceof VectorStamp ? vc.json() : JSON.stringify(vc)}}`;
}

/**
 * The canonical line of `event` without its vector clock: what `JSON.stringify` makes of its
 * fields in the order t, ev, at, id, from, to, kind, label, lamport, bytes, note, written field
 * by field (no intermediate object).
 */
function withoutClock(event: TraceEvent): string {
  // Unrolled: a property read per field, not a keyed read per key (this runs per event).
  let line = "", sep = "{";
  const t = event.t;
  if (t !== undefined) line = `{"t":${timeOf(t)}`, sep = ",";
  if (event.ev !== undefined) line += `${sep}"ev":${quoted(event.ev)}`, sep = ",";
  if (event.at !== undefined) line += `${sep}"at":${quoted(event.at)}`, sep = ",";
  if (event.id !== undefined) line += `${sep}"id":${quoted(event.id)}`, sep = ",";
  if (event.from !== undefined) line += `${sep}"from":${quoted(event.from)}`, sep = ",";
  if (event.to !== undefined) line += `${sep}"to":${quoted(event.to)}`, sep = ",";
  if (event.kind !== undefined) line += `${sep}"kind":${quoted(event.kind)}`, sep = ",";
  if (event.label !== undefined) line += `${sep}"label":${quoted(event.label)}`, sep = ",";
  if (event.lamport !== undefined) line += `${sep}"lamport":${jsonOf(event.lamport)}`, sep = ",";
  if (event.bytes !== undefined) line += `${sep}"bytes":${jsonOf(event.bytes)}`, sep = ",";
  if (event.note !== undefined) line += `${sep}"note":${quoted(event.note)}`;
  return line === "" ? "{}" : line + "}";
}

/** The last time written and its text: events come in runs at one instant. */
let lastTime = NaN, lastTimeText = "";

/** What `JSON.stringify` makes of a time rounded to microseconds (the last one remembered). */
function timeOf(t: number): string {
  if (t === lastTime) return lastTimeText;
  lastTimeText = jsonOf(Math.round(t * 1000) / 1000);
  lastTime = t;
  return lastTimeText;
}

/**
 * What `JSON.stringify` makes of a field's value; a string of printable ASCII other than `"`
 * and `\\` (names, ids, kinds: nearly every one) is quoted as it is, without the call or a cache
 * (a cache of 100,000 peers' names missed the processor's caches on every event).
 */
function quoted(value: unknown): string {
  if (typeof value !== "string") return jsonOf(value);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(value);
  }
  return `"${value}"`;
}

/** What `JSON.stringify` makes of a field's value; a number without the call. */
function jsonOf(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? `${value}` : "null";
  return JSON.stringify(value);
}

/** The events of a trace that keeps none. */
const NO_EVENTS: TraceEvent[] = Object.freeze([]) as unknown as TraceEvent[];

/**
 * An in-memory trace that can listen live and be written as JSONL or digested; or, with
 * `keep: false`, a stream that keeps only its digest and the count of each kind of event.
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
  /** Whether it keeps its events (see {@link TraceOptions.keep}). */
  readonly keeps: boolean;
  /** Whether events carry vector clocks: exactly when the trace keeps them. */
  readonly clocks: boolean;
  #listeners: ((event: TraceEvent) => void)[] = [];
  readonly #counts = new Map<TraceEventType, number>();
  /** The counts of the message events {@link Trace.message} kept in columns, by shape. */
  readonly #messages = [0, 0, 0, 0];
  #size = 0;
  #lines: LineDigest | undefined;
  /** The kept events (see {@link TraceStore}); unset when streaming. */
  readonly #store: TraceStore | undefined;

  /**
   * Creates an empty trace.
   *
   * @example A stream keeps the digest and the counts, not the events
   * ```ts
   * import assert from "node:assert/strict";
   * import { Trace } from "./trace.ts";
   * const kept = new Trace(), streamed = new Trace({ keep: false });
   * for (const trace of [kept, streamed]) {
   *   trace.record({ t: 0, ev: "spawn", at: "kv@m1.lab" });
   *   trace.record({ t: 1, ev: "crash", at: "m1.lab" });
   * }
   * assert.equal(streamed.events.length, 0);
   * assert.equal(streamed.size, 2);
   * assert.equal(streamed.count("crash"), 1);
   * assert.equal(streamed.digest(), kept.digest());
   * ```
   */
  constructor(options: TraceOptions = {}) {
    this.keeps = options.keep ?? true;
    this.clocks = this.keeps;
    if (!this.keeps) this.#lines = new LineDigest();
    else this.#store = new TraceStore(ClockSpace.of(this));
  }

  /**
   * Every recorded event, in order (none when the trace does not keep them): one array, the same
   * from read to read, holding the events recorded until the read.
   */
  get events(): TraceEvent[] {
    return this.#store === undefined ? NO_EVENTS : this.#store.all();
  }

  /** Number of events recorded. */
  get size(): number {
    return this.#size;
  }

  /** Records one event and tells the listeners. */
  record(event: TraceEvent): void {
    this.#size++;
    this.#counts.set(event.ev, (this.#counts.get(event.ev) ?? 0) + 1);
    if (this.#store !== undefined) this.#store.object(event);
    else this.#lines!.add(event);
    for (const listener of this.#listeners) listener(event);
  }

  /**
   * Records a message event as its call site in the kernel builds it: `send` (every field),
   * `deliver` (no label) or `receive` (no `to`, no label). The same as {@link record} of that
   * object, without making it when the trace keeps its events and nobody listens. A caller that
   * built `id` as `idPrefix + idNumber` (the kernel's `<self>#<epoch>.<n>`) may say so: the
   * trace then holds the number, not the string.
   *
   * @example A send, recorded without its object
   * ```ts
   * import assert from "node:assert/strict";
   * import { Trace } from "./trace.ts";
   * const a = new Trace(), b = new Trace();
   * a.message("send", 1, "a@m1.lab", "a@m1.lab#1.1", "a@m1.lab", "b@m1.lab", "get", "x", 1, undefined);
   * b.record({
   *   t: 1, ev: "send", at: "a@m1.lab", id: "a@m1.lab#1.1", from: "a@m1.lab", to: "b@m1.lab",
   *   kind: "get", label: "x", lamport: 1, vc: undefined,
   * });
   * assert.deepEqual(a.events, b.events);
   * assert.equal(a.digest(), b.digest());
   * ```
   */
  message(
    ev: "send" | "deliver" | "receive",
    t: number,
    at: string,
    id: string,
    from: string,
    to: string | undefined,
    kind: string,
    label: string | undefined,
    lamport: number,
    vc: VectorStamp | VectorClock | undefined,
    idPrefix?: string,
    idNumber?: number,
  ): void {
    const store = this.#store;
    if (this.#listeners.length === 0) {
      const shape = ev === "send" ? SEND : ev === "deliver" ? DELIVER : RECEIVE;
      if (store === undefined) {
        // Streamed to the digest only: the line without the event object.
        this.#lines!.message(
          t,
          ev,
          at,
          id,
          from,
          ev === "receive" ? undefined : to,
          kind,
          ev === "send" ? label : undefined,
          lamport,
        );
        this.#size++;
        this.#messages[shape]++;
        return;
      }
      if (store.message(shape, t, at, id, from, to, kind, label, lamport, vc, idPrefix, idNumber)) {
        this.#size++;
        this.#messages[shape]++;
        return;
      }
    }
    this.record(
      ev === "send"
        ? { t, ev, at, id, from, to, kind, label, lamport, vc }
        : ev === "deliver"
        ? { t, ev, at, id, from, to, kind, lamport, vc }
        : { t, ev, at, id, from, kind, lamport, vc },
    );
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
    const messages = ev === "send"
      ? SEND
      : ev === "deliver"
      ? DELIVER
      : ev === "receive"
      ? RECEIVE
      : 0;
    return (this.#counts.get(ev) ?? 0) + (messages === 0 ? 0 : this.#messages[messages]);
  }

  /** The trace as JSON Lines in canonical form. */
  toJsonl(): string {
    if (!this.keeps) {
      throw new Error(
        "Cannot write the trace as JSONL: it kept only its digest; create it with keep: true",
      );
    }
    const store = this.#store!;
    let out = "";
    for (let i = 0; i < store.size; i++) out += canonicalLine(store.peek(i)) + "\n";
    return out;
  }

  /**
   * SHA-256 (hex) of the canonical JSONL without the vector clocks (they follow from the events
   * and their order): equal runs give equal digests, kept or streamed.
   */
  digest(): string {
    if (this.#lines !== undefined) return this.#lines.hex();
    const lines = new LineDigest(), store = this.#store!;
    for (let i = 0; i < store.size; i++) lines.add(store.peek(i));
    return lines.hex();
  }
}
