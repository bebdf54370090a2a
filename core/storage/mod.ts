/**
 * Persistence: the disk (stable storage that survives a crash: in memory in the simulator,
 * SQLite on a real host), and on it the store-and-forward post office (temporal decoupling).
 *
 * @module
 */
export * from "./disk.ts";
export * from "./memory_disk.ts";
export * from "./sqlite_disk.ts";
export * from "./message_store.ts";
export * from "./sqlite.ts";
export * from "./post_office_messages.ts";
export * from "./post_office.ts";
export * from "./post_office_process.ts";
export * from "./post_office_client.ts";
