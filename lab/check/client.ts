/**
 * The workload's clients: plain process code against `ProcessContext`, so the same clients run
 * in the simulator and on real machines. A client sends its workload's requests to one node at
 * a paced rate and records each operation: `ok` for `<kind>_ok`, `fail` for an error with a
 * definite code, `info` (indeterminate) for a timeout or an indefinite error.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../../core/errors.ts";
import type { ProcessContext, ProcessFn } from "../../core/process.ts";
import { DEFINITE_CODES, type History, type HistoryOp, type OpStatus } from "./history.ts";
import type { Workload } from "./workload.ts";

/** Options of {@link checkClient}. */
export interface ClientOptions {
  /** The workload whose requests the client sends. */
  readonly workload: Workload;
  /** The node it talks to (`node@n1.lab`). */
  readonly node: string;
  /** Its number among the clients, from 0. */
  readonly index: number;
  /** Where operations are recorded. */
  readonly history: History;
  /** Operations to run. @default Infinity */
  readonly ops?: number;
  /** Issue no operation at or after this time (ms). @default Infinity */
  readonly until?: number;
  /** Mean ms between the end of one operation and the start of the next. @default 0 */
  readonly interval?: number;
  /** Ms to wait for a reply before the operation is indeterminate. @default 1000 */
  readonly timeout?: number;
  /** Called once the client has finished. @default none */
  readonly onDone?: () => void;
}

/**
 * How a reply ends an operation.
 *
 * @example Replies sorted
 * ```ts
 * import assert from "node:assert/strict";
 * import { classify } from "./client.ts";
 * assert.deepEqual(classify({ kind: "read" }, { kind: "read_ok", value: 1 }), { status: "ok" });
 * assert.deepEqual(classify({ kind: "cas" }, { kind: "error", code: 22 }), { status: "fail" });
 * assert.equal(classify({ kind: "cas" }, { kind: "error", code: 13 }).status, "info");
 * assert.equal(classify({ kind: "read" }, "hi").note, "unexpected reply");
 * ```
 */
export function classify(
  request: Readonly<Record<string, unknown>>,
  reply: unknown,
): { status: OpStatus; note?: string } {
  const body = typeof reply === "object" && reply !== null ? reply as Record<string, unknown> : {};
  if (body.kind === `${request.kind}_ok`) return { status: "ok" };
  if (body.kind === "error" && typeof body.code === "number") {
    return DEFINITE_CODES.has(body.code)
      ? { status: "fail" }
      : { status: "info", note: `error ${body.code}` };
  }
  return { status: "info", note: "unexpected reply" };
}

/**
 * Sends `request` to `node` and records it in `history`: a timeout or an unknown node ends the
 * operation as indeterminate or failed; any other error is a fault of the caller and is thrown.
 *
 * @example Against a node that answers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { History } from "./history.ts";
 * import { perform } from "./client.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("n1.lab").spawn("node", async (ctx) => {
 *   await ctx.reply(await ctx.receive(), { kind: "echo_ok", echo: 1 });
 *   await ctx.receive(); // and never answers the second request
 * });
 * const history = new History();
 * sim.machine("c1.lab").spawn("client", async (ctx) => {
 *   await perform(ctx, history, "node@n1.lab", { kind: "echo", echo: 1 });
 *   await perform(ctx, history, "node@n1.lab", { kind: "echo", echo: 2 }, { timeout: 50 });
 * });
 * await sim.run();
 * assert.deepEqual(history.ops.map((op) => op.status), ["ok", "info"]);
 * ```
 */
