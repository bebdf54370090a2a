/**
 * Client/server (lecture §2.1): a key-value server with request/reply, error replies,
 * retransmission and at-most-once execution, and its clients. No SQLite needed.
 * @module
 */
export * from "./messages.ts";
export * from "./kv_server.ts";
export * from "./kv_client.ts";
export * from "./kv_programs.ts";
