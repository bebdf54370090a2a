/**
 * Network adapters: machines as real OS processes over TCP (framing, coalesced writes, hosts), UDP
 * (one datagram per frame), and a bounded HTTP/1.1 listener. The HTTP transport (frames as
 * requests through Hono) is `./http_network.ts`, loaded by `startHost` only when a host asks for
 * it, so that the core's entry needs no npm package.
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
export * from "./udp_network.ts";
export * from "./host_network.ts";
export * from "./frame.ts";
export * from "./tcp_transport.ts";
export * from "./host.ts";
export * from "./http1_server.ts";
export * from "./http1_framing.ts";
