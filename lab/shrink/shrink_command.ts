/**
 * `--shrink` on the architectures' simulated runs: when a run fails (its command exits non-zero
 * or throws), its faults (the frames the seeded draws hit, `--partition`, `--crash`) are reduced
 * by delta debugging, then the workload sizes given on the command line, each candidate re-run
 * in this process, quietly, under the same seed; a candidate fails when it ends as the original
 * did (exit code and error class). The minimal schedule is printed as the flags that replay it.
 * @module
 */
import { parseCrashes, parsePartitions } from "../_fault_flags.ts";
import { UsageError } from "../_flags.ts";
import { type Fault, faultFlags, type FrameFault } from "./fault_schedule.ts";
import { labCommandLine } from "../_flags.ts";
import { frameRecorder } from "./recorder.ts";
import { shrink } from "./shrink.ts";

/**
 * Workload sizes each command may lower, by flag (only those given on the command line).
 *
 * @example client-server's
 * ```ts
 * import assert from "node:assert/strict";
 * import { SIZE_FLAGS } from "./shrink_command.ts";
 * assert.deepEqual(SIZE_FLAGS["client-server"], ["clients", "requests"]);
 * ```
 */
export const SIZE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  "client-server": ["clients", "requests"],
  transactions: ["clients", "transfers"],
  "three-tier": ["users"],
  group: ["messages"],
  proxy: ["clients", "requests"],
  rpc: ["clients", "calls"],
  p2p: ["writes"],
};

/** How a run ended. */
interface Ending {
  readonly code: number;
  readonly error?: string;
}

/** A lab command: its arguments in, its exit code out. */
export type LabCommand = (args: string[]) => Promise<number>;

/** What shrinking an architecture's run found. */
export interface CommandShrink {
  /** The minimal schedule. */
  readonly faults: readonly Fault[];
  /** The sizes of the minimal run, by flag. */
  readonly sizes: Readonly<Record<string, number>>;
  /** The failing run's fault count and sizes. */
  readonly from: { readonly faults: number; readonly sizes: Readonly<Record<string, number>> };
  /** How the failing run ended, which every candidate had to repeat. */
  readonly ending: string;
  /** Runs it took. */
  readonly tests: number;
  /** Whether no single fault can be removed and no size lowered (no budget ran out). */
  readonly minimal: boolean;
  /** The flags that replay the minimal run, with the command's others. */
  readonly flags: readonly string[];
  /** The whole command. */
  readonly command: string;
}

/** Runs `command` with console output silenced. */
async function quietly(command: LabCommand, args: string[]): Promise<Ending> {
  const saved = [console.log, console.error, console.warn, console.info];
  const mute = () => {};
  console.log =
    console.error =
    console.warn =
    console.info =
      mute;
  try {
    return { code: await command(args) };
  } catch (error) {
    if (error instanceof UsageError) return { code: 2, error: "UsageError" };
    return { code: 1, error: error instanceof Error ? error.name : typeof error };
  } finally {
    [console.log, console.error, console.warn, console.info] = saved;
  }
}

