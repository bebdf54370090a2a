/**
 * Group communication (lecture §2.5): groups, views, atomic multicast, FIFO/causal/total order, order and view checkers.
 *
 * @module
 */
export type { Effect, Input, Protocol } from "../core/protocol/mod.ts";
export * from "./types.ts";
export * from "./messages.ts";
export * from "./errors.ts";
export * from "./name.ts";
export * from "./order.ts";
export * from "./sequencer.ts";
export * from "./flush.ts";
export * from "./endpoint.ts";
export * from "./endpoint_process.ts";
export * from "./membership.ts";
export * from "./manager_process.ts";
export * from "./group.ts";
export * from "./member_program.ts";
export * from "./order_checker.ts";
export * from "./view_checker.ts";
