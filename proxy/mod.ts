/**
 * proxy architecture (work in progress).
 * @module
 */
export {};
