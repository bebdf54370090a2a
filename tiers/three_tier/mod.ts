/**
 * Three tiers (lecture §2.1): presentation (Hono), business logic with a pool, data (SQLite or
 * PostgreSQL), a trace id and a deadline budget across tiers.
 * @module
 */
export * from "./messages.ts";
export * from "./deadline.ts";
export * from "./pool_state.ts";
export * from "./connection_pool.ts";
export * from "./library_storage.ts";
export * from "./data_store.ts";
export * from "./postgres_connection.ts";
export * from "./postgres_library_store.ts";
export * from "./open_library_storage.ts";
export * from "./data_tier.ts";
export * from "./logic_validation.ts";
export * from "./logic_tier.ts";
export * from "./presentation_app.ts";
export * from "./presentation_page.ts";
export * from "./presentation_tier.ts";
export * from "./three_tier_workload.ts";
export * from "./three_tier_programs.ts";
