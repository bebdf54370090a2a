/**
 * The command line of `lab mobile-agent`: its usage text and the parsing of its flags (and the
 * reading of the agent module) into the settings of one run.
 * @module
 */
import type { CodeLang, Itinerary } from "../../mobile-agent/agent_package.ts";
import { createRandom } from "../../core/prng.ts";
import { MINING_AGENT_URL } from "../../mobile-agent/mining.ts";
import { generateAgentKey } from "../../mobile-agent/signature.ts";
import {
  checkFaultTargets,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  intFlag,
  openCommand,
  UsageError,
} from "../_common.ts";

/** Usage text of `lab mobile-agent`. */
export const MOBILE_AGENT_USAGE =
  `Usage: deno task lab mobile-agent [--nodes N] [--rows N] [--selectivity LIST] [flags]

N data nodes (n1.lab, ...) each hold a shard of sales rows in SQLite. For each selectivity, a
mining agent (filter amount > threshold, then count, sum and per-region totals, carrying the
matching rows) travels the nodes hop by hop; then a client pulls every row and computes the same
thing locally. Both are measured: messages, bytes on the wire, time.

Runs on: OS processes over TCP on 127.0.0.1, one per node, each visit in a sandboxed child
\`deno run\` with no permission (default); or the deterministic simulator with --sim, agents
in-process (no sandbox: only for code you trust).

Flags:
  --nodes N             data nodes (default 5)
  --rows N              rows over all nodes (default 100000)
  --selectivity LIST    fractions of rows that match, comma-separated (default 0.01,0.1,0.5,1)
  --itinerary KIND      sequential, failover or parallel (default sequential)
  --agent FILE          send this agent module (.js or .ts) instead of the built-in miner; it gets
                        the miner's initial state {minAmount, count, sum, byRegion, matches}
  --page N              rows per page when pulling (default 5000)
  --quantum MS          time quantum of a visit in the sandbox (default 5000)
  --heap MB             sandbox heap cap (default 256)
  --memory MB           memory a visit may use in all, ArrayBuffers and Wasm included, beyond an
                        idle sandbox; the kernel enforces it on Linux (default heap + 64)
  --max-hops N          hops an agent may make; a node refuses the one past it (default 64)
  --sandboxes N         visits a node runs at once; 64 more may wait, then it refuses (default 4)
  --key TEXT            shared HMAC key agents are signed with (or ARCHLAB_AGENT_KEY; default a
                        random key made for this run, derived from --seed with --sim)
${COMMON_HELP}
Here ctl.lab is part of the experiment: the agents' home and the pulling client run there, so
its traffic is faulted and counted like the nodes'.

Examples:
  deno task lab mobile-agent --selectivity 0.01,0.1,1
  deno task lab mobile-agent --sim --nodes 3 --rows 10000 --drop 0.1
  deno task lab mobile-agent --sim --itinerary failover --crash n2.lab@0`;
const USAGE = MOBILE_AGENT_USAGE;

/** The parsed flags of one `lab mobile-agent` run. */
export interface MobileAgentArgs {
  /** The common run flags. */
  readonly common: CommonOptions;
  readonly nodes: number;
  readonly rows: number;
  readonly page: number;
  readonly quantumMs: number;
  readonly heapMb: number;
  /** Memory budget of a visit in MB. */
  readonly memoryMb: number;
  /** Hops an agent may make. */
  readonly maxHops: number;
  /** Visits a node runs at once. */
  readonly sandboxes: number;
  /** The HMAC key agents are signed with: given, or made for this run. */
  readonly key: string;
  readonly kind: Itinerary["kind"];
  /** The selectivities to compare at. */
  readonly fractions: number[];
  /** The `--agent` file, or `undefined` for the built-in miner. */
  readonly agentFile: string | undefined;
  /** Source of the agent module. */
  readonly code: string;
  readonly lang: CodeLang;
}

