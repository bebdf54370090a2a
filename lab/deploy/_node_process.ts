/**
 * One machine of a real run as the lab sees it: the `lab node` OS process, its control lines
 * (JSON on its standard input) and the command line that starts it.
 * @module
 */
import type { MachineSpec } from "./deploy.ts";
import { CONTROL_MACHINE, type DeployOptions } from "./deploy.ts";
import type { IdleWatch } from "./_idle_watch.ts";
import type { ControlLine } from "../node/command.ts";

const NODE_SCRIPT = new URL("../node/command.ts", import.meta.url);
/** The lab's own configuration (import map, lock): a machine finds it from any directory. */
const CONFIG = new URL("../../deno.json", import.meta.url);
const PERMISSIONS = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-run",
  "--allow-env",
  "--allow-sys",
];
const encoder = new TextEncoder();

/** A machine's OS process, as the lab drives it. */
export interface NodeProcess {
  readonly spec: MachineSpec;
  /** Key of its event stream in the time-order merge. */
  readonly source: string;
  /** Its control lines and their answers: the pipes of a child, or a TCP connection. */
  link: NodeLink;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  endpoint: string;
  stats: { frames: number; bytes: number; acks: number };
  statsWaiter?: PromiseWithResolvers<void>;
  /** What its programs reported in its last stats line. */
  reports?: Record<string, unknown>;
  /** Since when (ms since the start of the run) it has been idle, if it is. */
  idle: IdleWatch;
  exited: Promise<void>;
  stopping: boolean;
  /** Its OS process has exited: no line will come from it any more. */
  gone: boolean;
  /** Why its node could not start, when it said so before exiting. */
  unstartable?: string;
}

/**
 * The lab's line to one machine's OS process: the pipes of a child it started (here, or `ssh`
 * to another host), or the TCP connection of a machine started by hand on another host.
 */
export interface NodeLink {
  /** The lines the machine writes. */
  readonly readable: ReadableStream<Uint8Array<ArrayBuffer>>;
  /** Where the lab writes its control lines. */
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  /** How it ended: its exit status (a connection that closed: code 1, no signal). */
  readonly status: Promise<Deno.CommandStatus>;
  /** Ends it at once (SIGKILL; a machine started by hand is told to exit and hung up on). */
  kill(): void;
}

/**
 * The link of a child process the lab started with piped standard input and output. `remote`:
 * the child is `ssh` to another host, where SIGKILL would only end the local `ssh`: the machine
 * is told to exit at once first (a `crash` line), as a killed process would.
 *
 * @example A child that echoes its input
 * ```ts
 * import assert from "node:assert/strict";
 * import { childLink } from "./_node_process.ts";
 * const child = new Deno.Command("cat", { stdin: "piped", stdout: "piped" }).spawn();
 * const link = childLink(child);
 * await link.writer.write(new TextEncoder().encode("hi\n"));
 * await link.writer.close();
 * assert.equal(await new Response(link.readable).text(), "hi\n");
 * assert.equal((await link.status).code, 0);
 * ```
 */
export function childLink(child: Deno.ChildProcess, remote = false): NodeLink {
  const writer = child.stdin.getWriter();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch (error) {
      // It exited meanwhile (Deno says so with a TypeError): nothing left to kill.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  return {
    readable: child.stdout,
    writer,
    status: child.status,
    kill: remote
      ? () => {
        writer.write(encoder.encode(JSON.stringify({ type: "crash" }) + "\n")).then(kill, (e) => {
          stdinClosed(e);
          kill();
        });
      }
      : kill,
  };
}

/**
 * Drops the failure to write to a node whose standard input is already closed; says any other.
 *
 * @example A closed pipe is no news
 * ```ts
 * import { stdinClosed } from "./_node_process.ts";
 * stdinClosed(new Deno.errors.BrokenPipe("closed")); // nothing to say
 * ```
 */
export function stdinClosed(error: unknown): void {
  // The node exited (killed, or stopped by its own Ctrl-C): nothing is left to tell it.
  if (error instanceof Deno.errors.BrokenPipe || error instanceof TypeError) return;
  console.error(`archlab: cannot write to a machine's standard input: ${error}`);
}

/**
 * Writes control line `line` to machine `node`, as one JSON line.
 *
 * @example Into a stream
 * ```ts
 * import assert from "node:assert/strict";
 * import { type NodeProcess, sendLine } from "./_node_process.ts";
 * const chunks: Uint8Array[] = [];
 * const writer = new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) }).getWriter();
 * sendLine({ writer } as NodeProcess, { type: "stats" });
 * await writer.ready;
 * await writer.close();
 * assert.equal(new TextDecoder().decode(chunks[0]), '{"type":"stats"}\n');
 * ```
 */
