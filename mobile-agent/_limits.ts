/**
 * The kernel's limits on a sandbox child, on Linux through util-linux's `prlimit`: CPU time
 * (`--cpu`), and writable memory (`--data`, RLIMIT_DATA).
 *
 * Why RLIMIT_DATA and not the address space (RLIMIT_AS): V8 reserves address space it never
 * fills (Oilpan's 16 GB heap cage, reserved twice over while it aligns it, and a 512 MB code
 * range), so measured here an idle `deno` needs `--as` of about 34 GB to start at all, and an
 * address-space bound that high bounds nothing. Since Linux 4.7 RLIMIT_DATA counts every private
 * writable mapping: the V8 heaps, ArrayBuffers, Wasm memories, malloc, thread stacks, a Worker's
 * isolate. Inaccessible reservations do not count; they count once made writable. So the child
 * gets RLIMIT_DATA = what an idle sandbox child maps writable (measured once, see
 * {@link readChildMemory}) + the agent's memory budget: an allocation past it fails at once
 * (`RangeError: Array buffer allocation failed`, or V8's fatal out-of-memory).
 * @module
 */

const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"];
let prlimitPath: string | null | undefined;

/**
 * The path of `prlimit`, or `null` when this is not Linux or it is not installed (Debian:
 * util-linux); then the child runs without kernel limits (the quantum still holds).
 *
 * @example On this Linux host it exists
 * ```ts
 * import assert from "node:assert/strict";
 * import { findPrlimit } from "./_limits.ts";
 * if (Deno.build.os === "linux") assert.match(findPrlimit() ?? "", /prlimit$/);
 * ```
 */
export function findPrlimit(): string | null {
  if (prlimitPath !== undefined) return prlimitPath;
  prlimitPath = null;
  if (Deno.build.os !== "linux") return null;
  for (const path of PRLIMIT) {
    try {
      if (Deno.statSync(path).isFile) return prlimitPath = path;
    } catch (error) {
      // Not there: try the next place. No permission to look is the host's setup: say so.
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return null;
}

/** A child's memory, from `/proc/PID/status`, in KB. */
export interface ChildMemory {
  /** Private writable mappings (VmData): what RLIMIT_DATA counts. */
  readonly dataKb: number;
  /** Resident memory (VmRSS). */
  readonly rssKb: number;
}

/**
 * Reads the memory of process `pid`, or `undefined` when it has gone. Deno lets a program read
 * `/proc` only with `--allow-all`; without it the file is read by `cat`, which needs run
 * permission only (the sandbox needs that anyway).
 *
 * @example This process
 * ```ts
 * import assert from "node:assert/strict";
 * import { readChildMemory } from "./_limits.ts";
 * if (Deno.build.os === "linux") assert.ok(readChildMemory(Deno.pid)!.dataKb > 0);
 * ```
 */
export function readChildMemory(pid: number): ChildMemory | undefined {
  const text = readStatus(`/proc/${pid}/status`);
  if (text === undefined) return undefined;
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text)?.[1]);
  const dataKb = field("VmData");
  const rssKb = field("VmRSS");
  // A zombie has no memory lines any more.
  if (!Number.isFinite(dataKb)) return undefined;
  return { dataKb, rssKb: Number.isFinite(rssKb) ? rssKb : 0 };
}

function readStatus(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    // The process has exited (its /proc entry is gone): nothing to read.
    if (error instanceof Deno.errors.NotFound) return undefined;
    // Deno asks for --allow-all to read /proc: read it through cat instead.
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
  }
  const out = new Deno.Command("cat", { args: [path], stdout: "piped", stderr: "piped" })
    .outputSync();
  if (out.success) return new TextDecoder().decode(out.stdout);
  const why = new TextDecoder().decode(out.stderr);
  if (/No such file/.test(why)) return undefined;
  throw new Error(`Cannot read ${path}: cat exited with code ${out.code}: ${why.trim()}`);
}

/** The kernel limits of one child. */
export interface ChildLimits {
  /** CPU seconds (RLIMIT_CPU), or none. */
  readonly cpuSeconds?: number;
  /** Bytes of private writable memory (RLIMIT_DATA), or none. */
  readonly dataBytes?: number;
}

/**
 * The command that runs `deno` with `args` under `limits`: through `prlimit` when a limit is
 * asked for and `prlimit` exists (it execs `deno`, so the child's pid is deno's).
 *
 * @example A data limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitedCommand } from "./_limits.ts";
 * const { command, args } = limitedCommand("deno", ["run", "x.ts"], { dataBytes: 1024 });
 * if (command !== "deno") assert.deepEqual(args, ["--data=1024", "deno", "run", "x.ts"]);
 * ```
 */
export function limitedCommand(
  deno: string,
  args: readonly string[],
  limits: ChildLimits,
): { command: string; args: string[] } {
  const prlimit = findPrlimit();
  const flags: string[] = [];
  if (limits.cpuSeconds !== undefined) flags.push(`--cpu=${Math.ceil(limits.cpuSeconds)}`);
  if (limits.dataBytes !== undefined) flags.push(`--data=${Math.ceil(limits.dataBytes)}`);
  if (prlimit === null || flags.length === 0) return { command: deno, args: [...args] };
  return { command: prlimit, args: [...flags, deno, ...args] };
}
