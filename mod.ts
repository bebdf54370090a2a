/**
 * archlab: a distributed-architecture lab. The root module re-exports the core; each
 * architecture has its own entry point (`archlab/tiers`, `archlab/proxy`, ...).
 * @module
 */
export * from "./core/mod.ts";
