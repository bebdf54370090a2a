/**
 * Tiered architectures: client/server (two tiers) and three-tier presentation / logic / data.
 * @module
 */
export * from "./client_server/mod.ts";
export * from "./three_tier/mod.ts";
export * from "./programs.ts";
