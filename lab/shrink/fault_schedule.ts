/**
 * A run's fault schedule as a list of single faults that shrinking can remove one by one:
 * frames lost, duplicated or held back (`--frame-faults`, the frames the seeded draws of
 * `--drop`, `--dup`, `--reorder` hit, recorded from a run), partitions (`--partition`) and
 * crashes (`--crash`). With `--frame-faults` the draws are still taken, so the rest of the run
 * lines up with the original, but only the frames named are hit.
 * @module
 */
import type { Chooser, FrameChoice } from "../../core/simulator/chooser.ts";
import type { CrashSpec, PartitionSpec } from "../_fault_flags.ts";
import { UsageError } from "../_flags.ts";

/** What can happen to one frame. */
export type FrameFaultKind = "drop" | "dup" | "hold";

/** One frame lost, duplicated or held back: `frame` is its label, `m1.lab>m2.lab#3`. */
export interface FrameFault {
  /** What happens to it. */
  readonly kind: FrameFaultKind;
  /** The frame: the n-th on its link (`/2` for a duplicate's copy). */
  readonly frame: string;
}

/** One fault of a schedule. */
export type Fault =
  | FrameFault
  | { readonly kind: "partition"; readonly spec: PartitionSpec }
  | { readonly kind: "crash"; readonly spec: CrashSpec };

const FRAME = /^(drop|dup|hold):([^\s,>]+>[^\s,#]+#\d+(?:\/2)?)$/;

/**
 * Parses `--frame-faults` (`drop:m1.lab>m2.lab#3,dup:...` or `none`).
 *
 * @example Two faults
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFrameFaults } from "./fault_schedule.ts";
 * assert.deepEqual(parseFrameFaults("drop:a.lab>b.lab#3,hold:b.lab>a.lab#1/2", "usage"), [
 *   { kind: "drop", frame: "a.lab>b.lab#3" },
 *   { kind: "hold", frame: "b.lab>a.lab#1/2" },
 * ]);
 * assert.deepEqual(parseFrameFaults("none", "usage"), []);
 * assert.throws(() => parseFrameFaults("lose:a>b#1", "usage"), /Cannot use --frame-faults/);
 * ```
 */
export function parseFrameFaults(value: string, usage: string): FrameFault[] {
  if (value.trim() === "none") return [];
  return value.split(",").map((item) => {
    const m = FRAME.exec(item.trim());
    if (!m) {
      throw new UsageError(
        `Cannot use --frame-faults: "${item}" is not KIND:FROM>TO#N with KIND drop, dup or ` +
          "hold (as --shrink prints it), or none",
        usage,
      );
    }
    return { kind: m[1] as FrameFaultKind, frame: m[2] };
  });
}

/**
 * Formats frame faults for `--frame-faults`.
 *
 * @example Back and forth
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatFrameFaults, parseFrameFaults } from "./fault_schedule.ts";
 * const text = "dup:a.lab>b.lab#2,drop:b.lab>a.lab#1";
 * assert.equal(formatFrameFaults(parseFrameFaults(text, "usage")), text);
 * assert.equal(formatFrameFaults([]), "none");
 * ```
 */
export function formatFrameFaults(faults: readonly FrameFault[]): string {
  return faults.length === 0 ? "none" : faults.map((f) => `${f.kind}:${f.frame}`).join(",");
}

/**
 * A chooser for the simulator's frame decisions. With `only`, exactly those frames are hit
 * (the seeded draws still taken); without, the seeded draws decide. Every frame hit is pushed
 * onto `record` when given.
 *
 * @example Recording what the seed decides
 * ```ts
 * import assert from "node:assert/strict";
 * import { Simulator } from "../../core/simulator/simulator.ts";
 * import { frameFaultChooser, type FrameFault } from "./fault_schedule.ts";
 * const record: FrameFault[] = [];
 * const sim = new Simulator({ seed: 2, drop: 0.5, reliable: false, chooser: frameFaultChooser({ record }) });
 * sim.machine("m1.lab").spawn("a", async (ctx) => { for (let i = 0; i < 6; i++) await ctx.send("b@m2.lab", i); });
 * sim.machine("m2.lab").spawn("b", async (ctx) => { for (;;) await ctx.receive(); });
 * await sim.run();
 * assert.equal(record.length, sim.stats.dropped);
 * ```
 */
export function frameFaultChooser(
  options: { readonly only?: readonly FrameFault[]; readonly record?: FrameFault[] },
): Chooser {
  const only = options.only && new Set(options.only.map((f) => `${f.kind}:${f.frame}`));
  const decide = (kind: FrameFaultKind) => (frame: FrameChoice, drawn: boolean): boolean => {
    const hit = only ? only.has(`${kind}:${frame.label}`) : drawn;
    if (hit) options.record?.push({ kind, frame: frame.label });
    return hit;
  };
  return { drop: decide("drop"), duplicate: decide("dup"), reorder: decide("hold") };
}

/**
 * Splits a schedule back into its kinds.
 *
 * @example A crash and a drop
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitFaults } from "./fault_schedule.ts";
 * const parts = splitFaults([
 *   { kind: "crash", spec: { machine: "n1.lab", at: 5 } },
 *   { kind: "drop", frame: "a.lab>b.lab#1" },
 * ]);
 * assert.deepEqual(parts.frames, [{ kind: "drop", frame: "a.lab>b.lab#1" }]);
 * assert.equal(parts.crashes.length, 1);
 * assert.deepEqual(parts.partitions, []);
 * ```
 */
export function splitFaults(faults: readonly Fault[]): {
  frames: FrameFault[];
  partitions: PartitionSpec[];
  crashes: CrashSpec[];
} {
  const frames: FrameFault[] = [], partitions: PartitionSpec[] = [], crashes: CrashSpec[] = [];
  for (const f of faults) {
    if (f.kind === "partition") partitions.push(f.spec);
    else if (f.kind === "crash") crashes.push(f.spec);
    else frames.push(f);
  }
  return { frames, partitions, crashes };
}

function window(at: number, until: number | undefined): string {
  return until === undefined ? `${at}` : `${at}..${until}`;
}

/**
 * The flags that replay a schedule: `--partition`, `--crash` and `--frame-faults` (always,
 * `none` when no frame is hit, so that the probabilities no longer decide).
 *
 * @example A schedule as flags
 * ```ts
 * import assert from "node:assert/strict";
 * import { faultFlags } from "./fault_schedule.ts";
 * assert.deepEqual(faultFlags([
 *   { kind: "crash", spec: { machine: "n1.lab", at: 100, restartAt: 300 } },
 *   { kind: "drop", frame: "n1.lab>n2.lab#2" },
 * ]), ["--crash", "n1.lab@100..300", "--frame-faults", "drop:n1.lab>n2.lab#2"]);
 * ```
 */
export function faultFlags(faults: readonly Fault[]): string[] {
  const { frames, partitions, crashes } = splitFaults(faults);
  const flags: string[] = [];
  for (const p of partitions) {
    flags.push(
      "--partition",
      `${p.a.join(",")}${p.oneWay ? "->" : "|"}${p.b.join(",")}@${window(p.at, p.until)}`,
    );
  }
  for (const c of crashes) flags.push("--crash", `${c.machine}@${window(c.at, c.restartAt)}`);
  flags.push("--frame-faults", formatFrameFaults(frames));
  return flags;
}
