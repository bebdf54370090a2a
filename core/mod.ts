/**
 * The message-passing core of archlab: names, envelopes, mailboxes, send/receive,
 * request/reply, reliable channels, machines, the deterministic simulator, transports and traces.
 *
 * @example A request/reply in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./mod.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("m1.lab").spawn("kv", async (ctx) => {
 *   const request = await ctx.receive();
 *   await ctx.reply(request, { kind: "ok", value: 42 });
 * });
 * let value = 0;
 * sim.machine("m2.lab").spawn("client", async (ctx) => {
 *   value = (await ctx.request<{ value: number }>("kv@m1.lab", { kind: "get", key: "x" })).body.value;
 * });
 * await sim.run();
 * assert.equal(value, 42);
 * ```
 * @module
 */
export * from "./name.ts";
export * from "./envelope.ts";
export * from "./errors.ts";
export * from "./prng.ts";
export * from "./runtime.ts";
export * from "./real_runtime.ts";
export * from "./mailbox.ts";
export * from "./trace.ts";
export * from "./channel_fidelity.ts";
export * from "./wire.ts";
export * from "./reliable_channel.ts";
export * from "./reliable_link.ts";
export * from "./process.ts";
export * from "./group_request.ts";
export * from "./machine.ts";
export * from "./latency.ts";
export * from "./mermaid.ts";
export * from "./handler_timers.ts";
export * from "./handler_process.ts";
export * from "./vector_clock.ts";
export * from "./vector_stamp.ts";
export * from "./causality.ts";
export * from "./canonical_json.ts";
export * from "./directory.ts";
export * from "./rto_estimator.ts";
export * from "./simulator/mod.ts";
export * from "./network/mod.ts";
export * from "./auth/mod.ts";
export * from "./storage/mod.ts";
export * from "./protocol/mod.ts";
export * from "./pipeline/mod.ts";