/** The values of flag `name` in `args` (`--name V` or `--name=V`). */
function values(args: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}` && i + 1 < args.length) out.push(args[++i]);
    else if (args[i].startsWith(`--${name}=`)) out.push(args[i].slice(name.length + 3));
  }
  return out;
}

/** `args` without the valued flags named and without `--shrink`. */
function without(args: readonly string[], valued: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith("--") ? args[i].slice(2).split("=")[0] : "";
    if (name === "shrink") continue;
    if (valued.includes(name)) {
      if (!args[i].includes("=")) i++;
      continue;
    }
    out.push(args[i]);
  }
  return out;
}

/**
 * Shrinks the failing run `args` of command `name` (`recorded`: the frames its draws hit).
 * Returns undefined when the run, replayed with its faults made explicit, does not fail again.
 *
 * @example A command that fails while a crash is given
 * ```ts
 * import assert from "node:assert/strict";
 * import { shrinkCommand } from "./shrink_command.ts";
 * const command = (args: string[]) => Promise.resolve(args.includes("m2.lab@20") ? 1 : 0);
 * const args = ["--sim", "--crash", "m1.lab@10", "--crash", "m2.lab@20"];
 * const shrunk = await shrinkCommand("client-server", command, args, { code: 1 }, []);
 * assert.deepEqual(shrunk!.flags, ["--crash", "m2.lab@20", "--frame-faults", "none"]);
 * ```
 */
export async function shrinkCommand(
  name: string,
  command: LabCommand,
  args: readonly string[],
  ending: Ending,
  recorded: readonly FrameFault[],
): Promise<CommandShrink | undefined> {
  const usage = "";
  const faults: Fault[] = [
    ...recorded,
    ...parsePartitions(values(args, "partition"), usage).map((spec) => ({
      kind: "partition" as const,
      spec,
    })),
    ...parseCrashes(values(args, "crash"), usage).map((spec) => ({ kind: "crash" as const, spec })),
  ];
  const sizes: Record<string, number> = {};
  const bounds: Record<string, { value: number; min: number }> = {};
  for (const flag of SIZE_FLAGS[name] ?? []) {
    const given = values(args, flag).at(-1);
    if (given !== undefined && /^\d+$/.test(given) && Number(given) > 1) {
      sizes[flag] = Number(given);
      bounds[flag] = { value: Number(given), min: 1 };
    }
  }
  const base = [
    name,
    ...without(args, ["partition", "crash", "frame-faults", "trace", ...Object.keys(sizes)]),
  ];
  const argsOf = (c: { faults: readonly Fault[]; sizes: Readonly<Record<string, number>> }) => [
    ...faultFlags(c.faults),
    ...Object.entries(c.sizes).flatMap(([flag, v]) => [`--${flag}`, String(v)]),
  ];
  const fails = async (
    c: { faults: readonly Fault[]; sizes: Readonly<Record<string, number>> },
  ) => {
    const end = await quietly(command, [...base.slice(1), ...argsOf(c)]);
    return end.code === ending.code && end.error === ending.error;
  };
  if (!await fails({ faults, sizes })) return undefined;
  const result = await shrink({ faults, sizes }, bounds, fails);
  const flags = argsOf(result);
  return {
    faults: result.faults,
    sizes: result.sizes,
    from: { faults: faults.length, sizes },
    ending: ending.error ?? `exit code ${ending.code}`,
    tests: result.tests + 1,
    minimal: result.minimal,
    flags,
    command: labCommandLine([...base, ...flags]),
  };
}

/**
 * Runs command `name` with `--shrink` among its arguments: first as given (its output shown;
 * with `--json` its object gains a `shrink` key), then, when it failed, the shrinking.
 * `report` prints a thrown failure as the lab does.
 *
 * @example A passing run is not shrunk
 * ```ts
 * import assert from "node:assert/strict";
 * import { runShrinking } from "./shrink_command.ts";
 * const log = console.log;
 * const lines: string[] = [];
 * console.log = (line: string) => lines.push(line);
 * try {
 *   const code = await runShrinking("x", () => { console.log("{\"ok\":true}"); return Promise.resolve(0); }, ["--json"], () => {});
 *   assert.equal(code, 0);
 * } finally {
 *   console.log = log;
 * }
 * assert.deepEqual(JSON.parse(lines[0]), { ok: true, shrink: null });
 * ```
 */
export async function runShrinking(
  name: string,
  command: LabCommand,
  args: string[],
  report: (error: unknown) => void,
): Promise<number> {
  const json = args.includes("--json");
  const captured: string[] = [];
  const log = console.log;
  if (json) console.log = (...parts: unknown[]) => captured.push(parts.join(" "));
  frameRecorder.frames = [];
  let code: number, error: unknown;
  try {
    code = await command(args);
  } catch (thrown) {
    if (thrown instanceof UsageError) throw thrown;
    error = thrown;
    code = 1;
  } finally {
    console.log = log;
  }
  const recorded = frameRecorder.frames;
  frameRecorder.frames = undefined;
  if (error !== undefined) report(error);
  const ending = { code, error: error instanceof Error ? error.name : undefined };
  const shrunk = code === 0
    ? undefined
    : await shrinkCommand(name, command, args, ending, recorded);
  if (json) {
    const last = captured.at(-1);
    let object: Record<string, unknown> | undefined;
    try {
      object = last === undefined ? undefined : JSON.parse(last);
    } catch { /* not JSON: printed as it was */ }
    for (const line of captured.slice(0, object ? -1 : undefined)) console.log(line);
    if (object !== undefined) console.log(JSON.stringify({ ...object, shrink: shrunk ?? null }));
    return code;
  }
  if (code !== 0) console.log(formatCommandShrink(shrunk));
  return code;
}

/**
 * The outcome for a person.
 *
 * @example One drop left
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCommandShrink } from "./shrink_command.ts";
 * const text = formatCommandShrink({
 *   faults: [{ kind: "drop", frame: "m1.lab>m2.lab#3" }], sizes: { requests: 2 },
 *   from: { faults: 9, sizes: { requests: 8 } }, ending: "exit code 1", tests: 20, minimal: true,
 *   flags: ["--frame-faults", "drop:m1.lab>m2.lab#3", "--requests", "2"],
 *   command: "deno task lab client-server --sim --frame-faults drop:m1.lab>m2.lab#3 --requests 2",
 * });
 * assert.match(text, /^shrunk to 1 fault\(s\) \(from 9\), --requests 2 \(from 8\)/);
 * assert.match(text, /\n {2}drop m1.lab>m2.lab#3\n/);
 * ```
 */
export function formatCommandShrink(shrunk: CommandShrink | undefined): string {
  if (shrunk === undefined) {
    return "shrink: the run does not fail again with its faults named one by one; nothing to shrink";
  }
  const sizes = Object.entries(shrunk.sizes).map(([flag, v]) =>
    `, --${flag} ${v} (from ${shrunk.from.sizes[flag]})`
  ).join("");
  const lines = [
    `shrunk to ${shrunk.faults.length} fault(s) (from ${shrunk.from.faults})${sizes}, still ` +
    `${shrunk.ending}, in ${shrunk.tests} runs` +
    (shrunk.minimal ? "; no single fault can be removed" : " (budget ran out)"),
  ];
  for (const f of shrunk.faults) {
    if (f.kind === "partition") {
      lines.push(`  partition ${f.spec.a}|${f.spec.b} from ${f.spec.at} ms`);
    } else if (f.kind === "crash") lines.push(`  crash ${f.spec.machine} at ${f.spec.at} ms`);
    else lines.push(`  ${f.kind} ${f.frame}`);
  }
  lines.push(`replay the minimal failure: ${shrunk.command}`);
  return lines.join("\n");
}
