/**
 * The programs a node machine runs when `lab check --real` starts it as its own OS process
 * (`lab node`): `check-node` loads the user's node file by URL and runs its `node` export under
 * the harness (as in the simulator), `check-init` sends the node its init message, and
 * `check-pause` takes the nemesis's pause windows from the lab and holds the node's harness
 * for them. The node and its pause agent share one harness per machine.
 * @module
 */
import type { ProcessFn, Program } from "../../core/process.ts";
import { harnessed, initSender, NodeHarness } from "./node_harness.ts";

/** The harness of each machine hosted by this OS process. */
const harnesses = new Map<string, NodeHarness>();
/** The loaded node of each file. */
const loaded = new Map<string, Promise<ProcessFn>>();

function harnessFor(machine: string, nodes: readonly string[]): NodeHarness {
  let harness = harnesses.get(machine);
  if (harness === undefined) harnesses.set(machine, harness = new NodeHarness(nodes));
  return harness;
}

function nodesArg(args: Readonly<Record<string, unknown>>, program: string): string[] {
  const nodes = args.nodes;
  if (!Array.isArray(nodes) || !nodes.every((n) => typeof n === "string")) {
    throw new TypeError(
      `Cannot start ${program}: give { nodes: ["node@n1.lab", ...] }, not ${JSON.stringify(args)}`,
    );
  }
  return nodes;
}

/**
 * Loads the `node` export of the module at `url` (once per URL).
 *
 * @example A node from a data URL, and a module without one
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadNode } from "./programs.ts";
 * assert.equal(typeof await loadNode("data:text/javascript,export const node = async () => {};"), "function");
 * await assert.rejects(loadNode("data:text/javascript,export const x = 1;"), /exports no function "node"/);
 * ```
 * @throws {TypeError} (as a rejection) when the module exports no function `node`.
 */
export function loadNode(url: string): Promise<ProcessFn> {
  let node = loaded.get(url);
  if (node === undefined) {
    node = import(url).then((module: Record<string, unknown>) => {
      if (typeof module.node !== "function") {
        throw new TypeError(`Cannot check "${url}": it exports no function "node"`);
      }
      return module.node as ProcessFn;
    });
    loaded.set(url, node);
  }
  return node;
}

/**
 * The agent on a node machine that takes pause windows (`{ kind: "pause", from, until }`, ms on
 * the run's shared clock) and holds the machine's harnessed processes for them.
 *
 * @example A pause window held by the harness
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { pauseAgent } from "./programs.ts";
 * const sim = new Simulator({ seed: 1 });
 * const harness = pauseAgent(["node@n1.lab"]);
 * sim.machine("n1.lab").spawn("pause", harness.agent);
 * sim.machine("ctl.lab").spawn("nemesis", (ctx) => ctx.send("pause@n1.lab", { kind: "pause", from: 10, until: 50 }));
 * await sim.run({ until: 20 });
 * assert.equal(harness.harness("n1.lab").pausedUntil("n1.lab", 20), 50);
 * ```
 */
export function pauseAgent(nodes: readonly string[]): {
  /** The agent process. */
  readonly agent: ProcessFn;
  /** The harness of a machine of this OS process. */
  harness(machine: string): NodeHarness;
} {
  return {
    agent: async (ctx) => {
      const harness = harnessFor(ctx.machine, nodes);
      for (;;) {
        const m = await ctx.receive<{ kind: string; from: number; until: number }>({
          kind: "pause",
        });
        harness.pause(ctx.machine, m.body.from, m.body.until);
      }
    },
    harness: (machine) => harnessFor(machine, nodes),
  };
}

/**
 * The programs of `lab check --real`, by name.
 *
 * @example A node machine's three programs, and their arguments checked
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.deepEqual(Object.keys(programs), ["check-node", "check-init", "check-pause"]);
 * assert.throws(() => programs["check-init"]({ nodes: ["node@n1.lab"] }), TypeError);
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "check-node": (args) => {
    const nodes = nodesArg(args, "check-node");
    if (typeof args.module !== "string") {
      throw new TypeError(`Cannot start check-node: give { module: URL, nodes }`);
    }
    const module = args.module;
    return async (ctx) => {
      const node = await loadNode(module);
      await harnessed(node, harnessFor(ctx.machine, nodes))(ctx);
    };
  },
  "check-init": (args) => {
    if (typeof args.node !== "string") {
      throw new TypeError(`Cannot start check-init: give { node: "node@n1.lab", nodes }`);
    }
    return initSender(args.node, nodesArg(args, "check-init"));
  },
  "check-pause": (args) => pauseAgent(nodesArg(args, "check-pause")).agent,
};
