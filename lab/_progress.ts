/**
 * A progress line for long lab commands: one line on stderr, rewritten in place, shown only
 * when stderr is a terminal (a pipe, a file or a test sees nothing extra), and never with
 * `--json`.
 * @module
 */

/** Where a {@link Progress} writes and whether that is a terminal. */
export interface ProgressSink {
  /** Whether the sink is a terminal (the line is shown only then). */
  readonly isTerminal: () => boolean;
  /** Writes bytes at once. */
  readonly writeSync: (bytes: Uint8Array) => number;
}

const encoder = new TextEncoder();
/** Back to the start of the line, and clear it. */
const CLEAR = "\r\x1b[2K";

/**
 * A progress line on stderr.
 *
 * @example Shown on a terminal, cleared at the end; nothing at all elsewhere
 * ```ts
 * import assert from "node:assert/strict";
 * import { Progress } from "./_progress.ts";
 * const written: string[] = [];
 * const sink = (terminal: boolean) => ({
 *   isTerminal: () => terminal,
 *   writeSync: (bytes: Uint8Array) => written.push(new TextDecoder().decode(bytes)),
 * });
 * const shown = new Progress({ sink: sink(true) });
 * shown.update("round 3, 120/1000 peers up to date");
 * shown.done();
 * assert.deepEqual(written, ["\r\x1b[2Kround 3, 120/1000 peers up to date", "\r\x1b[2K"]);
 * written.length = 0;
 * const hidden = new Progress({ sink: sink(false) });
 * hidden.update("round 3");
 * hidden.done();
 * assert.deepEqual(written, []);
 * ```
 */
export class Progress {
  readonly #sink: ProgressSink;
  readonly #on: boolean;
  #shown = false;

  /** A line on `sink` (default stderr), shown only if it is a terminal and `enabled`. */
  constructor(options: { enabled?: boolean; sink?: ProgressSink } = {}) {
    this.#sink = options.sink ?? Deno.stderr;
    this.#on = (options.enabled ?? true) && this.#sink.isTerminal();
  }

  /** Whether the line is shown. */
  get active(): boolean {
    return this.#on;
  }

  /** Replaces the line with `text`. */
  update(text: string): void {
    if (!this.#on) return;
    this.#sink.writeSync(encoder.encode(CLEAR + text));
    this.#shown = true;
  }

  /** Clears the line, before normal output or at the end. */
  done(): void {
    if (!this.#shown) return;
    this.#sink.writeSync(encoder.encode(CLEAR));
    this.#shown = false;
  }
}
