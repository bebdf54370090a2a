/**
 * The group request of the lecture: one request sent to several processes, whose replies are
 * collected one at a time with `getReply` (the lecture's `get_reply`), with a timeout and an
 * expected count. Started with `ctx.requestGroup`.
 * @module
 */
import type { Envelope } from "./envelope.ts";
import type { Address } from "./name.ts";

/** Options of `ctx.requestGroup`. */
export interface GroupRequestOptions {
  /** Ms from sending until the call ends; replies after that are dropped as late. @default 5000 */
  readonly timeout?: number;
  /** Replies after which the call ends: a whole number from 1 to the number of targets. @default every target */
  readonly expected?: number;
}

/** Why a group call ended. */
export type GroupCallReason =
  /** The expected number of replies arrived. */
  | "complete"
  /** Fewer than expected can still arrive: every other target's machine said it does not exist. */
  | "unknown"
  /** The timeout passed first. */
  | "timeout"
  /** The caller called {@link GroupCall.close}. */
  | "closed";

/** The end of a group call: what came back and what did not. */
export interface GroupCallEnd {
  /** Why it ended. */
  readonly reason: GroupCallReason;
  /** Replies that arrived before the end (every one of them is handed out before the end). */
  readonly replies: number;
  /** Targets that had not replied when it ended, unknown ones left out. */
  readonly silent: readonly Address[];
  /** Targets whose machine answered that no such process exists. */
  readonly unknown: readonly Address[];
}

/**
 * What {@link GroupCall.getReply} resolves with: the next reply (`done: false`), or the end of
 * the call (`done: true`), shaped like an iterator result so the two cannot be confused.
 */
export type GroupReply<B = unknown> =
  | { readonly done: false; readonly reply: Envelope<B> }
  | { readonly done: true; readonly end: GroupCallEnd };

/**
 * A group request in progress: its replies in arrival order, one per {@link GroupCall.getReply}.
 *
 * @example Ask three servers, take the replies one at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "./simulator/simulator.ts";
 * const sim = new Simulator({ seed: 1 });
 * for (const m of ["m1.lab", "m2.lab", "m3.lab"]) {
 *   sim.machine(m).spawn("time", async (ctx) => {
 *     const request = await ctx.receive();
 *     await ctx.reply(request, { kind: "time", from: ctx.machine });
 *   });
 * }
 * const answers: string[] = [];
 * let reason = "";
 * sim.machine("c.lab").spawn("client", async (ctx) => {
 *   const call = await ctx.requestGroup<{ from: string }>(
 *     ["time@m1.lab", "time@m2.lab", "time@m3.lab", "ghost@m1.lab"],
 *     { kind: "what-time" },
 *     { timeout: 500 },
 *   );
 *   for (;;) {
 *     const next = await call.getReply();
 *     if (next.done) {
 *       reason = `${next.end.reason}, unknown ${next.end.unknown.join()}`;
 *       break;
 *     }
 *     answers.push(next.reply.body.from);
 *   }
 * });
 * await sim.run();
 * assert.deepEqual(answers.toSorted(), ["m1.lab", "m2.lab", "m3.lab"]);
 * assert.equal(reason, "unknown, unknown ghost@m1.lab");
 * ```
 */
export interface GroupCall<B = unknown> {
  /** The correlation id that every reply carries in `replyTo`. */
  readonly id: string;
  /** The canonical addresses the request went to. */
  readonly targets: readonly Address[];
  /** Replies after which the call ends. */
  readonly expected: number;
  /**
   * The next reply in arrival order, waiting for it if none is buffered; once the call has
   * ended and every buffered reply was handed out, `{ done: true, end }`, and the same end again
   * on every later call. Taking a reply is a receive event of the process (trace, clocks).
   */
  getReply(): Promise<GroupReply<B>>;
  /** Ends the call now (reason `"closed"`); replies that arrive later are dropped as late. */
  close(): void;
}
