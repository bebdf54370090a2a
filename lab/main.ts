/**
 * `deno task lab <architecture> [flags]`: runs an architecture and reports what it cost.
 * @module
 */
import { didYouMean, UsageError } from "./_common.ts";
import { labCommandLine, withoutFlags, withoutViewFlags } from "./_flags.ts";
import { InterruptedError, KNOWN_FAILURES } from "./deploy/run_errors.ts";
import { dropEmptyResults, finishRun } from "./results/finish.ts";
import { beginSession, endSession } from "./results/session.ts";

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
    load: async () => (await import("./client_server/command.ts")).runClientServer,
  },
  proxy: {
    summary: "a caching proxy in front of an origin on a Zipf workload, against no proxy",
    load: async () => (await import("./proxy/command.ts")).runProxy,
  },
  "three-tier": {
    summary: "presentation (HTTP) / business logic / data (SQLite), each tier its own machine",
    load: async () => (await import("./three_tier/command.ts")).runThreeTier,
  },
  "mobile-agent": {
    summary: "an agent carries its code to the data nodes, against pulling every row",
    load: async () => (await import("./mobile_agent/command.ts")).runMobileAgent,
  },
  p2p: {
    summary: "peer-to-peer sync loop (gossip, CRDT merge) until every peer converges",
    load: async () => (await import("./p2p/command.ts")).runP2p,
  },
  group: {
    summary: "group communication with none/fifo/causal/total order and an order checker",
    load: async () => (await import("./group/command.ts")).runGroup,
  },
  rpc: {
    summary: "remote procedure calls: orphans after a client crash, per remedy (simulator only)",
    load: async () => (await import("./rpc/command.ts")).runRpc,
  },
  transactions: {
    summary: "BEGIN/READ/WRITE/END/ABORT across participants: two-phase commit, blocking, recovery",
    load: async () => (await import("./transactions/command.ts")).runTransactions,
  },
  campaign: {
    summary: "campaign ARCH --seeds N: random fault schedules in the simulator, invariants judged",
    load: async () => (await import("./campaign/command.ts")).runCampaignCommand,
  },
  spmd: {
    summary: "MPI-style SPMD launch: `spmd -n 4 program.ts` runs n ranks as OS processes",
    load: async () => (await import("./spmd/command.ts")).runSpmd,
  },
  compare: {
    summary:
      "client-server, proxy, three-tier and p2p side by side (simulator): cost, availability",
    load: async () => (await import("./compare/command.ts")).runCompare,
  },
  describe: {
    summary:
      "measures each channel (simulator): synchronous? persistent? temporally, referentially coupled?",
    load: async () => (await import("./describe/command.ts")).runDescribe,
  },
  run: {
    summary: "run FILE.ts: your own machines and processes, as OS processes or in the simulator",
    load: async () => (await import("./run/command.ts")).runRun,
  },
  check: {
    summary: "check WORKLOAD FILE.ts: your node under a workload and faults, with a verdict",
    load: async () => (await import("./check/command.ts")).runCheck,
  },
  explore: {
    summary: "explore ARCH: every schedule of a small configuration, the shortest counterexample",
    load: async () => (await import("./explore/command.ts")).runExplore,
  },
  step: {
    summary: "step FILE.ts: step by hand through your own system in the browser (simulator)",
    load: async () => (await import("./step/command.ts")).runStep,
  },
  serve: {
    summary: "serve [DIR]: the results folders of --out/--artifacts runs (default runs/) over HTTP",
    load: async () => (await import("./serve/command.ts")).runServe,
  },
  echo: {
    summary: "framed TCP echo server (--listen) and client (--connect)",
    load: async () => (await import("./echo/command.ts")).runEcho,
  },
  node: {
    summary: "one machine as an OS process hosting named processes (used by the other commands)",
    load: async () => (await import("./node/command.ts")).runNode,
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

Architectures run each machine as an OS process over TCP on 127.0.0.1 by default (UDP or HTTP
with --transport, on other hosts with --hosts FILE), or in the deterministic simulator with
--sim; each command's --help says what it runs on.

Examples:
  deno task lab client-server
  deno task lab client-server --sim --seed 7 --drop 0.2 --trace run.mmd`;
}

/**
 * The commands whose runs replay in the simulator from a seed (they take `--sim` and `--seed`),
 * each with whether it takes `--trace FILE`: only their failures get a replay line.
 */
export const REPLAYABLE: ReadonlyMap<string, { readonly trace: boolean }> = new Map<
  string,
  { readonly trace: boolean }
>([
  ...[
    "client-server",
    "proxy",
    "three-tier",
    "mobile-agent",
    "p2p",
    "group",
    "rpc",
    "transactions",
    "spmd",
    "run",
    "check",
  ].map((name) => [name, { trace: true }] as const),
  ["compare", { trace: false }],
]);

/**
 * How to replay a failed run: its command line in the simulator, with its seed and a trace file,
 * (where it takes one), quoted for a shell; `undefined` for a command whose runs do not replay
 * ({@link REPLAYABLE}).
 * What only OS processes take is left out (`--transport`, `--hosts`, `--ssh`, `--real`), and an
 * `--auth` key is shown as `KEY`.
 *
 * @example A real-socket run is replayed in the simulator
 * ```ts
 * import assert from "node:assert/strict";
 * import { replayHint } from "./main.ts";
 * assert.equal(
 *   replayHint(["client-server", "--drop", "0.2"]),
 *   "replay in the simulator: deno task lab client-server --drop 0.2 --sim --seed 1 --trace run.jsonl",
 * );
 * assert.equal(
 *   replayHint(["client-server", "--transport", "udp", "--auth", "s3cret"]),
 *   "replay in the simulator: deno task lab client-server --auth KEY --sim --seed 1 --trace run.jsonl",
 * );
 * assert.equal(
 *   replayHint(["p2p", "--sim", "--partition", "p0.lab|p1.lab@0..9", "--seed=4"]),
 *   "replay: deno task lab p2p --sim --partition 'p0.lab|p1.lab@0..9' --seed=4 --trace run.jsonl",
 * );
 * assert.equal(replayHint(["explore", "2pc"]), undefined);
 * assert.equal(replayHint(["compare", "--real"]), "replay in the simulator: deno task lab compare --sim --seed 1");
 * ```
 */
export function replayHint(args: readonly string[]): string | undefined {
  const replayable = REPLAYABLE.get(args[0]);
  if (replayable === undefined) return undefined;
  // The simulator is its own network, on this host: its replay takes none of these.
  const line = withoutFlags(withoutViewFlags(args), ["transport", "hosts"], ["ssh", "real"]).map((
    a,
    i,
    kept,
  ) =>
    // The key stays off the screen, as in the simulator's own replay line.
    a.startsWith("--auth=") ? "--auth=KEY" : kept[i - 1] === "--auth" ? "KEY" : a
  );
  const sim = line.includes("--sim");
  if (!sim) line.push("--sim");
  if (!line.some((a) => a === "--seed" || a.startsWith("--seed="))) line.push("--seed", "1");
  if (replayable.trace && !line.some((a) => a === "--trace" || a.startsWith("--trace="))) {
    line.push("--trace", "run.jsonl");
  }
  return `${sim ? "replay" : "replay in the simulator"}: ${labCommandLine(line)}`;
}

/**
 * The lines the lab prints for a failed run: the message, its cause, how to replay it; a stack
 * trace only with `debug` (ARCHLAB_DEBUG=1), and for an error that is not a known failure class
 * a note that it looks like a bug.
 *
 * @example A machine's process failed: no stack trace
 * ```ts
 * import assert from "node:assert/strict";
 * import { failureReport } from "./main.ts";
 * import { MachineProcessError } from "./deploy/run_errors.ts";
 * const error = new MachineProcessError({
 *   machine: "m1.lab", process: "kv@m1.lab", detail: "Error: boom", time: 5, stack: "Error: boom\n    at kv",
 * });
 * const lines = failureReport(error, ["client-server"]);
 * assert.equal(lines[0], 'archlab: Cannot finish the run: process "kv@m1.lab" failed at 5.000 ms: Error: boom');
 * assert.ok(lines.some((line) => line.includes("--sim --seed 1")));
 * assert.ok(!lines.some((line) => line.includes("    at ")));
 * assert.ok(failureReport(error, [], { debug: true }).some((line) => line.includes("    at kv")));
 * ```
 */
export function failureReport(
  error: unknown,
  args: readonly string[],
  options: { debug?: boolean } = {},
): string[] {
  if (!(error instanceof Error)) return [`archlab: the run failed: ${String(error)}`];
  const lines = [`archlab: ${error.message}`];
  // A machine's start-up failure quotes what failed already: its cause is not said twice.
  if (error.cause !== undefined && error.name !== "MachineStartError") {
    const cause = error.cause instanceof Error
      ? `${error.cause.name}: ${error.cause.message}`
      : String(error.cause);
    lines.push(`  cause: ${cause}`);
  }
  // A machine that could not start is fixed where it runs, not replayed in the simulator; a
  // message that quotes its replay command already is not followed by a second one.
  const hint = replayHint(args);
  if (
    hint !== undefined && !error.message.includes("deno task lab ") &&
    error.name !== "MachineStartError"
  ) {
    lines.push(`  ${hint}`);
  }
  const remote = (error as { remoteStack?: string }).remoteStack;
  if (options.debug) {
    lines.push(remote ?? error.stack ?? "(no stack trace)");
  } else if (!KNOWN_FAILURES.has(error.name)) {
    lines.push("  (this looks like a bug in archlab: ARCHLAB_DEBUG=1 shows the stack trace)");
  } else if (remote !== undefined) {
    lines.push("  (ARCHLAB_DEBUG=1 shows the stack trace the machine reported)");
  }
  return lines;
}

/**
 * Runs the lab with `args`; returns the exit code: 0 ok, 1 the run failed or found errors,
 * 2 a usage error, 130 interrupted.
 */
export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    console.log(help());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (entry === undefined) {
    const guess = didYouMean(name, Object.keys(COMMANDS));
    console.error(
      `Cannot run "${name}": unknown architecture or command${
        guess ? `; did you mean ${guess}?` : ""
      }\n\n${help()}`,
    );
    return 2;
  }
  const session = beginSession(name, rest);
  try {
    const code = await runCommand(name, entry, rest, args);
    if (code !== 2) await finishRun(session, code);
    else await dropEmptyResults(session);
    return code;
  } finally {
    endSession();
  }
}

async function runCommand(
  name: string,
  entry: Entry,
  rest: string[],
  args: string[],
): Promise<number> {
  const debug = Deno.env.get("ARCHLAB_DEBUG") === "1";
  try {
    const command = await entry.load();
    // lab check shrinks its own runs (operations and clients too); the others here.
    if (rest.includes("--shrink") && name !== "check") {
      const { runShrinking } = await import("./shrink/shrink_command.ts");
      return await runShrinking(name, command, rest, (error) => {
        for (const line of failureReport(error, args, { debug })) console.error(line);
      });
    }
    return await command(rest);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${error.usage}`);
      return 2;
    }
    if (error instanceof InterruptedError) {
      console.error(`archlab: ${error.message}; every machine is stopped`);
      if (error.partial !== undefined) console.error(`  ${error.partial}`);
      return 130;
    }
    for (const line of failureReport(error, args, { debug })) console.error(line);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
