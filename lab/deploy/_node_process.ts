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
  child: Deno.ChildProcess;
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
}

/** Drops the failure to write to a node whose standard input is already closed. */
export function stdinClosed(error: unknown): void {
  // The node exited (killed, or stopped by its own Ctrl-C): nothing is left to tell it.
  if (error instanceof Deno.errors.BrokenPipe || error instanceof TypeError) return;
  console.error(`archlab: cannot write to a machine's standard input: ${error}`);
}

/** Writes control line `line` to machine `node`. */
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
  if (options.drop) args.push("--drop", String(options.drop));
  if (options.duplicate) args.push("--dup", String(options.duplicate));
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

/**
 * The arguments of `deno` that start machine `machine` as a `lab node` OS process: `epoch` is
 * its incarnation on the wire (a replacement needs a higher one than the process before it).
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
export function nodeArgs(
  machine: string,
  run: { readonly origin: number; readonly epoch: number; readonly options: DeployOptions },
): string[] {
  return [
    "run",
    ...PERMISSIONS,
    "--config",
    CONFIG.pathname,
    NODE_SCRIPT.pathname,
    "--machine",
    machine,
    "--origin",
    String(run.origin),
    "--epoch",
    String(run.epoch),
    ...flagArgs(run.options),
  ];
}

/**
 * Reads the lines of `stream`, calling `onLine` with each control line (JSON) and `onText` with
 * any other line (something the machine's code printed).
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
