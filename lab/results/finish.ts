/**
 * The end of a lab run, after its command returned: write the results folder (`--out`), point
 * `runs/latest` at it, hand the summary to the live view (`--live`) and keep serving that view
 * until Ctrl-C. Messages go to stderr, so that `--json` keeps stdout to one JSON object.
 * @module
 */
import type { RunSession } from "./session.ts";

/**
 * Finishes `session` whose command exited with `code`: writes its results folder and ends its
 * live view. Returns the folder written, if any.
 *
 * @example Nothing asked for, nothing written
 * ```ts
 * import assert from "node:assert/strict";
 * import { finishRun } from "./finish.ts";
 * assert.equal(await finishRun({ command: "p2p", args: [], startedAt: new Date() }, 0), undefined);
 * ```
 */
export async function finishRun(session: RunSession, code: number): Promise<string | undefined> {
  let written: string | undefined;
  if (session.out !== undefined) {
    const { writeResults, verdictOf } = await import("./write.ts");
    const info = await writeResults(session.out, session, code);
    if (session.linkLatest) {
      const { linkLatest } = await import("./out_dir.ts");
      await linkLatest(session.out);
    }
    console.error(
      `archlab: results in ${session.out}/ (${info.files.join(", ")}); verdict ${
        verdictOf(code, session.summary)
      }; browse them: deno task lab serve${session.linkLatest ? "" : ` ${parentOf(session.out)}`}`,
    );
    written = session.out;
  }
  if (session.wantLive && session.live === undefined && session.trace !== undefined) {
    // A command that runs no deployment: its view gets the whole trace at the end.
    const { startLive } = await import("./live.ts");
    const live = startLive(session, session.trace.clock);
    live.reset();
    for (const event of session.trace.events) live.event(event);
  }
  if (session.live !== undefined) {
    const { verdictOf } = await import("./write.ts");
    session.live.finish(session.summary, verdictOf(code, session.summary));
    if (code !== 130) {
      // Interrupted runs end here: Ctrl-C already said stop. The listener is in place before
      // the message invites Ctrl-C.
      const interrupted = untilInterrupted();
      console.error(
        `archlab: the run is over; the live view stays up at ${session.live.url} until Ctrl-C`,
      );
      await interrupted;
    }
    await session.live.close();
  }
  return written;
}

function parentOf(dir: string): string {
  const i = dir.replace(/\/+$/, "").lastIndexOf("/");
  return i <= 0 ? "." : dir.slice(0, i);
}

/** Waits for Ctrl-C (SIGINT) or SIGTERM. */
function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}

/**
 * Removes the results folder of a run refused for its usage, if nothing was written in it.
 *
 * @example An empty folder goes
 * ```ts
 * import assert from "node:assert/strict";
 * import { dropEmptyResults } from "./finish.ts";
 * const out = await Deno.makeTempDir();
 * await dropEmptyResults({ command: "p2p", args: [], startedAt: new Date(), out });
 * await assert.rejects(Deno.stat(out), Deno.errors.NotFound);
 * ```
 */
export async function dropEmptyResults(session: RunSession): Promise<void> {
  if (session.out === undefined) return;
  for await (const _ of Deno.readDir(session.out)) return; // Something was written: keep it.
  await Deno.remove(session.out);
}
