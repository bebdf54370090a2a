/**
 * Authentication: HMAC-SHA256 envelopes with a replay window, optional AES-256-GCM bodies.
 *
 * @module
 */
export * from "./auth_error.ts";
export * from "./auth_key.ts";
export * from "./replay_window.ts";
export * from "./envelope_auth.ts";
export * from "./authenticated_network.ts";
export * from "./authenticated_simulator.ts";
export * from "./incarnations.ts";
