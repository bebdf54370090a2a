/**
 * The lab's flag parsing: strict, with a did-you-mean for an unknown flag, negative numbers
 * accepted as values (`--seed -1` reaches the range check instead of a parser complaint), a
 * flag given twice refused, and flags that do not apply to a run refused by name. Every mistake
 * is a {@link UsageError}: the lab prints it with the usage and exits with code 2.
 * @module
 */
import { parseArgs } from "node:util";

/** A command-line mistake: the lab prints it with the usage and exits with code 2. */
export class UsageError extends Error {
  /** The usage text to print after the message. */
  readonly usage: string;
  /** Creates the error. */
  constructor(message: string, usage: string) {
    super(message);
    this.name = "UsageError";
    this.usage = usage;
  }
}

/** A flag definition for {@link parseFlags}. */
export interface FlagSpec {
  /** Whether the flag takes a value. */
  readonly type: "string" | "boolean";
  /** One-letter alias (`-q`). */
  readonly short?: string;
  /** May be given more than once (values collected in an array). */
  readonly multiple?: boolean;
  /**
   * A string flag whose value may be left out (`--out` alone): it then parses as `""`. A value
   * is taken only when it is the next argument and does not look like a flag or a `.ts` file.
   */
  readonly optionalValue?: boolean;
}

/** Parsed flag values, by long name. */
export type FlagValues = Record<string, string | boolean | string[] | undefined>;

/** Edit distance with adjacent transpositions (optimal string alignment): `dorp` is 1 from `drop`. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to `word` (by edit distance, or the one it is a prefix of), or
 * `undefined` when none is close.
 *
 * @example A typo
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./_flags.ts";
 * assert.equal(didYouMean("dorp", ["drop", "dup", "delay"]), "drop");
 * assert.equal(didYouMean("req", ["requests", "clients"]), "requests");
 * assert.equal(didYouMean("colour", ["drop", "dup"]), undefined);
 * ```
 */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined, bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = candidate.startsWith(word) && word.length >= 2 ? 1 : distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

const NUMBER = /^-\.?\d/;

/** Checks unknown and repeated flags and joins a negative number to its flag (`--seed=-1`). */
function prepare(
  args: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
  usage: string,
): string[] {
  const names = Object.keys(flags);
  const byShort = new Map(
    Object.entries(flags).filter(([, s]) => s.short).map(([n, s]) => [s.short!, n]),
  );
  const accepted = names.map((f) => `--${f}`).join(", ");
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || NUMBER.test(arg)) {
      out.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const eq = arg.indexOf("=");
    const written = long ? arg.slice(2, eq < 0 ? undefined : eq) : arg.slice(1, 2);
    const name = long ? written : byShort.get(written);
    if (name === undefined || flags[name] === undefined) {
      const guess = long ? didYouMean(written, names) : undefined;
      throw new UsageError(
        `Cannot use ${long ? "--" : "-"}${written}: unknown flag${
          guess ? `; did you mean --${guess}?` : ""
        }\naccepted flags: ${accepted}`,
        usage,
      );
    }
    const spec = flags[name];
    if (spec.type === "boolean" && long && eq >= 0) {
      throw new UsageError(`Cannot use ${arg}: --${name} takes no value`, usage);
    }
    if (!long && arg.length > 2 && spec.type === "boolean") {
      // A group of short booleans (-qh): let the parser split it.
      out.push(arg);
      continue;
    }
    let value: string | undefined;
    if (spec.type === "string") {
      value = long
        ? (eq < 0 ? undefined : arg.slice(eq + 1))
        : (arg.length > 2 ? arg.slice(2) : undefined);
      if (value === undefined && i + 1 < args.length && NUMBER.test(args[i + 1])) value = args[++i];
      if (
        value === undefined && i + 1 < args.length && !args[i + 1].startsWith("-") &&
        !(spec.optionalValue && /\.ts$/.test(args[i + 1]))
      ) {
        value = args[++i];
      }
      if (value === undefined && spec.optionalValue) value = "";
    }
    const before = seen.get(name);
    if (before !== undefined && !spec.multiple) {
      throw new UsageError(
        `Cannot use --${name} twice${
          spec.type === "string" ? ` ("${before}" and "${value}")` : ""
        }: give it once`,
        usage,
      );
    }
    seen.set(name, value ?? "");
    out.push(value === undefined ? `--${name}` : `--${name}=${value}`);
  }
  return out;
}

/**
 * Parses `args` strictly: an unknown flag (with a did-you-mean), a flag given twice or a
 * missing value throws a {@link UsageError}; a negative number is taken as a value.
 *
 * @example A negative seed reaches the range check
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags, UsageError } from "./_flags.ts";
 * const flags = { seed: { type: "string" }, sim: { type: "boolean" } } as const;
 * assert.equal(parseFlags(["--seed", "-1"], flags, "usage").values.seed, "-1");
 * assert.throws(() => parseFlags(["--sed", "1"], flags, "usage"), /did you mean --seed\?/);
 * assert.throws(() => parseFlags(["--sim", "--sim"], flags, "usage"), UsageError);
 * assert.throws(() => parseFlags(["--sim=false"], flags, "usage"), /takes no value/);
 * const out = { out: { type: "string", optionalValue: true }, sim: { type: "boolean" } } as const;
 * assert.equal(parseFlags(["--out", "--sim"], out, "usage").values.out, "");
 * assert.equal(parseFlags(["--out", "runs/a"], out, "usage").values.out, "runs/a");
 * ```
 */