/**
 * Parses the flags of `lab mobile-agent` and reads the agent module; returns `"help"` for
 * `--help`, throws a {@link UsageError} for a bad flag or an unreadable agent.
 */
export async function parseMobileAgentArgs(args: string[]): Promise<MobileAgentArgs | "help"> {
  const opened = openCommand(
    args,
    {
      ...COMMON_FLAGS,
      nodes: { type: "string" },
      rows: { type: "string" },
      selectivity: { type: "string" },
      itinerary: { type: "string" },
      agent: { type: "string" },
      page: { type: "string" },
      quantum: { type: "string" },
      heap: { type: "string" },
      memory: { type: "string" },
      "max-hops": { type: "string" },
      sandboxes: { type: "string" },
      key: { type: "string" },
    },
    USAGE,
    null,
  );
  if (opened === undefined) return "help";
  const { values, common } = opened;
  const nodes = intFlag("nodes", values.nodes, 5, USAGE, 1);
  checkFaultTargets(common, Array.from({ length: nodes }, (_, i) => `n${i + 1}.lab`), USAGE);
  const rows = intFlag("rows", values.rows, 100_000, USAGE, 0);
  const page = intFlag("page", values.page, 5000, USAGE, 1);
  const quantumMs = intFlag("quantum", values.quantum, 5000, USAGE, 1);
  const heapMb = intFlag("heap", values.heap, 256, USAGE, 8);
  const memoryMb = intFlag("memory", values.memory, heapMb + 64, USAGE, 8);
  const maxHops = intFlag("max-hops", values["max-hops"], 64, USAGE, 1);
  const sandboxes = intFlag("sandboxes", values.sandboxes, 4, USAGE, 1);
  const key = agentKey(values.key, common);
  const kind = (values.itinerary ?? "sequential") as Itinerary["kind"];
  if (!["sequential", "failover", "parallel"].includes(kind)) {
    throw new UsageError(
      `Cannot use --itinerary "${values.itinerary}": give sequential, failover or parallel`,
      USAGE,
    );
  }
  const fractions = selectivities(values.selectivity);
  const agentFile = typeof values.agent === "string" ? values.agent : undefined;
  let code: string;
  try {
    code = await Deno.readTextFile(agentFile ?? MINING_AGENT_URL);
  } catch (error) {
    throw new UsageError(
      `Cannot read agent module "${agentFile ?? MINING_AGENT_URL.pathname}": ${
        (error as Error).message
      }`,
      USAGE,
    );
  }
  const lang: CodeLang = agentFile?.endsWith(".ts") ? "ts" : "js";
  return {
    common,
    nodes,
    rows,
    page,
    quantumMs,
    heapMb,
    memoryMb,
    maxHops,
    sandboxes,
    key,
    kind,
    fractions,
    agentFile,
    code,
    lang,
  };
}

/**
 * The key of the run: `--key`, else `ARCHLAB_AGENT_KEY`, else a new one. There is no default
 * anyone could know. A simulated run draws it from its seed, so it replays byte for byte; a run
 * on real processes draws it from the operating system's randomness. It is never printed.
 */
function agentKey(flag: unknown, common: CommonOptions): string {
  if (typeof flag === "string" && flag !== "") return flag;
  const env = Deno.env.get("ARCHLAB_AGENT_KEY");
  if (env !== undefined && env !== "") return env;
  return common.sim
    ? generateAgentKey(createRandom(common.seed).fork("agent-key").next)
    : generateAgentKey();
}

function selectivities(text: unknown): number[] {
  const raw = typeof text === "string" ? text : "0.01,0.1,0.5,1";
  const values = raw.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (values.length === 0 || !values.every((v) => v >= 0 && v <= 1)) {
    throw new UsageError(
      `Cannot use --selectivity "${raw}": give fractions between 0 and 1, comma-separated (0.01,0.1,1)`,
      USAGE,
    );
  }
  return values;
}
