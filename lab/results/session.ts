/**
 * The lab run in progress, as its results folder and live view see it: the command and its
 * arguments (set by `lab/main.ts`), the results folder and live flag (set when the common flags
 * are parsed), the trace written with `--trace` and the `--json` summary (kept by the commands
 * as they make them). Light on purpose: the writers and servers load only when asked for.
 * @module
 */
import type { Trace, TraceEvent } from "../../core/trace.ts";

/** What a command kept of its run for the results folder. */
export interface RunSession {
  /** The lab command (`client-server`). */
  readonly command: string;
  /** Its arguments, after the command. */
  readonly args: readonly string[];
  /** When the run started (wall clock of the lab's own process). */
  readonly startedAt: Date;
  /** The results folder, once the flags asked for one. */
  out?: string;
  /** Whether `runs/latest` should point at {@link out} (the default folder). */
  linkLatest?: boolean;
  /** The seed of the run. */
  seed?: number;
  /** The run's trace, as `--trace` writes it. */
  trace?: { readonly events: readonly TraceEvent[]; readonly clock: "virtual" | "wall" };
  /** The `--json` object. */
  summary?: Record<string, unknown>;
  /** Whether `--live` asked for a live view. */
  wantLive?: boolean;
  /** Streams events to the live view, once it serves. */
  live?: LiveSink;
}

/** Where a live view takes events from. */
export interface LiveSink {
  /** A new deployment starts: the view starts over. */
  reset(): void;
  /** One event as it happens. */
  event(event: TraceEvent): void;
  /** The run ended with this summary and verdict. */
  finish(summary: Record<string, unknown> | undefined, verdict: string): void;
  /** The page's URL. */
  readonly url: string;
  /** Stops serving. */
  close(): Promise<void>;
}

let current: RunSession | undefined;

/**
 * Starts the session of a lab command; `lab/main.ts` calls it before the command runs.
 *
 * @example A session
 * ```ts
 * import assert from "node:assert/strict";
 * import { beginSession, currentSession, endSession } from "./session.ts";
 * beginSession("client-server", ["--sim"]);
 * assert.equal(currentSession()?.command, "client-server");
 * endSession();
 * assert.equal(currentSession(), undefined);
 * ```
 */
export function beginSession(command: string, args: readonly string[]): RunSession {
  current = { command, args: [...args], startedAt: new Date() };
  return current;
}

/** The session in progress, if a lab command runs in this process. */
export function currentSession(): RunSession | undefined {
  return current;
}

/** Forgets the session. */
export function endSession(): void {
  current = undefined;
}

/**
 * Keeps `summary` (the `--json` object) for the results folder and the live view; returns it.
 *
 * @example Kept when a session runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { beginSession, currentSession, endSession, keepSummary } from "./session.ts";
 * beginSession("p2p", []);
 * keepSummary({ architecture: "p2p" });
 * assert.deepEqual(currentSession()?.summary, { architecture: "p2p" });
 * endSession();
 * ```
 */
export function keepSummary<T extends object>(summary: T): T {
  if (current) current.summary = summary as Record<string, unknown>;
  return summary;
}

/**
 * Keeps `trace` (the run's trace, the one `--trace` writes) for the results folder.
 *
 * @example Kept with its clock
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../../core/trace.ts";
 * import { beginSession, currentSession, endSession, keepRunTrace } from "./session.ts";
 * beginSession("p2p", []);
 * keepRunTrace(new Trace(), "wall");
 * assert.equal(currentSession()?.trace?.clock, "wall");
 * endSession();
 * ```
 */
export function keepRunTrace(trace: Trace, clock: "virtual" | "wall" = "virtual"): void {
  if (current) current.trace = { events: trace.events, clock };
}

/**
 * Forgets the trace kept so far (a command whose runs are not the result, like `compare`).
 *
 * @example Forgotten
 * ```ts
 * import assert from "node:assert/strict";
 * import { Trace } from "../../core/trace.ts";
 * import { beginSession, currentSession, endSession, forgetTrace, keepRunTrace } from "./session.ts";
 * beginSession("compare", []);
 * keepRunTrace(new Trace());
 * forgetTrace();
 * assert.equal(currentSession()?.trace, undefined);
 * endSession();
 * ```
 */
export function forgetTrace(): void {
  if (current) current.trace = undefined;
}

/**
 * When `--live` asked for a live view: starts it (once) and returns `onEvent` wrapped by
 * {@link liveListener}; otherwise returns `onEvent` unchanged. For runs that do not go through
 * `deploy()` (which calls it itself).
 *
 * @example No live view asked for
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveEvents } from "./session.ts";
 * assert.equal(await liveEvents(undefined, "virtual"), undefined);
 * ```
 */
export async function liveEvents(
  onEvent: ((event: TraceEvent) => void) | undefined,
  clock: "virtual" | "wall",
): Promise<((event: TraceEvent) => void) | undefined> {
  if (!current?.wantLive) return onEvent;
  const { startLive } = await import("./live.ts");
  startLive(current, clock);
  return liveListener(onEvent);
}

/**
 * Wraps a deployment's event listener so that the live view sees every event too, and tells
 * the view that a new deployment starts.
 *
 * @example Without a live view the listener is unchanged
 * ```ts
 * import assert from "node:assert/strict";
 * import { liveListener } from "./session.ts";
 * const listener = () => {};
 * assert.equal(liveListener(listener), listener);
 * ```
 */
export function liveListener(
  onEvent: ((event: TraceEvent) => void) | undefined,
): ((event: TraceEvent) => void) | undefined {
  const live = current?.live;
  if (live === undefined) return onEvent;
  live.reset();
  return onEvent === undefined ? (e) => live.event(e) : (e) => {
    onEvent(e);
    live.event(e);
  };
}
