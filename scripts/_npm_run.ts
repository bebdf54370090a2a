/**
 * Paths and the command runner shared by `scripts/build_npm.ts` and its helpers.
 * @module
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));
/** The package directory. */
export const OUT: string = join(ROOT, "dist", "npm");
/** Cached tools, the packed tarball and the consumer project. */
export const CACHE: string = join(ROOT, "dist", ".cache");
/** Flags that keep npm quiet and offline-friendly. */
export const NPM_QUIET: readonly string[] = [
  "--no-audit",
  "--no-fund",
  "--no-update-notifier",
  "--loglevel=error",
];

/**
 * Every command the build runs, and so exactly what `deno task build:npm` allows (`--allow-run`):
 * `node` (tsc, the smoke test, the core's tests), `npm` (install, pack) and `npx` (`npx archlab`
 * in the consumer project, as a user runs it).
 */
export const COMMANDS: readonly ["node", "npm", "npx"] = ["node", "npm", "npx"];

/** Whether `path` exists. */
export async function exists(path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false);
}

/** Runs a command; resolves to its stdout, rejects with its output when it fails. */
export async function run(
  cmd: typeof COMMANDS[number],
  args: readonly string[],
  cwd: string,
  timeoutMs = 300_000,
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(cmd, {
      args: [...args],
      cwd,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(timeoutMs),
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`Cannot build the npm package: "${cmd}" is not on PATH; install Node 20+`);
    }
    throw error;
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  if (!output.success) {
    const why = output.signal
      ? `was killed (${output.signal}; limit ${timeoutMs} ms)`
      : `exited with ${output.code}`;
    throw new Error(
      `Cannot build the npm package: \`${cmd} ${args.join(" ")}\` ${why}:\n${stdout}${
        decoder.decode(output.stderr)
      }`,
    );
  }
  return stdout;
}
