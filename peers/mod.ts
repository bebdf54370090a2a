/**
 * peers architecture (work in progress).
 * @module
 */
export {};