export function sendLine(node: NodeProcess, line: ControlLine): void {
  node.writer.write(encoder.encode(JSON.stringify(line) + "\n")).catch(stdinClosed);
}

/**
 * The `lab node` flags that carry a deployment's network and fault settings.
 *
 * @example Loss and a seed
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagArgs } from "./_node_process.ts";
 * assert.deepEqual(flagArgs({ seed: 7, drop: 0.1 }), ["--seed", "7", "--drop", "0.1", "--exempt", "ctl.lab"]);
 * ```
 */
export function flagArgs(options: DeployOptions): string[] {
  const args = ["--seed", String(options.seed ?? 1)];
  if (options.reliable === false) args.push("--unreliable");
  if (options.transport && options.transport !== "tcp") args.push("--transport", options.transport);
  if (options.drop) args.push("--drop", String(options.drop));
  if (options.duplicate) args.push("--dup", String(options.duplicate));
  if (options.reorder) args.push("--reorder", String(options.reorder));
  if (options.auth?.encrypt) args.push("--encrypt");
  if (options.controlExempt !== false) args.push("--exempt", CONTROL_MACHINE);
  if (options.latency) {
    const l = options.latency;
    args.push(
      "--delay",
      l.kind === "constant"
        ? String(l.ms)
        : l.kind === "uniform"
        ? `${l.min}..${l.max}`
        : `exp:${l.mean}`,
    );
  }
  return args;
}

/** The settings of a run that a machine's OS process gets on its command line. */
export interface NodeSettings {
  /** Wall-clock ms that trace times count from. */
  readonly origin: number;
  /** Its incarnation on the wire (a replacement needs a higher one than the process before). */
  readonly epoch: number;
  readonly options: DeployOptions;
  /** Its disk file (`ctx.disk`), which a replacement opens again. @default none */
  readonly disk?: string;
}

/**
 * The `lab node` flags that carry a run's settings to one of its machines.
 *
 * @example Origin and epoch first
 * ```ts
 * import assert from "node:assert/strict";
 * import { settingArgs } from "./_node_process.ts";
 * assert.deepEqual(settingArgs({ origin: 5, epoch: 6, options: {} }).slice(0, 4), ["--origin", "5", "--epoch", "6"]);
 * ```
 */
export function settingArgs(run: NodeSettings): string[] {
  const disk = run.disk === undefined ? [] : ["--disk", run.disk];
  return [
    "--origin",
    String(run.origin),
    "--epoch",
    String(run.epoch),
    ...disk,
    ...flagArgs(run.options),
  ];
}

/**
 * The arguments of `deno` that start machine `machine` as a `lab node` OS process.
 *
 * @example Machine m1.lab
 * ```ts
 * import assert from "node:assert/strict";
 * import { nodeArgs } from "./_node_process.ts";
 * const args = nodeArgs("m1.lab", { origin: 5, epoch: 6, options: {} });
 * assert.equal(args[0], "run");
 * assert.deepEqual(args.slice(args.indexOf("--machine"), args.indexOf("--machine") + 2), ["--machine", "m1.lab"]);
 * ```
 */
export function nodeArgs(machine: string, run: NodeSettings): string[] {
  return [
    "run",
    ...PERMISSIONS,
    "--config",
    CONFIG.pathname,
    NODE_SCRIPT.pathname,
    "--machine",
    machine,
    ...settingArgs(run),
  ];
}

/**
 * Reads the lines of `stream`, calling `onLine` with each control line (JSON) and `onText` with
 * any other line (something the machine's code printed).
 *
 * @example A ready line and a print
 * ```ts
 * import assert from "node:assert/strict";
 * import { readNodeLines } from "./_node_process.ts";
 * const stream = ReadableStream.from([new TextEncoder().encode('{"type":"stats"}\nhello\n')]);
 * const lines: unknown[] = [], texts: string[] = [];
 * await readNodeLines(stream, (l) => lines.push(l), (t) => texts.push(t));
 * assert.deepEqual(lines, [{ type: "stats" }]);
 * assert.deepEqual(texts, ["hello"]);
 * ```
 */
export async function readNodeLines<T>(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  onLine: (line: T) => void,
  onText: (text: string) => void,
): Promise<void> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let line: T;
      try {
        line = JSON.parse(text);
      } catch {
        onText(text);
        continue;
      }
      onLine(line);
    }
  }
}
