/**
 * Network adapters: machines as real OS processes over TCP (framing, coalesced writes, hosts), and
 * a bounded HTTP/1.1 listener.
 *
 * @example Encode a frame
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeFrame } from "./mod.ts";
 * assert.equal(encodeFrame(new Uint8Array([1, 2])).length, 6);
 * ```
 * @module
 */
export * from "./tcp_network.ts";
export * from "./frame.ts";
export * from "./tcp_transport.ts";
export * from "./host.ts";
export * from "./http1_server.ts";
