/**
 * The baseline that agents are measured against: a client pulls every row of every shard, page
 * by page (`scan`/`rows` request/reply), and computes locally. The data travels instead of the
 * code.
 * @module
 */
import { TimeoutError, UnknownProcessError } from "../core/errors.ts";
import type { ProcessContext } from "../core/process.ts";
import { platformOf } from "./_carry.ts";
import { type AgentMessage, message, type RowTuple } from "./messages.ts";

/** Options of {@link pullRows}. */
export interface PullOptions {
  /** Rows per page. @default 5000 */
  readonly page?: number;
  /** Ms to wait for each page. @default 10000 */
  readonly timeoutMs?: number;
  /** Skip a node that does not answer (and list it) instead of failing. @default false */
  readonly skipDown?: boolean;
}

/** What {@link pullRows} brought back. */
export interface PullResult {
  /** Every row, node after node, in id order. */
  readonly rows: RowTuple[];
  /** Page requests made. */
  readonly requests: number;
  /** Nodes skipped because they did not answer (with `skipDown`). */
  readonly missing: readonly string[];
}

/**
 * Pulls every row from the platform process of each machine in `nodes`, in order.
 *
 * @example Pulling two shards in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { agentNode, AGENT_PROCESS } from "./node.ts";
 * import { pullRows } from "./pull.ts";
 * const sim = new Simulator({ seed: 1 });
 * ["n1.lab", "n2.lab"].forEach((m, index) =>
 *   sim.machine(m).spawn(AGENT_PROCESS, agentNode({ key: "k", shard: { rows: 30, index, count: 2 } })));
 * let count = 0;
 * sim.machine("ctl.lab").spawn("client", async (ctx) => {
 *   count = (await pullRows(ctx, ["n1.lab", "n2.lab"], { page: 10 })).rows.length;
 * });
 * await sim.run();
 * assert.equal(count, 30);
 * ```
 */
export async function pullRows(
  ctx: ProcessContext,
  nodes: readonly string[],
  options: PullOptions = {},
): Promise<PullResult> {
  const page = options.page ?? 5000;
  if (!(Number.isInteger(page) && page > 0)) {
    throw new RangeError(`Cannot pull rows: page ${page} must be a whole number > 0`);
  }
  const rows: RowTuple[] = [];
  const missing: string[] = [];
  let requests = 0;
  for (const node of nodes) {
    let offset: number | null = 0;
    const mark = rows.length;
    for (let i = 0; offset !== null && i < 10_000_000; i++) {
      requests++;
      let reply: { body: AgentMessage };
      try {
        reply = await ctx.request<AgentMessage>(
          platformOf(node),
          message("scan", { offset, limit: page }),
          { timeout: options.timeoutMs ?? 10_000 },
        );
      } catch (error) {
        if (
          !options.skipDown ||
          !(error instanceof TimeoutError || error instanceof UnknownProcessError)
        ) {
          throw error;
        }
        rows.length = mark;
        missing.push(node);
        break;
      }
      const body: AgentMessage = reply.body;
      if (body.kind !== "rows") {
        throw new TypeError(
          `Cannot pull rows from ${node}: it answered ${JSON.stringify(body.kind)}`,
        );
      }
      for (const row of body.rows) rows.push(row);
      offset = body.next;
    }
  }
  return { rows, requests, missing };
}
