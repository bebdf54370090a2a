/**
 * Timeouts that follow `--delay`: one rule for every lab command. A timeout the user did not set
 * is the command's default, or longer when the run's latency needs it: {@link TIMEOUT_ROUND_TRIPS}
 * times the exchange's legs at the latency's bound ({@link latencyBound}), plus
 * {@link TIMEOUT_MARGIN_MS}. A plain delay then never shows as failures that are artifacts of a
 * fixed timeout; a run without `--delay`, or with a small one, keeps its default (and its trace).
 * A timeout the user set is kept, and {@link timeoutNote} says why requests are sent again.
 * @module
 */
import { type Latency, latencyBound } from "../core/latency.ts";

/** How many times an exchange's time at the latency's bound a derived timeout waits. */
export const TIMEOUT_ROUND_TRIPS = 2;

/** Ms a derived timeout adds for processing and queueing. */
export const TIMEOUT_MARGIN_MS = 100;

/**
 * The help's wording of the rule after a flag's default: `(default 500 ms, ${DELAY_DEFAULT})`;
 * {@link DELAY_RULE} states it once, in the common flags' help.
 *
 * @example In a help line
 * ```ts
 * import assert from "node:assert/strict";
 * import { DELAY_DEFAULT } from "./_delay_timeouts.ts";
 * assert.equal(`(default 500 ms, ${DELAY_DEFAULT})`, "(default 500 ms, or longer when --delay needs it)");
 * ```
 */
export const DELAY_DEFAULT = "or longer when --delay needs it";

/**
 * The rule in words, for the help of `--delay`.
 *
 * @example The factor and the margin
 * ```ts
 * import assert from "node:assert/strict";
 * import { DELAY_RULE } from "./_delay_timeouts.ts";
 * assert.match(DELAY_RULE, /2 x the one-way trips[^]*\+ 100 ms/);
 * ```
 */
export const DELAY_RULE: string = `A timeout you do not set that is shorter than\n` +
  `                        ${TIMEOUT_ROUND_TRIPS} x the one-way trips of its exchange at the bound ` +
  `grows to that\n                        + ${TIMEOUT_MARGIN_MS} ms`;

/**
 * A timeout the user did not set: `fallback` (the command's default) while it covers
 * {@link TIMEOUT_ROUND_TRIPS} x `legs` one-way trips at `latency`'s bound; otherwise that time
 * (rounded up to whole ms) + {@link TIMEOUT_MARGIN_MS}. A short default (50 ms) thus stays for
 * small delays too. `legs` is 2 for a request and its reply, 4
 * when the reply comes through an intermediary.
 *
 * @example The default stays for small delays
 * ```ts
 * import assert from "node:assert/strict";
 * import { delayTimeout } from "./_delay_timeouts.ts";
 * assert.equal(delayTimeout(500, undefined), 500);
 * assert.equal(delayTimeout(500, { kind: "uniform", min: 1, max: 5 }), 500);
 * assert.equal(delayTimeout(500, { kind: "constant", ms: 1000 }), 4100);
 * assert.equal(delayTimeout(500, { kind: "constant", ms: 1000 }, 4), 8100);
 * assert.equal(delayTimeout(50, { kind: "uniform", min: 1, max: 5 }), 50);
 * ```
 */
export function delayTimeout(fallback: number, latency: Latency | undefined, legs = 2): number {
  if (latency === undefined) return fallback;
  const needed = Math.ceil(TIMEOUT_ROUND_TRIPS * legs * latencyBound(latency));
  return needed <= fallback ? fallback : needed + TIMEOUT_MARGIN_MS;
}

/**
 * A round's period the user did not set: `fallback` while one exchange of `legs` one-way trips
 * at `latency`'s bound fits in it; otherwise that time + {@link TIMEOUT_MARGIN_MS}, so that an
 * exchange started in a round ends in it (what round-counting bounds assume). Unlike a
 * timeout's, no factor: a round needs to hold its exchange, not a retry of it.
 *
 * @example A gossip round of digest, want and delta
 * ```ts
 * import assert from "node:assert/strict";
 * import { delayPeriod } from "./_delay_timeouts.ts";
 * assert.equal(delayPeriod(100, { kind: "uniform", min: 1, max: 30 }, 3), 100);
 * assert.equal(delayPeriod(100, { kind: "constant", ms: 1000 }, 3), 3100);
 * ```
 */
