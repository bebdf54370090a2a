/**
 * Checks of the JSON arguments a program receives, with messages that quote the bad value.
 * @module
 */

/** A required string argument. */
export function stringArg(
  args: Readonly<Record<string, unknown>>,
  name: string,
  program: string,
): string {
  const value = args[name];
  if (typeof value !== "string" || value === "") {
    throw new TypeError(
      `Cannot start ${program}: argument "${name}" is ${
        JSON.stringify(value)
      }; give a process address such as "kv@m1.lab"`,
    );
  }
  return value;
}

/** An optional number argument >= `min`, `fallback` when absent. */
export function numberArg(
  args: Readonly<Record<string, unknown>>,
  name: string,
  program: string,
  fallback: number,
  min = 0,
): number {
  const value = args[name];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= min)) {
    throw new RangeError(
      `Cannot start ${program}: argument "${name}" is ${
        JSON.stringify(value)
      }; give a number >= ${min}`,
    );
  }
  return value;
}
