/**
 * Copying parameters: by value (a JSON copy, as if marshalled onto the wire even on the same
 * machine) and the restore half of copy/restore (write a final state over the caller's object).
 * @module
 */

/** A JSON copy of `value`; `undefined` stays `undefined`. Throws a TypeError naming `what`. */
export function copyValue(value: unknown, what: string): unknown {
  if (value === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new TypeError(
      `Cannot copy ${what}: it is not JSON (${(error as Error).message}); pass plain data`,
    );
  }
  return text === undefined ? undefined : JSON.parse(text);
}

/** Whether `value` can be restored in place (an object or an array). */
export function restorable(value: unknown): value is Record<string, unknown> | unknown[] {
  return typeof value === "object" && value !== null;
}

/** Writes `state` over `target` in place: the caller's object ends equal to `state`. */
export function restoreInto(target: Record<string, unknown> | unknown[], state: unknown): void {
  if (Array.isArray(target)) {
    target.length = 0;
    if (Array.isArray(state)) target.push(...state);
    return;
  }
  for (const key of Object.keys(target)) delete target[key];
  if (restorable(state) && !Array.isArray(state)) Object.assign(target, state);
}
