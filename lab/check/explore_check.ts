/**
 * `lab check --explore`: the user's node under a workload, explored systematically instead of
 * run under one seed. A tiny configuration (by default 2 nodes, 2 clients, 2 operations) is run
 * again for every order of its deliveries and timers (and lost or duplicated frames, within a
 * budget; the raw network unless asked for the reliable channel); the workload's checker judges
 * every schedule's history once its clients are done.
 * @module
 */
import type { ProcessFn } from "../../core/process.ts";
import type { Simulator } from "../../core/simulator/simulator.ts";
import { explore, type ExploreOptions, type ExploreReport } from "../explore/explore.ts";
import { checkClient, finalReader } from "./client.ts";
import { History } from "./history.ts";
import { harnessed, initSender, NodeHarness } from "./node_harness.ts";
import type { Workload } from "./workload.ts";

/** Options of {@link exploreCheck}. */
export interface ExploreCheckOptions {
  /** Nodes. @default 2 */
  readonly nodeCount?: number;
  /** Clients. @default 2 */
  readonly concurrency?: number;
  /** Operations in all. @default 2 */
  readonly ops?: number;
  /** Ms a client waits for a reply. @default 1000 */
  readonly timeout?: number;
  /** The exploration's bounds and budgets. @default explore()'s */
  readonly explore?: Omit<ExploreOptions<Checked>, "invariant" | "done">;
}

/** What {@link exploreCheck} found. */
export interface ExploreCheckResult {
  /** The exploration's report; a violation names the first anomaly. */
  readonly report: ExploreReport;
  /** Builds the same configuration on a simulator (to replay a counterexample). */
  readonly system: (sim: Simulator) => Checked;
  /** The exploration's options, invariant included (to replay a counterexample). */
  readonly options: ExploreOptions<Checked>;
}

/** A configuration's history and whether its clients (and final reads) are done. */
export interface Checked {
  /** Every operation. */
  readonly history: History;
  /** Whether every client finished, and the final reads when the workload wants them. */
  readonly done: () => boolean;
}

/** Builds nodes, init senders, clients and (for workloads that want them) the final reads. */
function configuration(
  node: ProcessFn,
  workload: Workload,
  options: ExploreCheckOptions,
): (sim: Simulator) => Checked {
  const n = options.nodeCount ?? 2, clients = options.concurrency ?? 2, ops = options.ops ?? 2;
  const timeout = options.timeout ?? 1000;
  return (sim) => {
    const machines = Array.from({ length: n }, (_, i) => `n${i + 1}.lab`);
    const nodes = machines.map((m) => `node@${m}`);
    const harness = new NodeHarness(nodes);
    const history = new History();
    for (const [i, machine] of machines.entries()) {
      sim.machine(machine).spawn("node", harnessed(node, harness));
      sim.machine(machine).spawn("init", initSender(nodes[i], nodes));
    }
    let done = 0, read = false;
    const onDone = () => {
      if (++done < clients || !workload.finalReads) return;
      sim.machine("ctl.lab").spawn(
        "final",
        finalReader({ nodes, history, recovery: 0, timeout, onDone: () => read = true }),
      );
    };
    for (let i = 0; i < clients; i++) {
      const quota = Math.floor(ops / clients) + (i < ops % clients ? 1 : 0);
      sim.machine(`c${i + 1}.lab`).spawn(
        "client",
        checkClient({
          workload,
          node: nodes[i % n],
          index: i,
          history,
          ops: quota,
          timeout,
          onDone,
        }),
      );
    }
    return { history, done: () => done === clients && (!workload.finalReads || read) };
  };
}

/**
 * Explores `node` under `workload`: every schedule's history is checked at its end.
 *
 * @example A node that answers an echo with the wrong text is caught
 * ```ts
 * import assert from "node:assert/strict";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { exploreCheck } from "./explore_check.ts";
 * const { report } = await exploreCheck(async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive<{ kind: string; echo?: unknown }>();
 *     if (m.body.kind === "echo") await ctx.reply(m, { kind: "echo_ok", echo: "wrong" });
 *   }
 * }, echoWorkload(), { nodeCount: 1, concurrency: 1, ops: 1 });
 * assert.match(report.violation!.message, /echo/);
 * ```
 */
export async function exploreCheck(
  node: ProcessFn,
  workload: Workload,
  options: ExploreCheckOptions = {},
): Promise<ExploreCheckResult> {
  const plan = explorePlan(node, workload, options);
  return { ...plan, report: await explore(plan.system, plan.options) };
}

/**
 * The configuration and exploration options {@link exploreCheck} uses, to replay a path.
 *
 * @example Replaying no choice is the seeded order
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayChoices } from "../explore/explore.ts";
 * import { echoWorkload } from "./echo_workload.ts";
 * import { explorePlan } from "./explore_check.ts";
 * const plan = explorePlan(async (ctx) => {
 *   for (;;) {
 *     const m = await ctx.receive<{ kind: string; echo?: unknown }>();
 *     if (m.body.kind === "echo") await ctx.reply(m, { kind: "echo_ok", echo: m.body.echo });
 *   }
 * }, echoWorkload());
 * const replay = await replayChoices(plan.system, [], plan.options);
 * assert.equal(replay.violation, undefined);
 * assert.equal(replay.state.history.ops.length, 2);
 * ```
 */
export function explorePlan(
  node: ProcessFn,
  workload: Workload,
  options: ExploreCheckOptions = {},
): { system: (sim: Simulator) => Checked; options: ExploreOptions<Checked> } {
  return {
    system: configuration(node, workload, options),
    options: {
      simulator: { reliable: false, exempt: ["ctl.lab"] },
      ...options.explore,
      done: (checked) => checked.done(),
      invariant: (checked, view) => {
        if (!view.quiescent) return undefined;
        const anomalies = workload.check(checked.history.ops).anomalies;
        if (anomalies.length === 0) return undefined;
        const more = anomalies.length > 1 ? ` (and ${anomalies.length - 1} more)` : "";
        return `${anomalies[0].type}: ${anomalies[0].message}${more}`;
      },
    },
  };
}
