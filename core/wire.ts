/**
 * The wire codec: frames exchanged between machines (messages, optionally with a
 * reliable-channel header, and acknowledgements; a closed union keyed on `kind`) and the hello
 * that opens a TCP connection, encoded as UTF-8 JSON and decoded with every field checked. The
 * simulator and the TCP network both encode and decode through it; the TCP framing around it
 * (a 4-byte length) is `network/frame.ts`.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { helloProblem, wireProblem } from "./_wire_check.ts";

/** A message between machines. `epoch`/`seq`/`base` are present on a reliable channel. */
export interface MessageFrame {
  /** Tag of the union. */
  readonly kind: "msg";
  /** The message. */
  readonly env: Envelope;
  /** The sending machine's incarnation. */
  readonly epoch?: number;
  /** Sequence number on the channel from the sending machine to the receiving one. */
  readonly seq?: number;
  /** Lowest sequence number the sender has not yet seen acknowledged. */
  readonly base?: number;
  /** Which transmission of the frame this is, on a retransmission (absent: the first). */
  readonly tx?: number;
  /** The acknowledgement of the reverse channel, carried along (piggybacked). */
  readonly ack?: Acknowledgement;
}

/** What a receiver tells the sender of a channel about the frames it got. */
export interface Acknowledgement {
  /** The incarnation of the sender being acknowledged. */
  readonly epoch: number;
  /** Highest in-order sequence number received: every one up to it arrived. */
  readonly seq: number;
  /**
   * Ranges `[first, last]` of sequence numbers above `seq` received out of order, lowest first
   * (a selective acknowledgement: what lies between them is missing).
   */
  readonly sack?: readonly (readonly [number, number])[];
  /**
   * `[seq, tx]` of the latest frame taken, when that was a retransmission: which copy arrived
   * (a frame acknowledged without it arrived through an earlier copy).
   */
  readonly rtx?: readonly [number, number];
}

/** An acknowledgement on its own. */
export interface AckFrame extends Acknowledgement {
  /** Tag of the union. */
  readonly kind: "ack";
}

/** Anything that travels between machines. */
export type WireFrame = MessageFrame | AckFrame;

/** The first frame on a TCP connection: it names the machine that opened the connection. */
export interface HelloFrame {
  /** Tag of the union. */
  readonly kind: "hello";
  /** The machine that opened the connection, `machine.domain`. */
  readonly machine: string;
}

/** Every frame the codec carries: a machine's frames and a connection's hello. */
export type CodecFrame = WireFrame | HelloFrame;

/** Options of {@link encodeWire} and {@link encodeWireText}. */
export interface EncodeWireOptions {
  /**
   * Put a message's vector clock on the wire; the simulator carries it beside the frame
   * instead, since it is the trace's and not the protocol's. @default true
   */
  readonly vectorClock?: boolean;
}

/** Options of {@link decodeWire}. */
export interface DecodeWireOptions {
  /**
   * Check every field ({@link checkWire}); `false` only for frames this process encoded itself
   * (the simulator's, which its machines check when they receive them). @default true
   */
  readonly check?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a frame as JSON text (what the simulator carries and counts).
 *
 * @example A hello
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeWireText } from "./wire.ts";
 * assert.equal(encodeWireText({ kind: "hello", machine: "m1.lab" }), '{"kind":"hello","machine":"m1.lab"}');
 * ```
 */
export function encodeWireText(frame: CodecFrame, options: EncodeWireOptions = {}): string {
  if (options.vectorClock !== false || frame.kind !== "msg" || frame.env.vc === undefined) {
    return JSON.stringify(frame);
  }
  // Serialised without it: unset for the length of the stringify (JSON skips undefined).
  const env = frame.env as { vc?: Envelope["vc"] };
  const vc = env.vc;
  env.vc = undefined;
  try {
    return JSON.stringify(frame);
  } finally {
    env.vc = vc;
  }
}

/**
 * Encodes a frame as UTF-8 JSON (what a TCP frame carries after its length).
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWire, encodeWire } from "./wire.ts";
 * const frame = { kind: "ack", epoch: 1, seq: 3 } as const;
 * assert.deepEqual(decodeWire(encodeWire(frame)), frame);
 * ```
 */
