/**
 * tiers architecture (work in progress).
 * @module
 */
export {};
