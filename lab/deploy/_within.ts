/**
 * Bounded waits of the real-process launcher: a machine that hangs must never keep the lab (and
 * Ctrl-C) from ending.
 * @module
 */

/**
 * Waits for `promise` at most `ms` ms; `undefined` when the time ran out first.
 *
 * @example A promise that never settles
 * ```ts
 * import assert from "node:assert/strict";
 * import { within } from "./_within.ts";
 * assert.equal(await within(new Promise<number>(() => {}), 10), undefined);
 * assert.equal(await within(Promise.resolve(3), 10), 3);
 * ```
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