export async function perform(
  ctx: ProcessContext,
  history: History,
  node: string,
  request: Readonly<Record<string, unknown>>,
  options: { timeout?: number; phase?: "main" | "final" } = {},
): Promise<HistoryOp> {
  const op = history.invoke(ctx.self, node, request, ctx.now(), options.phase);
  try {
    const reply = await ctx.request(node, request, { timeout: options.timeout ?? 1000 });
    const { status, note } = classify(request, reply.body);
    const body = typeof reply.body === "object" && reply.body !== null
      ? reply.body as Record<string, unknown>
      : { kind: "data", data: reply.body };
    history.complete(op, status, ctx.now(), body, note);
  } catch (error) {
    if (error instanceof TimeoutError) {
      history.complete(op, "info", ctx.now(), undefined, "timeout");
    } else if (error instanceof UnknownProcessError) {
      // The node's process is gone (it ended or threw): the request was certainly not served.
      history.complete(op, "fail", ctx.now(), { kind: "error", code: 1, text: error.message });
    } else {
      throw error;
    }
  }
  return op;
}

/**
 * A client process: runs the workload's operations against one node until its quota or time is
 * up, pausing a random time around `interval` between operations.
 *
 * @example Three echoes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { checkClient } from "./client.ts";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { History } from "./history.ts";
 * const sim = new Simulator({ seed: 1 });
 * sim.machine("n1.lab").spawn("node", async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive<{ echo: string }>();
 *     await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
 *   }
 * });
 * const history = new History();
 * sim.machine("c1.lab").spawn("client", checkClient({
 *   workload: echoWorkload(), node: "node@n1.lab", index: 0, history, ops: 3, interval: 10,
 * }));
 * await sim.run();
 * assert.deepEqual(history.ops.map((op) => op.status), ["ok", "ok", "ok"]);
 * ```
 */
export function checkClient(options: ClientOptions): ProcessFn {
  const quota = options.ops ?? Infinity;
  const until = options.until ?? Infinity;
  const interval = options.interval ?? 0;
  return async (ctx) => {
    for (let seq = 0; seq < quota && ctx.now() < until; seq++) {
      const request = options.workload.request(ctx.random, options.index, seq, ctx.now());
      await perform(ctx, options.history, options.node, request, { timeout: options.timeout });
      if (interval > 0) await ctx.sleep(2 * interval * ctx.random());
    }
    options.onDone?.();
  };
}

/** Options of {@link finalReader}. */
export interface FinalReaderOptions {
  /** The nodes to read, in order. */
  readonly nodes: readonly string[];
  /** Where the reads are recorded (phase `"final"`). */
  readonly history: History;
  /** Ms to wait before the first read, for the nodes to converge. @default 1000 */
  readonly recovery?: number;
  /** Ms to wait for each reply. @default 1000 */
  readonly timeout?: number;
  /** Reads tried per node before giving up on it. @default 5 */
  readonly attempts?: number;
  /** Called once every node was read (or given up on). @default none */
  readonly onDone?: () => void;
}

/**
 * The process that reads every node once the workload is over and the faults have healed:
 * `{ kind: "read" }` to each node, retried a few times, recorded in phase `"final"`.
 *
 * @example Reading two nodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { finalReader } from "./client.ts";
 * import { History } from "./history.ts";
 * const sim = new Simulator({ seed: 1 });
 * for (const n of ["n1.lab", "n2.lab"]) {
 *   sim.machine(n).spawn("node", async (ctx) => {
 *     await ctx.reply(await ctx.receive(), { kind: "read_ok", value: 7 });
 *   });
 * }
 * const history = new History();
 * sim.machine("ctl.lab").spawn("final", finalReader({
 *   nodes: ["node@n1.lab", "node@n2.lab"], history, recovery: 10,
 * }));
 * await sim.run();
 * assert.deepEqual(history.ops.map((op) => [op.node, op.phase, op.status]), [
 *   ["node@n1.lab", "final", "ok"],
 *   ["node@n2.lab", "final", "ok"],
 * ]);
 * ```
 */
export function finalReader(options: FinalReaderOptions): ProcessFn {
  const attempts = options.attempts ?? 5;
  return async (ctx) => {
    await ctx.sleep(options.recovery ?? 1000);
    for (const node of options.nodes) {
      for (let attempt = 0; attempt < attempts; attempt++) {
        const op = await perform(ctx, options.history, node, { kind: "read" }, {
          timeout: options.timeout,
          phase: "final",
        });
        if (op.status === "ok") break;
        await ctx.sleep(100);
      }
    }
    options.onDone?.();
  };
}
