/**
 * One run of a sandbox child: start it under the kernel's limits, send it the job, answer its
 * queries, read its lines in time linear in their size (a line or a run that writes too much
 * kills it), kill it at its quantum, on abort, or once its last line came, and collect what it
 * produced for {@link ./_child_outcome.ts} to judge.
 * @module
 */
import type { Runtime } from "../core/runtime.ts";
import type { ChildResult, Final } from "./_child_outcome.ts";
import type { QueryFn } from "./executor.ts";
import { LineSplitter } from "./_line_reader.ts";
import { type ChildLimits, limitedCommand, readChildMemory } from "./_limits.ts";

/** How to run one child. */
export interface ChildSettings {
  /** The deno binary. */
  readonly deno: string;
  /** Arguments of `deno` (flags, then the runner's path). */
  readonly args: readonly string[];
  /** Kernel limits. */
  readonly limits: ChildLimits;
  /** Wall-clock ms before the child is killed. */
  readonly quantumMs: number;
  /** Most bytes the child may write in all. */
  readonly maxOutputBytes: number;
  /** Most bytes of one line. */
  readonly maxLineBytes: number;
  /** Timers for the quantum. */
  readonly runtime: Runtime;
  /** Aborting kills the child (`disposed`). */
  readonly signal?: AbortSignal;
  /** An idle child's VmData in KB: at the quantum, what the agent held beyond it is noted. */
  readonly baseKb?: number;
  /** Called with the child's pid once it is started. */
  readonly onStart?: (pid: number) => void;
}

const encoder = new TextEncoder();
const OOM = /out of memory|Reached heap limit|allocation failed|memory allocation of \d+ bytes/i;
const STDERR_KEPT = 8192;

type Collected = Omit<ChildResult, "status">;
type Kill = (why: "timeout" | "disposed" | "protocol" | "output" | "final") => void;

/** Runs `job` in a fresh child; resolves once it has exited and its pipes are closed. */
export async function runChild(
  job: Record<string, unknown>,
  query: QueryFn,
  settings: ChildSettings,
): Promise<ChildResult> {
  const { command, args } = limitedCommand(settings.deno, settings.args, settings.limits);
  const child = new Deno.Command(command, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: { NO_COLOR: "1" },
    cwd: Deno.build.os === "windows" ? undefined : "/",
  }).spawn();
  settings.onStart?.(child.pid);
  const result: Collected = { denied: [], logs: [], stderr: "" };
  const writer = child.stdin.getWriter();
  let writing: Promise<void> = Promise.resolve();
  const inputFailed = (error: unknown) => {
    // The child is gone (it exited or was killed) before it read everything: noted, and its
    // end is judged from its exit and its lines.
    result.inputError ??= error instanceof Error ? error.message : String(error);
  };
  const write = (line: unknown) => {
    const bytes = encoder.encode(JSON.stringify(line) + "\n");
    writing = writing.then(() => writer.write(bytes)).catch(inputFailed);
  };
  const stop = () => {
    try {
      child.kill("SIGKILL");
    } catch (error) {
      // It has already exited: there is nothing left to stop.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  const kill: Kill = (why) => {
    if (result.killed || result.final) return;
    // After its last line a child has nothing more to give: it is stopped whether it exits
    // by itself (the runner does) or not (an agent that forged the line and went on).
    if (why === "final") return stop();
    if (why === "timeout") noteMemory(child.pid, settings.baseKb, result);
    result.killed = why;
    stop();
  };
  const timer = settings.runtime.setTimer(settings.quantumMs, () => kill("timeout"));
  const onAbort = () => kill("disposed");
  settings.signal?.addEventListener("abort", onAbort);
  if (settings.signal?.aborted) onAbort();
  write(job);
  const readOut = readLines(child.stdout, settings, result, (text) => {
    if (result.final || result.killed) return;
    onLine(text, result, query, write, kill);
  }, kill);
  const readErr = readStderr(child.stderr, result);
  const status = await child.status;
  settings.runtime.clearTimer(timer);
  settings.signal?.removeEventListener("abort", onAbort);
  await Promise.all([readOut, readErr]);
  await writing;
  await writer.close().catch(inputFailed);
  return { ...result, status };
}

/** Notes what the agent held beyond an idle child when its quantum ended, in KB. */
function noteMemory(pid: number, baseKb: number | undefined, result: Collected): void {
  if (baseKb === undefined) return;
  try {
    const memory = readChildMemory(pid);
    if (memory !== undefined) result.memoryKb = memory.dataKb - baseKb;
  } catch (error) {
    // /proc was readable when the baseline was measured; if it no longer is, the end is
    // reported as a timeout, with the reason its memory is not known.
    result.memoryNote = `its memory could not be read: ${(error as Error).message}`;
  }
}

async function readLines(
  stream: ReadableStream<Uint8Array>,
  settings: ChildSettings,
  result: Collected,
  onText: (text: string) => void,
  kill: Kill,
): Promise<void> {
  const splitter = new LineSplitter(settings.maxLineBytes);
  let total = 0;
  for await (const chunk of stream) {
    // Once it is killed or done, the rest is drained unread until the pipe closes.
    if (result.killed || result.final) continue;
    total += chunk.length;
    if (total > settings.maxOutputBytes) {
      result.outputError = `it wrote more than ${settings.maxOutputBytes} bytes`;
      kill("output");
    } else if (!splitter.push(chunk, onText)) {
      result.outputError = `it wrote a line longer than ${settings.maxLineBytes} bytes`;
      kill("output");
    }
  }
}

async function readStderr(stream: ReadableStream<Uint8Array>, result: Collected): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    const text = decoder.decode(chunk, { stream: true });
    // The marker may straddle two chunks: look at the end of what was kept too.
    if (!result.outOfMemory && OOM.test(result.stderr.slice(-256) + text)) {
      result.outOfMemory = true;
    }
    result.stderr = (result.stderr.slice(-STDERR_KEPT) + text.slice(-STDERR_KEPT))
      .slice(-STDERR_KEPT);
  }
}

function onLine(
  text: string,
  result: Collected,
  query: QueryFn,
  write: (line: unknown) => void,
  kill: Kill,
): void {
  let line: { t?: unknown; [key: string]: unknown };
  try {
    line = JSON.parse(text);
  } catch {
    result.protocolError = `the agent wrote a line that is not JSON: ${
      JSON.stringify(text.slice(0, 80))
    }`;
    kill("protocol");
    return;
  }
  switch (line?.t) {
    case "query": {
      let answer: Record<string, unknown>;
      try {
        answer = { t: "rows", n: line.n, rows: query(line.query as never) };
      } catch (error) {
        answer = { t: "rows", n: line.n, error: (error as Error).message };
      }
      write(answer);
      return;
    }
    case "log":
      if (result.logs.length < 100) result.logs.push(String(line.line));
      return;
    case "denied":
      if (result.denied.length < 20) result.denied.push(String(line.message));
      return;
    case "end":
    case "merged":
    case "fail":
      kill("final");
      result.final = line as unknown as Final;
      return;
    default:
      result.protocolError = `unknown line type ${JSON.stringify(line?.t)}`;
      kill("protocol");
  }
}
