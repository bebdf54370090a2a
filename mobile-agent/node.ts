/**
 * A data node of the agent platform: it holds a shard of data, receives agents (checking their
 * signature, asking for the source only when its cache lacks the hash), runs each visit in an
 * executor (the sandbox on a real host, in-process in the simulator), and carries the agent on.
 * It answers the owner's recall and dispose (forwarding them along the agent's trail), custody
 * pings, and the pull baseline's page scans. The node survives whatever an agent does and
 * reports every failure to the agent's owner. It bounds what agents can make it do: a hop past
 * `maxHops` is refused (an agent that hops to its own node forever ends there), and at most
 * `maxSandboxes` visits run at once with `maxWaiting` more queued; an agent beyond that is
 * refused as `busy` (its sender reports it; a queue without bound would let a flood of clones
 * take the node's memory).
 * @module
 */
import type { ProcessContext, ProcessFn } from "../core/process.ts";
import { AGENT_PROCESS, platformOf } from "./_carry.ts";
import type { Executor } from "./executor.ts";
import { InProcessExecutor } from "./in_process_executor.ts";
import type { AgentMessage } from "./messages.ts";
import { NodeHost, type NodeSettings } from "./_node_host.ts";
import { SandboxExecutor } from "./sandbox.ts";
import type { ShardOptions } from "./shard.ts";

export { AGENT_PROCESS, platformOf };

/** Options of {@link agentNode}; every field but `executor` is JSON, so it can be program args. */
export interface AgentNodeOptions {
  /** Shared HMAC key that agent packages are signed with. */
  readonly key: string;
  /** The shard this node holds. @default an empty node (no table) */
  readonly shard?: ShardOptions;
  /** Wall-clock ms a visit may take in the sandbox. @default 5000 */
  readonly quantumMs?: number;
  /** Sandbox heap cap in MB. @default 128 */
  readonly heapMb?: number;
  /** MB a visit may use in all beyond an idle sandbox (Linux: kernel-enforced). @default heapMb + 64 */
  readonly memoryMb?: number;
  /** Most hops an agent may have made on arrival; a hop past it is refused. @default 64 */
  readonly maxHops?: number;
  /** Most visits running at once (each its own sandbox child). @default 4 */
  readonly maxSandboxes?: number;
  /** Most visits waiting for a sandbox; an agent beyond that is refused as busy. @default 64 */
  readonly maxWaiting?: number;
  /** Virtual ms a visit costs in the simulator (models the sandbox's start). @default 20 */
  readonly startMs?: number;
  /** Ms to wait for each answer of a handoff. @default 2000 */
  readonly timeoutMs?: number;
  /** Ms to wait for a release before pinging the next node. @default quantumMs + 1000 */
  readonly watchMs?: number;
  /** Ms to wait for a ping's answer before declaring the next node down. @default 1000 */
  readonly pingTimeoutMs?: number;
  /** Characters of source the code cache holds. @default 16 MiB */
  readonly cacheBytes?: number;
  /** Largest source accepted, in characters. @default 1 MiB */
  readonly maxCodeBytes?: number;
  /** Runs the visits. @default the sandbox on a real host, in-process in the simulator */
  readonly executor?: Executor;
}

/**
 * The process of a data node (spawn it as {@link AGENT_PROCESS} so agents can find it).
 *
 * @example An agent visits two nodes in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../core/simulator/simulator.ts";
 * import { agentNode, AGENT_PROCESS } from "./node.ts";
 * import { AgentOwner } from "./owner.ts";
 * import { preloadAgent } from "./in_process_executor.ts";
 * const code = "export function onArrival(ctx) { ctx.state.seen.push(ctx.node); }";
 * await preloadAgent(code);
 * const sim = new Simulator({ seed: 1 });
 * for (const m of ["n1.lab", "n2.lab"]) sim.machine(m).spawn(AGENT_PROCESS, agentNode({ key: "k" }));
 * let seen: unknown;
 * sim.machine("ctl.lab").spawn("owner", async (ctx) => {
 *   const owner = new AgentOwner(ctx, { key: "k" });
 *   const id = owner.dispatch({ code, state: { seen: [] }, itinerary: ["n1.lab", "n2.lab"] });
 *   seen = (await owner.wait(id)).result;
 * });
 * await sim.run();
 * assert.deepEqual(seen, { seen: ["n1.lab", "n2.lab"] });
 * ```
 */
export function agentNode(options: AgentNodeOptions): ProcessFn {
  const settings = nodeSettings(options);
  return async (ctx: ProcessContext) => {
    const { quantumMs, heapMb, memoryMb } = settings.limits;
    const executor = options.executor ??
      (ctx.runtime === "sim"
        ? new InProcessExecutor()
        : new SandboxExecutor({ quantumMs, heapMb, memoryMb }));
    if (executor instanceof SandboxExecutor) {
      // Measured before the first agent comes, so its hop does not pay for it. A failure is
      // logged here and met again, with its reason, by every visit (each one retries).
      await executor.prepare({ heapMb }).catch((error) =>
        ctx.log(`cannot prepare the sandbox: ${error}`)
      );
    }
    const node = new NodeHost(ctx, settings, executor);
    for (;;) await node.handle(await ctx.receive<AgentMessage>());
  };
}

/** Checks the options and fills in the defaults. */
function nodeSettings(options: AgentNodeOptions): NodeSettings {
  if (typeof options?.key !== "string" || options.key === "") {
    throw new TypeError(
      `Cannot start agent node: key ${JSON.stringify(options?.key)} must be a non-empty string`,
    );
  }
  const maxHops = options.maxHops ?? 64;
  if (!Number.isInteger(maxHops) || maxHops < 1) {
    throw new RangeError(`Cannot start agent node: maxHops ${maxHops} must be an integer >= 1`);
  }
  const quantumMs = options.quantumMs ?? 5000;
  return {
    key: options.key,
    shard: options.shard,
    limits: {
      quantumMs,
      heapMb: options.heapMb,
      memoryMb: options.memoryMb,
      startMs: options.startMs ?? 20,
    },
    carry: {
      key: options.key,
      timeoutMs: options.timeoutMs ?? 2000,
      watchMs: options.watchMs ?? quantumMs + 1000,
      pingTimeoutMs: options.pingTimeoutMs ?? 1000,
    },
    maxCode: options.maxCodeBytes ?? 1024 * 1024,
    maxHops,
    maxSandboxes: options.maxSandboxes ?? 4,
    maxWaiting: options.maxWaiting ?? 64,
    cacheBytes: options.cacheBytes,
  };
}