export function parseFlags(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
  usage: string,
): { values: FlagValues; positionals: string[] } {
  const prepared = prepare(args, flags, usage);
  try {
    const { values, positionals } = parseArgs({
      args: prepared,
      options: flags as Record<string, FlagSpec>,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as FlagValues, positionals };
  } catch (error) {
    const accepted = Object.keys(flags).map((f) => `--${f}`).join(", ");
    throw new UsageError(`${(error as Error).message}\naccepted flags: ${accepted}`, usage);
  }
}

/** Parses an integer flag with bounds, or throws a {@link UsageError} quoting it. */
export function intFlag(
  name: string,
  value: unknown,
  fallback: number,
  usage: string,
  min = 0,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(String(value)) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`Cannot use --${name} "${value}": give a whole number >= ${min}`, usage);
  }
  return n;
}

/**
 * Refuses each flag of `reasons` that was given: `Cannot use --sim with lab node: ...`.
 *
 * @example A flag that does not apply
 * ```ts
 * import assert from "node:assert/strict";
 * import { refuseFlags } from "./_flags.ts";
 * assert.throws(
 *   () => refuseFlags({ sim: true }, { sim: "a node is one machine on real sockets" }, "usage"),
 *   /Cannot use --sim: a node is one machine on real sockets/,
 * );
 * ```
 */
export function refuseFlags(
  values: Readonly<Record<string, unknown>>,
  reasons: Readonly<Record<string, string | undefined>>,
  usage: string,
): void {
  for (const [name, reason] of Object.entries(reasons)) {
    const value = values[name];
    if (reason === undefined || value === undefined || value === false) continue;
    throw new UsageError(`Cannot use --${name}: ${reason}`, usage);
  }
}

/**
 * Quotes `word` for a POSIX shell when it needs it: the one quoting of every command line the
 * lab prints (replay suggestions, shrunk failures, SSH commands).
 *
 * @example Plain and awkward words
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./_flags.ts";
 * assert.equal(shellQuote("--seed"), "--seed");
 * assert.equal(shellQuote("m1.lab|m2.lab@0..5"), "'m1.lab|m2.lab@0..5'");
 * assert.equal(shellQuote("it's here"), `'it'"'"'s here'`);
 * assert.equal(shellQuote(""), "''");
 * ```
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

/**
 * The shell command that runs the lab with `words` (the command's name first), each quoted by
 * {@link shellQuote}.
 *
 * @example A partition is quoted
 * ```ts
 * import assert from "node:assert/strict";
 * import { labCommandLine } from "./_flags.ts";
 * assert.equal(
 *   labCommandLine(["p2p", "--sim", "--partition", "p0.lab|p1.lab@0..20"]),
 *   "deno task lab p2p --sim --partition 'p0.lab|p1.lab@0..20'",
 * );
 * ```
 */
export function labCommandLine(words: readonly string[]): string {
  return `deno task lab ${words.map(shellQuote).join(" ")}`;
}

/**
 * `args` without the flags `valued` (each with its value, `--x V` or `--x=V`; a valued flag
 * followed by another flag had its value left out) and `bare` (no value).
 *
 * @example Dropping a valued and a bare flag
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutFlags } from "./_flags.ts";
 * assert.deepEqual(
 *   withoutFlags(["a", "--trace", "t.jsonl", "--seed=3", "--real", "-q"], ["trace", "seed"], ["real"]),
 *   ["a", "-q"],
 * );
 * ```
 */
export function withoutFlags(
  args: readonly string[],
  valued: readonly string[],
  bare: readonly string[] = [],
): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const name = arg.startsWith("--") ? arg.slice(2).split("=")[0] : undefined;
    if (name !== undefined && valued.includes(name)) {
      // A flag whose value is optional (`--out` alone) takes no following flag as its value.
      if (!arg.includes("=") && !(args[i + 1] ?? "--").startsWith("--")) i++;
    } else if (name === undefined || !bare.includes(name)) {
      kept.push(arg);
    }
  }
  return kept;
}

/**
 * `args` without what only shows a run (`--out DIR`, `--live`): a replay suggestion must not
 * write over the failed run's results folder, nor open a live view nobody asked of the replay.
 *
 * @example A failed run's results folder stays as it is
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutViewFlags } from "./_flags.ts";
 * assert.deepEqual(
 *   withoutViewFlags(["p2p", "--out", "runs/a", "--live", "--seed", "3"]),
 *   ["p2p", "--seed", "3"],
 * );
 * assert.deepEqual(withoutViewFlags(["p2p", "--out", "--sim"]), ["p2p", "--sim"]);
 * ```
 */
export function withoutViewFlags(args: readonly string[]): string[] {
  return withoutFlags(args, ["out"], ["live"]);
}