export function delayPeriod(fallback: number, latency: Latency | undefined, legs: number): number {
  const needed = exchangeBound(latency, legs);
  return needed <= fallback ? fallback : needed + TIMEOUT_MARGIN_MS;
}

/**
 * The longest time `legs` one-way trips take at `latency`'s bound (0 without a latency), in ms.
 *
 * @example Two legs of at most 900 ms
 * ```ts
 * import assert from "node:assert/strict";
 * import { exchangeBound } from "./_delay_timeouts.ts";
 * assert.equal(exchangeBound({ kind: "uniform", min: 100, max: 900 }), 1800);
 * assert.equal(exchangeBound(undefined, 4), 0);
 * ```
 */
export function exchangeBound(latency: Latency | undefined, legs = 2): number {
  return latency === undefined ? 0 : Math.ceil(legs * latencyBound(latency));
}

/**
 * The note a run prints when the user's `--FLAG` is shorter than the `shortest` round trip the
 * delay allows: every `what` is given up on (or sent again) before its answer can arrive, so the
 * failures are the timeout's lesson and not the network's. `undefined` when the timeout is long
 * enough.
 *
 * @example A timeout shorter than the round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeoutNote } from "./_delay_timeouts.ts";
 * assert.equal(timeoutNote("timeout", 500, 400, "request"), undefined);
 * assert.equal(
 *   timeoutNote("timeout", 500, 2000, "request"),
 *   "note: a round trip takes at least 2000 ms (--delay) but --timeout is 500 ms: every " +
 *     "request times out before its answer can arrive; give --timeout above 2000",
 * );
 * ```
 */
export function timeoutNote(
  flag: string,
  timeout: number,
  shortest: number,
  what: string,
): string | undefined {
  if (shortest < timeout) return undefined;
  return `note: a round trip takes at least ${shortest} ms (--delay) but --${flag} is ` +
    `${timeout} ms: every ${what} times out before its answer can arrive; give --${flag} ` +
    `above ${shortest}`;
}

/**
 * The program arguments among `defaults` (name to default ms) that `latency` needs longer, each
 * by {@link delayTimeout} over `legs` one-way trips; an argument whose default suffices is left
 * out, so that a run without a long delay starts its programs with the same arguments as before.
 *
 * @example Only what the delay needs
 * ```ts
 * import assert from "node:assert/strict";
 * import { delayedArgs } from "./_delay_timeouts.ts";
 * const defaults = { timeout: 1000, quiet: 9000 };
 * assert.deepEqual(delayedArgs({ kind: "constant", ms: 1000 }, defaults), { timeout: 4100 });
 * assert.deepEqual(delayedArgs({ kind: "constant", ms: 2 }, defaults), {});
 * assert.deepEqual(delayedArgs(undefined, defaults), {});
 * ```
 */
export function delayedArgs(
  latency: Latency | undefined,
  defaults: Readonly<Record<string, number>>,
  legs = 2,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, fallback] of Object.entries(defaults)) {
    const ms = delayTimeout(fallback, latency, legs);
    if (ms !== fallback) out[name] = ms;
  }
  return out;
}

/**
 * The shortest round trip a `--delay` allows (twice its smallest one-way latency), in ms; 0
 * without `--delay`.
 *
 * @example A constant and a uniform delay
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortestRoundTrip } from "./_delay_timeouts.ts";
 * assert.equal(shortestRoundTrip({ kind: "constant", ms: 300 }), 600);
 * assert.equal(shortestRoundTrip({ kind: "uniform", min: 5, max: 900 }), 10);
 * assert.equal(shortestRoundTrip(undefined), 0);
 * ```
 */
export function shortestRoundTrip(latency: Latency | undefined): number {
  if (latency === undefined) return 0;
  switch (latency.kind) {
    case "constant":
      return 2 * latency.ms;
    case "uniform":
      return 2 * latency.min;
    case "exponential":
      return 2 * (latency.min ?? 0);
  }
}