export function encodeWire(frame: CodecFrame, options?: EncodeWireOptions): Uint8Array {
  return encoder.encode(encodeWireText(frame, options));
}

/**
 * A peer sent something that is not a wire frame: bytes that are not JSON, or JSON whose fields
 * are missing, of the wrong type or out of range. `reason` names the first bad field
 * (`env.from is 42, not a process address (process@machine.domain)`). The receiver refuses the
 * frame (a `drop` in the trace with the reason) and goes on: a peer's bytes never crash it.
 *
 * @example The reason names the field
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWire, WireError } from "./wire.ts";
 * assert.throws(() => checkWire({ kind: "ack", epoch: 1, seq: -1 }), (error: unknown) =>
 *   error instanceof WireError && error.reason === "seq is -1, not an integer >= 0");
 * ```
 */
export class WireError extends Error {
  /** The first problem found. */
  readonly reason: string;
  /** Creates the error for `reason`. */
  constructor(reason: string) {
    super(
      `Cannot accept wire frame: ${reason}; the sender must send frames as encodeWire() makes them`,
    );
    this.name = "WireError";
    this.reason = reason;
  }
}

/**
 * Checks that `value` is a well-formed frame, field by field (envelope addresses, ids, clocks,
 * correlation ids, the channel header, acknowledgements, flow-control bodies), and returns it
 * typed. Fields the kernel does not read are left alone, and so is an ordinary message's body.
 *
 * @throws {WireError} naming the first bad field.
 * @example A frame without a sender is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkWire, WireError } from "./wire.ts";
 * const env = { id: "a#1.1", from: "a@m1.lab", to: "b@m2.lab", kind: "data", body: 1, lamport: 1 };
 * assert.equal(checkWire({ kind: "msg", env }).kind, "msg");
 * const { from: _, ...anonymous } = env;
 * assert.throws(() => checkWire({ kind: "msg", env: anonymous }), WireError);
 * ```
 */
export function checkWire(value: unknown): WireFrame {
  const problem = wireProblem(value);
  if (problem !== undefined) throw new WireError(problem);
  return value as WireFrame;
}

/** Parses JSON text or UTF-8 bytes. @throws {WireError} when they are not JSON. */
function parse(input: Uint8Array | string): unknown {
  try {
    return JSON.parse(typeof input === "string" ? input : decoder.decode(input));
  } catch {
    const size = typeof input === "string" ? `${input.length} characters` : `${input.length} bytes`;
    throw new WireError(`${size} are not JSON`);
  }
}

/**
 * Decodes a machine's frame (UTF-8 bytes or JSON text) and checks it with {@link checkWire}; a
 * hello is not a machine's frame and is refused.
 *
 * @throws {WireError} when the input is not JSON or not a well-formed frame.
 * @example Garbage is rejected
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWire, WireError } from "./wire.ts";
 * assert.throws(() => decodeWire(new TextEncoder().encode("{}")), WireError);
 * assert.throws(() => decodeWire(new TextEncoder().encode("{")), WireError);
 * assert.throws(() => decodeWire('{"kind":"hello","machine":"m1.lab"}'), WireError);
 * ```
 */
export function decodeWire(input: Uint8Array | string, options: DecodeWireOptions = {}): WireFrame {
  const value = parse(input);
  return options.check === false ? value as WireFrame : checkWire(value);
}

/**
 * Decodes the hello that opens a TCP connection and returns the machine it names.
 *
 * @throws {WireError} when the input is not JSON, not a hello, or names no machine.
 * @example A hello names a machine
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeHello, encodeWire, WireError } from "./wire.ts";
 * assert.equal(decodeHello(encodeWire({ kind: "hello", machine: "m1.lab" })), "m1.lab");
 * assert.throws(() => decodeHello('{"kind":"hello","machine":"###"}'), WireError);
 * assert.throws(() => decodeHello('{"kind":"ack","epoch":1,"seq":1}'), WireError);
 * ```
 */
export function decodeHello(input: Uint8Array | string): string {
  const value = parse(input);
  const problem = helloProblem(value);
  if (problem !== undefined) throw new WireError(problem);
  return (value as HelloFrame).machine;
}
