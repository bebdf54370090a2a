/**
 * Runs that lose a machine for good (its OS process killed, `kill -9`, and nothing restarts it)
 * still end with their normal summary: {@link runUnlessLost} hands the `MachineLostError` back
 * as a value instead of throwing it, {@link lostFields} says in the summary (and its `--json`)
 * what did not finish, and {@link printPartial} marks the printed summary partial.
 * @module
 */
import { howDied, type MachineLoss, MachineLostError } from "./run_errors.ts";

export type { MachineLoss };
export { MachineLostError };

/** What {@link runUnlessLost} runs: a deployment (`Deployment` of `./deploy.ts`). */
export interface Runnable {
  /** Runs until `done` settles (see `Deployment.run`). */
  run(done: Promise<unknown>, options?: { until?: number }): Promise<void>;
}

/**
 * Runs `deployment` until `done` settles, as `deployment.run` does; a run that ended because
 * machines died and were not restarted resolves to its `MachineLostError` (every other failure
 * is thrown).
 *
 * @example A run that finishes resolves to undefined
 * ```ts
 * import assert from "node:assert/strict";
 * import { deploy } from "./deploy.ts";
 * import { runUnlessLost } from "./lost_run.ts";
 * const deployment = await deploy([], { sim: true });
 * const done = Promise.withResolvers<void>();
 * deployment.spawnControl("p", () => done.resolve());
 * assert.equal(await runUnlessLost(deployment, done.promise), undefined);
 * await deployment.stop();
 * ```
 */
export async function runUnlessLost(
  deployment: Runnable,
  done: Promise<unknown>,
  options: { until?: number } = {},
): Promise<MachineLostError | undefined> {
  try {
    await deployment.run(done, options);
    return undefined;
  } catch (error) {
    if (error instanceof MachineLostError) return error;
    throw error;
  }
}

/** The summary's fields for a run that lost machines: what did not finish, and which machines. */
export interface LostFields {
  /** Why the run did not finish, one sentence each. */
  readonly unfinished: string[];
  /** The machines that died and were not restarted. */
  readonly machinesLost: string[];
}

/**
 * The fields a summary adds when machines died for good (none when none did): one sentence per
 * dead machine (with when the run ended, given the `MachineLostError` that ended it), then
 * `more` (what it could not measure).
 *
 * @example One machine killed
 * ```ts
 * import assert from "node:assert/strict";
 * import { lostFields } from "./lost_run.ts";
 * import { MachineLostError } from "./run_errors.ts";
 * const lost = new MachineLostError([{ machine: "p3.lab", time: 900, signal: "SIGKILL", code: 137 }], 4000);
 * assert.deepEqual(lostFields(lost, ["peer@p3.lab: no report"]), {
 *   unfinished: [
 *     "p3.lab died at 900 ms (killed by SIGKILL, exit code 137), not restarted; the run ended 3100 ms later",
 *     "peer@p3.lab: no report",
 *   ],
 *   machinesLost: ["p3.lab"],
 * });
 * assert.deepEqual(lostFields(undefined), {});
 * assert.deepEqual(lostFields(lost.lost).unfinished, ["p3.lab died at 900 ms (killed by SIGKILL, exit code 137), not restarted"]);
 * ```
 */
export function lostFields(
  lost: MachineLostError | readonly MachineLoss[] | undefined,
  more: readonly string[] = [],
): LostFields | Record<string, never> {
  const losses = lost instanceof MachineLostError ? lost.lost : lost ?? [];
  if (losses.length === 0) return {};
  const last = losses[losses.length - 1].time;
  const ended = lost instanceof MachineLostError
    ? `; the run ended ${(lost.time - last).toFixed(0)} ms later`
    : "";
  return {
    unfinished: [
      ...losses.map((l) =>
        `${l.machine} died at ${l.time.toFixed(0)} ms (${howDied(l)}), not restarted${ended}`
      ),
      ...more,
    ],
    machinesLost: losses.map((l) => l.machine),
  };
}

/**
 * Prints the head of a partial summary (nothing for a run that finished): the figures that
 * follow count only what was measured before the run ended.
 *
 * @example The lines printed
 * ```ts
 * import assert from "node:assert/strict";
 * import { printPartial } from "./lost_run.ts";
 * const lines: string[] = [];
 * printPartial({ unfinished: ["p3.lab died at 900 ms"], machinesLost: ["p3.lab"] }, (l) => lines.push(l));
 * assert.match(lines[0], /^Partial summary: the run did not finish/);
 * assert.equal(lines[1], "  p3.lab died at 900 ms");
 * ```
 */
export function printPartial(
  fields: Partial<LostFields>,
  log: (line: string) => void = console.log,
): void {
  if (fields.unfinished === undefined) return;
  log("Partial summary: the run did not finish (the figures count what was measured before)");
  for (const line of fields.unfinished) log(`  ${line}`);
}
