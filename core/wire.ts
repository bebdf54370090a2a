/**
 * Frames exchanged between machines: messages (optionally with a reliable-channel header) and
 * acknowledgements. A closed union keyed on `kind`.
 * @module
 */
import type { Envelope } from "./envelope.ts";

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
 * Decodes a frame; throws `TypeError` naming the problem when the bytes are not a frame.
 *
 * @example Garbage is rejected
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeWire } from "./wire.ts";
 * assert.throws(() => decodeWire(new TextEncoder().encode("{}")), TypeError);
 * ```
 */
export function decodeWire(bytes: Uint8Array): WireFrame {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new TypeError(`Cannot decode wire frame: ${bytes.length} bytes are not JSON`);
  }
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === "msg" && typeof (value as MessageFrame).env?.to === "string") {
    return value as MessageFrame;
  }
  if (kind === "ack" && typeof (value as AckFrame).seq === "number") return value as AckFrame;
  throw new TypeError(
    `Cannot decode wire frame: kind ${JSON.stringify(kind)} is not "msg" with an envelope or "ack"`,
  );
}
