/**
 * Frames exchanged between machines: messages (optionally with a reliable-channel header) and
 * acknowledgements. A closed union keyed on `kind`.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import { wireProblem } from "./_wire_check.ts";

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

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Encodes a frame as UTF-8 JSON.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWire, encodeWire } from "./wire.ts";
 * const frame = { kind: "ack", epoch: 1, seq: 3 } as const;
 * assert.deepEqual(decodeWire(encodeWire(frame)), frame);
 * ```
 */
export function encodeWire(frame: WireFrame): Uint8Array {
  return encoder.encode(JSON.stringify(frame));
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

/**
 * Decodes a frame and checks it with {@link checkWire}.
 *
 * @throws {WireError} when the bytes are not JSON or not a well-formed frame.
 * @example Garbage is rejected
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWire, WireError } from "./wire.ts";
 * assert.throws(() => decodeWire(new TextEncoder().encode("{}")), WireError);
 * assert.throws(() => decodeWire(new TextEncoder().encode("{")), WireError);
 * ```
 */
export function decodeWire(bytes: Uint8Array): WireFrame {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new WireError(`${bytes.length} bytes are not JSON`);
  }
  return checkWire(value);
}
