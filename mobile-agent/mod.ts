/**
 * mobile-agent architecture (work in progress).
 * @module
 */
export {};
