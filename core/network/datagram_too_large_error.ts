/**
 * The error a UDP network throws for a frame that does not fit in one datagram.
 * @module
 */

/**
 * The largest UDP payload over IPv4: 65,535 bytes (the IP length field, the lecture's 64 KB)
 * less the 20-byte IP header and the 8-byte UDP header.
 */
export const MAX_DATAGRAM: number = 65_507;

/**
 * A frame is larger than one datagram can carry: UDP sends each frame as one datagram and does
 * not split it. Thrown to the sender (the process that sent the message sees it), before
 * anything is sent. A `RangeError`, as every too-large frame is; `length` and `max` say by how
 * much.
 *
 * @example Catch it and read the figures
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatagramTooLargeError, MAX_DATAGRAM } from "./datagram_too_large_error.ts";
 * const error = new DatagramTooLargeError(70_000, MAX_DATAGRAM);
 * assert.ok(error instanceof RangeError);
 * assert.equal(error.length, 70_000);
 * assert.match(error.message, /^Cannot send frame over UDP: 70000 bytes exceed the datagram limit of 65507/);
 * ```
 */
export class DatagramTooLargeError extends RangeError {
  /** Bytes the datagram would take (the frame and the sender's hello). */
  readonly length: number;
  /** The most a datagram carries here. */
  readonly max: number;

  /** Creates the error for a datagram of `length` bytes over the limit `max`. */
  constructor(length: number, max: number) {
    super(
      `Cannot send frame over UDP: ${length} bytes exceed the datagram limit of ${max} bytes ` +
        "(64 KB less the IP and UDP headers); send smaller messages, or use the TCP transport " +
        "(--transport tcp), which frames a stream",
    );
    this.name = "DatagramTooLargeError";
    this.length = length;
    this.max = max;
  }
}
