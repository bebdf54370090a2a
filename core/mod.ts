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
export * from "./wire.ts";
export * from "./reliable_channel.ts";
export * from "./process.ts";
export * from "./group_request.ts";
export * from "./machine.ts";
export * from "./latency.ts";
export * from "./simulator.ts";
export * from "./tcp_network.ts";
export * from "./frame.ts";
export * from "./tcp_transport.ts";
export * from "./mermaid.ts";
export * from "./host.ts";
export * from "./handlers.ts";
export * from "./vector_clock.ts";
export * from "./vector_stamp.ts";
export * from "./causality.ts";
export * from "./directory.ts";
export * from "./group_types.ts";
export * from "./group_errors.ts";
export * from "./group_name.ts";
export * from "./group_order.ts";
export * from "./group_sequencer.ts";
export * from "./group_flush.ts";
export * from "./group_endpoint.ts";
export * from "./group_endpoint_process.ts";
export * from "./group_membership.ts";
export * from "./group_manager.ts";
export * from "./group.ts";
export * from "./group_member_program.ts";
export * from "./order_checker.ts";
export * from "./group_view_checker.ts";
export * from "./message_store.ts";
export * from "./sqlite_message_store.ts";
export * from "./post_office_protocol.ts";
export * from "./post_office.ts";
export * from "./post_office_client.ts";
export * from "./auth_error.ts";
export * from "./auth_key.ts";
export * from "./replay_window.ts";
export * from "./rto_estimator.ts";
export * from "./envelope_auth.ts";
export * from "./authenticated_network.ts";
export * from "./authenticated_simulator.ts";
