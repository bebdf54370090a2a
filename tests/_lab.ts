/**
 * Helpers for tests of the lab's commands: run `lab/main.ts` as a user would (a child process),
 * or call a command in-process and capture what it prints; the keys every `--json` summary has.
 * @module
 */
import assert from "node:assert/strict";

const MAIN = new URL("../lab/main.ts", import.meta.url).pathname;

/** The keys every architecture's `--json` summary has. */
export const SUMMARY_KEYS: readonly string[] = [
  "architecture",
  "transport",
  "seed",
  "requests",
  "messages",
  "bytes",
  "latency",
  "retransmissions",
  "errors",
  "traceDigest",
];

/** Runs `deno run -A lab/main.ts ...args` and returns its exit code and output. */
export async function runLab(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Runs a lab command in this process, collecting the lines it writes with `console.log`. */
export async function captureLog(
  command: (args: string[]) => Promise<number>,
  args: string[],
): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  try {
    return { code: await command(args), out };
  } finally {
    console.log = log;
  }
}

/**
 * Runs the lab's `main` in this process with `args`, collecting what it writes with
 * `console.log` (`out`) and `console.error` (`err`).
 */
export async function captureMain(
  args: string[],
): Promise<{ code: number; out: string[]; err: string[] }> {
  const { main } = await import("../lab/main.ts");
  const out: string[] = [], err: string[] = [];
  const log = console.log, error = console.error;
  console.log = (...parts: unknown[]) => out.push(parts.join(" "));
  console.error = (...parts: unknown[]) => err.push(parts.join(" "));
  try {
    return { code: await main(args), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** Asserts that a `--json` summary has every key of {@link SUMMARY_KEYS}. */
export function assertSummaryKeys(summary: Record<string, unknown>): void {
  for (const key of SUMMARY_KEYS) assert.ok(key in summary, `--json lacks "${key}"`);
}
