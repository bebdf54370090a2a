/**
 * `deno task lab <architecture> [flags]`: runs an architecture and reports what it cost.
 * @module
 */
import { UsageError } from "./_common.ts";

/** A lab command: takes its arguments, returns an exit code. */
export type Command = (args: string[]) => Promise<number>;

interface Entry {
  readonly summary: string;
  readonly load: () => Promise<Command>;
}

/** Every command of the lab, with its one-line summary. */
export const COMMANDS: Readonly<Record<string, Entry>> = {
  "client-server": {
    summary: "a key-value server and N clients: request/reply, retransmission, at-most-once",
    load: async () => (await import("./client_server.ts")).runClientServer,
  },
  proxy: {
    summary: "a caching proxy in front of an origin on a Zipf workload, against no proxy",
    load: async () => (await import("./proxy.ts")).runProxy,
  },
  "three-tier": {
    summary: "presentation (HTTP) / business logic / data (SQLite), each tier its own machine",
    load: async () => (await import("./three_tier.ts")).runThreeTier,
  },
  "mobile-agent": {
    summary: "an agent carries its code to the data nodes, against pulling every row",
    load: async () => (await import("./mobile_agent.ts")).runMobileAgent,
  },
  p2p: {
    summary: "peer-to-peer sync loop (gossip, CRDT merge) until every peer converges",
    load: async () => (await import("./p2p.ts")).runP2p,
  },
  group: {
    summary: "group communication with none/fifo/causal/total order and an order checker",
    load: async () => (await import("./group.ts")).runGroup,
  },
  rpc: {
    summary: "remote procedure calls: typed stubs, copy/restore, orphans after a client crash",
    load: async () => (await import("./rpc.ts")).runRpc,
  },
  transactions: {
    summary: "BEGIN/READ/WRITE/END/ABORT across participants: two-phase commit, blocking, recovery",
    load: async () => (await import("./transactions.ts")).runTransactions,
  },
  spmd: {
    summary: "MPI-style SPMD launch: `spmd -n 4 program.ts` runs n ranks as OS processes",
    load: async () => (await import("./spmd.ts")).runSpmd,
  },
  compare: {
    summary: "client-server, proxy, three-tier and p2p side by side: cost and availability",
    load: async () => (await import("./compare.ts")).runCompare,
  },
  describe: {
    summary:
      "measures each channel: synchronous?, persistent?, temporally and referentially coupled?",
    load: async () => (await import("./describe.ts")).runDescribe,
  },
  check: {
    summary: "check WORKLOAD FILE.ts: your node under a workload and faults, with a verdict",
    load: async () => (await import("./check/command.ts")).runCheck,
  },
  echo: {
    summary: "framed TCP echo server (--listen) and client (--connect)",
    load: async () => (await import("./echo.ts")).runEcho,
  },
  node: {
    summary: "one machine as an OS process hosting named processes (used by the other commands)",
    load: async () => (await import("./node.ts")).runNode,
  },
};

/** The lab's top-level help. */
export function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, e]) =>
    `  ${name.padEnd(width)}  ${e.summary}`
  );
  return `archlab: a distributed-architecture lab

Usage: deno task lab <architecture> [flags]
       deno task lab <architecture> --help

Architectures and commands:
${lines.join("\n")}

Try: deno task lab client-server --sim --seed 7 --drop 0.2 --trace run.mmd`;
}

/** Runs the lab with `args`; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    console.error(`Cannot run "${name}": unknown architecture or command.\n\n${help()}`);
    return 2;
  }
  try {
    return await (await entry.load())(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${error.usage}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
