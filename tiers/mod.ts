/**
 * Tiered architectures: client/server (two tiers) and three-tier presentation / logic / data.
 * @module
 */
export * from "./kv_protocol.ts";
export * from "./kv_server.ts";
export * from "./kv_client.ts";
export * from "./programs.ts";
