/**
 * Authentication: HMAC-SHA256 envelopes with a replay window, optional AES-256-GCM bodies, as a
 * stage of the frame pipeline ({@link AuthStage}).
 *
 * @module
 */
export * from "./auth_error.ts";
export * from "./auth_key.ts";
export * from "./replay_window.ts";
export * from "./envelope_auth.ts";
export * from "./auth_stage.ts";
export * from "./incarnations.ts";
