/**
 * Persistence: message stores and the store-and-forward post office (temporal decoupling).
 *
 * @module
 */
export * from "./message_store.ts";
export * from "./sqlite.ts";
export * from "./sqlite_message_store.ts";
export * from "./post_office_protocol.ts";
export * from "./post_office_machine.ts";
export * from "./post_office.ts";
export * from "./post_office_client.ts";
export * from "./disk.ts";
export * from "./memory_disk.ts";
export * from "./sqlite_disk.ts";
