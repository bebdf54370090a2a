/**
 * Programs of the mobile-agent architecture, by name, for the lab to start on any machine:
 * `agent-node` (a data node with its shard, spawned as process `agents`) and `agent-home` (a home
 * registry). Their arguments are JSON, so a machine that is its own OS process can start them.
 * @module
 */
import type { Program } from "../core/process.ts";
import { agentHome } from "./home.ts";
import { agentNode, type AgentNodeOptions } from "./node.ts";

/**
 * Every program of this architecture, by name.
 *
 * @example Starting a data node by name
 * ```ts
 * import assert from "node:assert/strict";
 * import { programs } from "./programs.ts";
 * assert.equal(typeof programs["agent-node"]({ key: "k" }), "function");
 * ```
 */
export const programs: Readonly<Record<string, Program>> = {
  "agent-node": (args) => agentNode(args as unknown as AgentNodeOptions),
  "agent-home": () => agentHome(),
};
